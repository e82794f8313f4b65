"""Stream decision rules, selectable by name (`make_rule`)."""

from __future__ import annotations

from collections.abc import Callable

from stream_al.budget import Budget
from stream_al.exceptions import StrategyError
from stream_al.rules.auto import Auto
from stream_al.rules.base import Decision, DecisionRule
from stream_al.rules.random import RandomSampling
from stream_al.rules.threshold import TopShare
from stream_al.rules.uncertainty import (
    FixedUncertainty,
    RandomizedVariableUncertainty,
    Split,
    VariableUncertainty,
)
from stream_al.strategies.bald import BALD
from stream_al.strategies.base import Strategy
from stream_al.strategies.committee import CommitteeDisagreement
from stream_al.strategies.density import DensityWeighted
from stream_al.strategies.uncertainty import Entropy, LeastConfidence, Margin
from stream_al.strategies.variance import PredictiveVariance

__all__ = [
    "RULES",
    "Auto",
    "Decision",
    "DecisionRule",
    "FixedUncertainty",
    "RandomSampling",
    "RandomizedVariableUncertainty",
    "Split",
    "TopShare",
    "VariableUncertainty",
    "make_rule",
]

_SCORES: dict[str, Callable[[], Strategy]] = {
    "least_confidence": LeastConfidence,
    "margin": Margin,
    "entropy": Entropy,
    "committee": CommitteeDisagreement,
    "density": DensityWeighted,
    "bald": BALD,
    "variance": PredictiveVariance,
}

#: Every rule name `make_rule` accepts, with a one-line description.
RULES: dict[str, str] = {
    "auto": "our default: top-share margin + random share + drift boost",
    "random": "random sampling at the budget rate",
    "fixed_uncertainty": "max posterior below a fixed threshold (Zliobaite et al. 2014)",
    "variable_uncertainty": "max posterior below an adaptive threshold (Zliobaite et al. 2014)",
    "randomized_variable_uncertainty": "variable uncertainty, randomised threshold (idem)",
    "split": "random share + variable uncertainty (Zliobaite et al. 2014)",
    "least_confidence": "top share of recent least-confidence scores",
    "margin": "top share of recent margin scores",
    "entropy": "top share of recent entropy scores",
    "committee": "top share of committee disagreement (ensemble models)",
    "density": "top share of margin weighted by density and diversity",
    "bald": "top share of BALD mutual information (MC dropout, ensembles; Houlsby et al. 2011)",
    "variance": "top share of predictive variance across MC-dropout samples or members",
}


def make_rule(name: str, budget: float | Budget, seed: int = 0) -> DecisionRule:
    """Build the decision rule called `name` with a budget.

    >>> make_rule("split", 0.05).name
    'split'
    >>> make_rule("nope", 0.05)
    Traceback (most recent call last):
    ...
    stream_al.exceptions.StrategyError: unknown strategy 'nope'; choose one of: auto, ...
    """
    b = budget if isinstance(budget, Budget) else Budget(budget)
    if name == "auto":
        return Auto(b, seed=seed)
    if name == "random":
        return RandomSampling(b, seed=seed)
    if name == "fixed_uncertainty":
        return FixedUncertainty(b, seed=seed)
    if name == "variable_uncertainty":
        return VariableUncertainty(b, seed=seed)
    if name == "randomized_variable_uncertainty":
        return RandomizedVariableUncertainty(b, seed=seed)
    if name == "split":
        return Split(b, seed=seed)
    if name in _SCORES:
        return TopShare(b, _SCORES[name](), seed=seed)
    raise StrategyError(f"unknown strategy {name!r}; choose one of: {', '.join(RULES)}")

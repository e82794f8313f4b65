"""The uncertainty rules of Žliobaitė, Bifet, Pfahringer and Holmes (2014).

*Active learning with drifting streaming data*, IEEE TNNLS 25(1):27-39,
algorithms 2-5. Each compares the confidence of the prediction (the maximum
posterior) with a threshold θ:

- fixed uncertainty: query when ``max p < θ`` (θ fixed);
- variable uncertainty: θ adapts, shrinking by a step ``s`` after a query and
  growing by ``s`` otherwise, so the rule keeps asking even when the model is
  confident everywhere;
- randomized variable uncertainty: the same with θ multiplied by a random
  ``η ~ N(1, δ)``, so labels also come from confident regions;
- split: a share ``ν`` of items is handled by random sampling, the rest by
  variable uncertainty.

Defaults are the paper's: θ = 1 (VU start), s = 0.01, δ = 1, ν = 0.2.
Each rule also spends only labels the budget has.
"""

from __future__ import annotations

import numpy as np

from stream_al.budget import Budget
from stream_al.rules.base import Decision, DecisionRule
from stream_al.strategies.base import Strategy

__all__ = [
    "FixedUncertainty",
    "RandomizedVariableUncertainty",
    "Split",
    "VariableUncertainty",
]


class FixedUncertainty(DecisionRule):
    """Query when the maximum posterior is below a fixed threshold.

    The paper sets θ per stream and budget; we use the expected maximum
    posterior under the budget, ``θ = 1/k + b·(1 - 1/k)`` for ``k`` classes.
    """

    name = "fixed_uncertainty"

    def __init__(
        self,
        budget: Budget,
        strategy: Strategy | None = None,
        seed: int = 0,
        theta: float | None = None,
    ) -> None:
        super().__init__(budget, strategy, seed)
        self.theta = theta

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        k = max(len(proba), 2)
        theta = self.theta if self.theta is not None else 1 / k + self.budget.fraction * (1 - 1 / k)
        confidence = float(proba.max()) if len(proba) else 1.0
        if confidence >= theta:
            return Decision(False, score, theta, "below_threshold")
        if not self.budget.can_spend():
            return self._no_budget(score, theta)
        return Decision(True, score, theta, "uncertain")


class VariableUncertainty(DecisionRule):
    """Query when the maximum posterior is below an adaptive threshold θ."""

    name = "variable_uncertainty"

    def __init__(
        self,
        budget: Budget,
        strategy: Strategy | None = None,
        seed: int = 0,
        theta: float = 1.0,
        step: float = 0.01,
    ) -> None:
        super().__init__(budget, strategy, seed)
        self.theta = theta
        self.step = step

    def _threshold(self) -> float:
        return self.theta

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        if not self.budget.can_spend():
            return self._no_budget(score, self.theta)
        confidence = float(proba.max()) if len(proba) else 1.0
        threshold = self._threshold()
        if confidence < threshold:
            self.theta *= 1.0 - self.step
            return Decision(True, score, threshold, "uncertain")
        self.theta *= 1.0 + self.step
        return Decision(False, score, threshold, "below_threshold")


class RandomizedVariableUncertainty(VariableUncertainty):
    """Variable uncertainty with the threshold randomised by ``η ~ N(1, δ)``."""

    name = "randomized_variable_uncertainty"

    def __init__(
        self,
        budget: Budget,
        strategy: Strategy | None = None,
        seed: int = 0,
        theta: float = 1.0,
        step: float = 0.01,
        delta: float = 1.0,
    ) -> None:
        super().__init__(budget, strategy, seed, theta=theta, step=step)
        self.delta = delta

    def _threshold(self) -> float:
        return self.theta * float(self.rng.normal(1.0, self.delta))


class Split(VariableUncertainty):
    """A share ν of items goes to random sampling, the rest to variable uncertainty."""

    name = "split"

    def __init__(
        self,
        budget: Budget,
        strategy: Strategy | None = None,
        seed: int = 0,
        theta: float = 1.0,
        step: float = 0.01,
        nu: float = 0.2,
    ) -> None:
        super().__init__(budget, strategy, seed, theta=theta, step=step)
        self.nu = nu

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        if self.rng.random() < self.nu:
            if self.rng.random() >= self.budget.fraction:
                return Decision(False, score, float("nan"), "not_drawn")
            if not self.budget.can_spend():
                return self._no_budget(score, float("nan"))
            return Decision(True, score, float("nan"), "random", random=True)
        return super()._decide_one(score, proba)

"""The stream decision-rule contract: item by item, query or not, within the budget.

A rule sees each item once, in stream order, and must decide at once. It
combines a strategy's informativeness score with a threshold and the budget.
Subclasses override one hook, `_decide_one`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stream_al.budget import Budget
from stream_al.strategies.base import Scored, Strategy
from stream_al.strategies.uncertainty import LeastConfidence

__all__ = ["Decision", "DecisionRule"]


@dataclass(frozen=True, slots=True)
class Decision:
    """One query decision, with what it was based on (for the decision log).

    Attributes
    ----------
    query
        Whether the item is sent to annotators.
    score
        The informativeness score the rule looked at.
    threshold
        The threshold the score was compared with (nan when none).
    reason
        Why: ``"uncertain"``, ``"random"``, ``"below_threshold"``, ``"no_budget"``, ...
    random
        True when the item was drawn by chance alone: its label is an unbiased
        sample of the stream, usable for accuracy estimates.
    components
        The parts of a hybrid score, by name.
    """

    query: bool
    score: float
    threshold: float
    reason: str
    random: bool = False
    components: dict[str, float] = field(default_factory=dict)


class DecisionRule(ABC):
    """Decides, item by item, which items to query.

    Parameters
    ----------
    budget
        The label budget; the rule never spends a label it does not have.
    strategy
        Informativeness score; least confidence by default, as in the
        uncertainty rules of Žliobaitė et al. (2014).
    seed
        Seed of the rule's own random generator.
    """

    #: The name users select the rule by.
    name: str = ""

    def __init__(self, budget: Budget, strategy: Strategy | None = None, seed: int = 0) -> None:
        self.budget = budget
        self.strategy = strategy or LeastConfidence()
        self.rng = np.random.default_rng(seed)

    def decide(self, batch: Scored) -> Iterator[Decision]:
        """Decide for each item of `batch`, in order.

        Lazy: the budget moves only as decisions are consumed, so a caller may
        stop early (e.g. when a label becomes available mid-batch) and score the
        rest again.
        """
        scores = self.strategy.score(batch)
        for i in range(len(batch)):
            self.budget.tick()
            decision = self._decide_one(float(scores[i]), batch.proba[i])
            if decision.query:
                self.budget.spend()
            self.strategy.update(batch.items[i], decision.query)
            yield decision

    @abstractmethod
    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        """Decide for one item; spend nothing (the caller spends on a query)."""

    def on_drift(self, alert: Any) -> None:  # noqa: B027 - optional hook
        """React to a drift alarm (default: nothing)."""

    def _no_budget(self, score: float, threshold: float) -> Decision:
        return Decision(False, score, threshold, "no_budget")

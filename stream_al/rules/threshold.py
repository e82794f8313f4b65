"""Query the items whose score is in the top share of recent scores.

The generic rule for any informativeness score (margin, entropy, committee,
density): an adaptive quantile threshold admits ``budget.fraction`` of the
items (paced by recent spending, `Budget.paced`), and the budget caps the spend.
"""

from __future__ import annotations

import numpy as np

from stream_al.budget import Budget, QuantileThreshold
from stream_al.rules.base import Decision, DecisionRule
from stream_al.strategies.base import Strategy

__all__ = ["TopShare"]


class TopShare(DecisionRule):
    """Query when the score is in the top ``budget.fraction`` of the last `window` scores."""

    def __init__(
        self,
        budget: Budget,
        strategy: Strategy | None = None,
        seed: int = 0,
        window: int = 500,
    ) -> None:
        super().__init__(budget, strategy, seed)
        self.name = self.strategy.name
        self.threshold = QuantileThreshold(budget.fraction, window)

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        rate = self.budget.paced(self.budget.fraction)
        admitted = self.threshold.admit(score, rate)
        threshold = self.threshold.threshold_at(rate)
        if not admitted:
            return Decision(False, score, threshold, "below_threshold")
        if not self.budget.can_spend():
            return self._no_budget(score, threshold)
        return Decision(True, score, threshold, "uncertain")

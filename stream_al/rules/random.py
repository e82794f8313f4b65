"""Random sampling: query each item with probability equal to the budget.

The baseline every strategy must beat, and the only one whose labels are an
unbiased sample of the stream.
"""

from __future__ import annotations

import numpy as np

from stream_al.rules.base import Decision, DecisionRule

__all__ = ["RandomSampling"]


class RandomSampling(DecisionRule):
    """Query with probability `budget.fraction`, if a label is available.

    >>> from stream_al.budget import Budget
    >>> rule = RandomSampling(Budget(0.1), seed=1)
    >>> from stream_al.strategies.base import Scored
    >>> batch = Scored(items=[None] * 1000, proba=np.full((1000, 2), 0.5), classes=[0, 1])
    >>> n = sum(d.query for d in rule.decide(batch))
    >>> 80 <= n <= 1 + 0.1 * 1000  # about the budget, never over it
    True
    """

    name = "random"

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        if self.rng.random() >= self.budget.fraction:
            return Decision(False, score, float("nan"), "not_drawn")
        if not self.budget.can_spend():
            return self._no_budget(score, float("nan"))
        return Decision(True, score, float("nan"), "random", random=True)

"""`auto`: our default rule, a hybrid built from what the measurements support.

- **Margin in the top share of recent scores.** An adaptive quantile threshold
  (`QuantileThreshold`) admits the most uncertain items at the target rate,
  whatever the model's current confidence level.
- **Pacing.** The admitted share is corrected by recent spending
  (`Budget.paced`), so spending stays on target when the score distribution
  drifts, e.g. while the model grows surer.
- **A reserved random share** (3% of the budget). Items drawn uniformly at
  random give an unbiased accuracy estimate and guard against the stall of
  pure uncertainty sampling on regions the model is confidently wrong about
  (Žliobaitė et al. 2014).
- **A drift-triggered exploration boost.** After a drift confirmed by labels
  the rule spends faster for a while, from the savings the budget's token
  bucket holds, with a larger random share, so the model re-learns the changed
  regions quickly. Label-free drift hints do not boost: on a model that is
  still learning they fire too often to pay for.

The budget still caps spending: the boost only spends labels saved earlier.

Why these choices, measured with `benchmarks/label_efficiency.py` and ablations
on eight streams at a 5% budget (mean share of the random-to-full gap closed):
margin alone 0.670; with a 3% random share 0.685; with 5% 0.534; with 10% 0.495;
density weighting 0.130; boosting on label-free hints too 0.617.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stream_al.budget import Budget, QuantileThreshold
from stream_al.rules.base import Decision, DecisionRule
from stream_al.strategies.base import Strategy
from stream_al.strategies.uncertainty import Margin

__all__ = ["Auto"]


class Auto(DecisionRule):
    """Hybrid of top-share margin sampling, a random share and a drift boost.

    Parameters
    ----------
    budget
        The label budget.
    strategy
        The informativeness score (margin by default).
    seed
        Seed of the random share.
    random_share
        Share of the budget spent on uniformly drawn items.
    window
        Recent scores defining the uncertainty threshold.
    boost
        Spending-rate multiplier for `boost_items` items after a drift alarm.
    boost_items
        Length of the boost, in items (default: ``10 / budget``).

    Examples
    --------
    >>> from stream_al.strategies.base import Scored
    >>> rule = Auto(Budget(0.1), seed=0)
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.5, 1.0, 2000)
    >>> batch = Scored(items=[None] * 2000, proba=np.c_[p, 1 - p], classes=[0, 1])
    >>> decisions = list(rule.decide(batch))
    >>> n = sum(d.query for d in decisions)
    >>> 0.08 * 2000 < n <= 1 + 0.1 * 2000
    True
    """

    name = "auto"

    def __init__(
        self,
        budget: Budget,
        strategy: Strategy | None = None,
        seed: int = 0,
        random_share: float = 0.03,
        window: int = 500,
        boost: float = 2.0,
        boost_items: int | None = None,
    ) -> None:
        super().__init__(budget, strategy or Margin(), seed)
        self.random_share = random_share
        self.boost = boost
        self.boost_items = boost_items or int(10 / budget.fraction)
        self._random_p = budget.fraction * random_share
        self._threshold = QuantileThreshold(budget.fraction * (1 - random_share), window)
        self._boost_left = 0

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        boosting = self._boost_left > 0
        if boosting:
            self._boost_left -= 1
        rate = self.budget.paced(self._threshold.rate)
        admitted = self._threshold.admit(score, rate)
        threshold = self._threshold.threshold_at(rate)
        random_p = self._random_p * (self.boost if boosting else 1.0)
        if self.rng.random() < random_p:
            if self.budget.can_spend():
                return Decision(True, score, threshold, "random", random=True)
            return self._no_budget(score, threshold)
        if not admitted and not (boosting and self.rng.random() < self._extra_rate()):
            return Decision(False, score, threshold, "below_threshold")
        if not self.budget.can_spend():
            return self._no_budget(score, threshold)
        return Decision(True, score, threshold, "boost" if not admitted else "uncertain")

    def _extra_rate(self) -> float:
        """Chance of querying a below-threshold item during a boost."""
        return self._threshold.rate * (self.boost - 1.0)

    def on_drift(self, alert: Any) -> None:
        if getattr(alert, "source", "labelled") == "labelled":
            self._boost_left = self.boost_items

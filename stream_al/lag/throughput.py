"""Fit the admission budget to what the annotators really label.

A rule that queries 5% of the stream while annotators label 2% fills the
queue with tasks that will be evicted or expire unlabelled; among them the
random-share tasks that the unbiased accuracy estimate needs. `ThroughputPacer`
measures the annotators' throughput (labels per item, exponentially weighted
over `window` items) and sets the budget's rate to ``headroom`` times it,
never above the configured target nor below ``floor`` of it. The headroom
keeps the queue supplied, so it still has a choice of the freshest and most
valuable items; when the annotators catch up, the rate climbs back.

>>> from stream_al.budget import Budget
>>> budget = Budget(0.05)
>>> pacer = ThroughputPacer(budget, headroom=1.5, window=200)
>>> for position in range(2000):  # annotators label one item in 100
...     pacer.update(labelled=1 if position % 100 == 0 else 0)
>>> 0.01 < budget.fraction < 0.02  # about 1.5 x 1/100
True
>>> for position in range(2000):  # they keep up again
...     pacer.update(labelled=1 if position % 10 == 0 else 0)
>>> budget.fraction
0.05
"""

from __future__ import annotations

from stream_al.budget import Budget
from stream_al.exceptions import ConfigError

__all__ = ["ThroughputPacer"]


class ThroughputPacer:
    """Sets `budget.fraction` from the annotators' measured throughput.

    Parameters
    ----------
    budget
        The budget to steer; its fraction at construction is the target.
    headroom
        Admission rate as a multiple of the throughput (>= 1).
    window
        Items over which the throughput is averaged (exponential weights).
    floor
        Lowest rate, as a share of the target (so a pause of the annotators
        does not stop admissions altogether).
    """

    def __init__(
        self, budget: Budget, headroom: float = 1.5, window: int = 2000, floor: float = 0.1
    ) -> None:
        if headroom < 1.0:
            raise ConfigError(f"throughput headroom must be >= 1, got {headroom}")
        if window < 2:
            raise ConfigError(f"throughput window must be >= 2 items, got {window}")
        if not 0.0 < floor <= 1.0:
            raise ConfigError(f"budget floor must be a share in (0, 1], got {floor}")
        self.budget = budget
        self.target = budget.fraction
        self.headroom = headroom
        self.window = window
        self.floor = floor
        self._decay = (window - 1) / window
        self._labelled = 0.0
        self._norm = 0.0

    @property
    def throughput(self) -> float:
        """Labels per item, recently (0 before any item)."""
        return self._labelled / self._norm if self._norm else 0.0

    def update(self, labelled: int, items: int = 1) -> None:
        """`items` more items went by, during which `labelled` labels were taken on."""
        for _ in range(items - 1):
            self._labelled *= self._decay
            self._norm = self._norm * self._decay + 1.0
        self._labelled = self._labelled * self._decay + labelled
        self._norm = self._norm * self._decay + 1.0
        if self._norm < self.window / 2:
            return  # too little seen to judge the annotators yet
        rate = self.headroom * self.throughput
        self.budget.fraction = min(self.target, max(self.floor * self.target, rate))

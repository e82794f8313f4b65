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
>>> 0.01 < budget.fraction < 0.02, pacer.behind  # about 1.5 x 1/100
(True, True)
>>> for position in range(2000):  # they keep up again
...     pacer.update(labelled=1 if position % 10 == 0 else 0)
>>> budget.fraction, pacer.behind
(0.05, False)
"""

from __future__ import annotations

from stream_al.budget import Budget
from stream_al.exceptions import ConfigError

__all__ = ["AnnouncedLabels", "ThroughputPacer"]


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

    @property
    def behind(self) -> bool:
        """Whether the annotators label less than the target asks: the budget is held below it."""
        return self.budget.fraction < self.target

    def update(self, labelled: float, items: int = 1) -> None:
        """`items` more items went by, during which `labelled` labels were taken on.

        The labels are spread evenly over the items: a batch's labels counted
        at its last item would weigh more than the same labels one by one.
        """
        fade = self._decay**items
        weight = (1.0 - fade) / (1.0 - self._decay)  # of the batch's items, faded to its end
        self._labelled = self._labelled * fade + labelled / items * weight
        self._norm = self._norm * fade + weight
        if self._norm < self.window / 2:
            return  # too little seen to judge the annotators yet
        rate = self.headroom * self.throughput
        self.budget.fraction = min(self.target, max(self.floor * self.target, rate))


class AnnouncedLabels:
    """The annotators' throughput from a learner's sparse announcements of its label count.

    A scorer in a process of its own hears of labels only when the learner
    announces a model version: every `every` labels learnt (or on its
    schedule), with the number it has learnt so far. The throughput is the
    rate between the last two announcements that brought new labels. While
    no announcement comes, fewer than `every` labels can have been learnt
    since the last one, which bounds the rate: annotators who stop show as a
    falling rate, not as the last one heard.

    >>> counts = AnnouncedLabels()
    >>> counts.announce(labels=500, position=10_000, every=100)  # the first is a baseline
    >>> counts.rate(12_000) is None
    True
    >>> counts.announce(labels=600, position=14_000, every=100)
    >>> counts.rate(14_000)
    0.025
    >>> counts.rate(24_000)  # 10,000 items and no announcement: fewer than 100 labels since
    0.01

    With several scorers in one group, each scores a share of the stream: its
    own count of items would make the rate N times too high. A learner that
    reads the whole input stream announces its count of `items`, and the rate
    is taken over those instead:

    >>> shared = AnnouncedLabels()
    >>> shared.announce(labels=500, position=5_000, every=100, items=10_000)
    >>> shared.announce(labels=600, position=7_000, every=100, items=14_000)
    >>> shared.rate(7_000)  # 100 labels over 4,000 items of the stream, not this scorer's 2,000
    0.025
    """

    def __init__(self) -> None:
        self._labels: int | None = None
        self._position = 0
        self._items: int | None = None
        self._every = 1
        self._rate: float | None = None

    def announce(self, labels: int, position: int, every: int, items: int | None = None) -> None:
        """The learner has learnt `labels` labels in all, heard at the scorer's `position`;
        `items`: the items of the whole stream it has seen, when it knows."""
        self._every = max(1, every)
        if self._labels is None or labels < self._labels:  # the first, or a learner anew
            self._labels, self._position, self._items = labels, position, items
            return
        if labels == self._labels or position <= self._position:
            return  # nothing new, or no items between: the next one spans the interval
        span = position - self._position
        if items is not None and self._items is not None and items > self._items:
            span = items - self._items  # the whole stream's items, not this scorer's share
        self._rate = (labels - self._labels) / span
        self._labels, self._position, self._items = labels, position, items

    def rate(self, position: int) -> float | None:
        """Labels per item at the scorer's `position` (None until two announcements)."""
        if self._rate is None:
            return None
        since = position - self._position
        return min(self._rate, self._every / since) if since > 0 else self._rate

"""Label lag: how long after an item was admitted its label came back.

Lag is measured in seconds and in items (how far the stream had moved on;
unknown where the process cannot see the stream's position). The whole-run
mean is exact; the whole-run 95th percentile comes from a uniform reservoir
sample of `reservoir` labels (exact until that many arrived, constant memory
after); the recent figures come from the last `window` labels.
"""

from __future__ import annotations

import random
from collections import deque

import numpy as np

__all__ = ["LagTracker"]


class LagTracker:
    """Running and recent label-lag statistics, in bounded memory.

    Parameters
    ----------
    window
        Number of recent labels behind `recent_mean` and `recent_p95`.
    reservoir
        Size of the uniform sample behind the whole-run percentiles.
    seed
        Seed of the reservoir sampling.

    Examples
    --------
    >>> lag = LagTracker(window=3)
    >>> for seconds in (10.0, 20.0, 30.0, 100.0):
    ...     lag.add(seconds=seconds, items=int(seconds * 10))
    >>> lag.n, lag.mean_seconds, lag.mean_items, lag.p95_seconds
    (4, 40.0, 400.0, 89.5)
    >>> lag.recent_mean(), round(lag.recent_p95(), 1)
    (50.0, 93.0)
    """

    def __init__(self, window: int = 100, reservoir: int = 5000, seed: int = 0) -> None:
        self.n = 0
        self._n_items = 0
        self._sum_seconds = 0.0
        self._sum_items = 0.0
        self._size = reservoir
        self._sample: list[tuple[float, float]] = []
        self._rng = random.Random(seed)
        self._recent: deque[float] = deque(maxlen=window)
        self._recent_items: deque[float] = deque(maxlen=window)

    def add(self, seconds: float, items: int | None) -> None:
        """Record the lag of one delivered label (`items` None: not known)."""
        self.n += 1
        self._sum_seconds += seconds
        row = (seconds, float("nan") if items is None else float(items))
        if items is not None:
            self._n_items += 1
            self._sum_items += items
            self._recent_items.append(float(items))
        if len(self._sample) < self._size:
            self._sample.append(row)
        else:
            k = self._rng.randrange(self.n)
            if k < self._size:
                self._sample[k] = row
        self._recent.append(seconds)

    @property
    def mean_seconds(self) -> float:
        """Mean lag in simulated seconds over the run (nan before any label)."""
        return self._sum_seconds / self.n if self.n else float("nan")

    @property
    def mean_items(self) -> float:
        """Mean lag in items over the run (nan before any label with a known lag in items)."""
        return self._sum_items / self._n_items if self._n_items else float("nan")

    @property
    def p95_seconds(self) -> float:
        """95th percentile of the lag in seconds over the run (nan before any label)."""
        return self._percentile(0)

    @property
    def p95_items(self) -> float:
        """95th percentile of the lag in items over the run (nan before any label)."""
        return self._percentile(1)

    def _percentile(self, column: int) -> float:
        values = [row[column] for row in self._sample if row[column] == row[column]]  # no nan
        return float(np.percentile(values, 95)) if values else float("nan")

    def recent_mean(self, items: bool = False) -> float:
        """Mean lag of the last `window` labels (seconds, or items)."""
        values = self._recent_items if items else self._recent
        return float(np.mean(values)) if values else float("nan")

    def recent_median(self, items: bool = False) -> float:
        """Median lag of the last `window` labels (seconds, or items)."""
        values = self._recent_items if items else self._recent
        return float(np.median(values)) if values else float("nan")

    def recent_p95(self, items: bool = False) -> float:
        """95th percentile of the lag of the last `window` labels (seconds, or items)."""
        values = self._recent_items if items else self._recent
        return float(np.percentile(values, 95)) if values else float("nan")

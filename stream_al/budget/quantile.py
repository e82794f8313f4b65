"""An adaptive threshold that admits a target share of recent scores.

It keeps the last `window` scores sorted and admits an item when its score is
in the top `rate` share of them: the threshold follows the score distribution
as the model grows more or less confident, so spending stays on target without
hand-tuned constants (in the spirit of the balanced incremental quantile filter,
Kottke et al. 2015, *Probabilistic active learning in datastreams*, IDA).

>>> q = QuantileThreshold(rate=0.25, window=8)
>>> [q.admit(s) for s in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.05, 0.9]]
[True, True, True, True, True, True, True, True, False, True]
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

from stream_al.exceptions import ConfigError

__all__ = ["QuantileThreshold"]


class QuantileThreshold:
    """Admit scores in the top `rate` share of the last `window` scores.

    Parameters
    ----------
    rate
        Target share of items admitted, in (0, 1].
    window
        How many recent scores define the threshold.
    """

    def __init__(self, rate: float, window: int = 500) -> None:
        if not 0.0 < rate <= 1.0:
            raise ConfigError(f"threshold rate must be in (0, 1], got {rate}")
        if window < 1:
            raise ConfigError(f"threshold window must be positive, got {window}")
        self.rate = rate
        self.window = window
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []

    @property
    def threshold(self) -> float:
        """The score an item must reach to be admitted now."""
        return self.threshold_at(self.rate)

    def threshold_at(self, rate: float) -> float:
        """The score in the top `rate` share of the recent scores."""
        n = len(self._sorted)
        if n == 0:
            return 0.0
        k = min(n - 1, max(0, int((1.0 - rate) * n)))
        return self._sorted[k]

    def admit(self, score: float, rate: float | None = None) -> bool:
        """Record `score` and say whether it is in the top share (`rate`, or the default)."""
        self._push(score)
        return score >= self.threshold_at(self.rate if rate is None else rate)

    def _push(self, score: float) -> None:
        self._fifo.append(score)
        insort(self._sorted, score)
        if len(self._fifo) > self.window:
            old = self._fifo.popleft()
            del self._sorted[bisect_left(self._sorted, old)]

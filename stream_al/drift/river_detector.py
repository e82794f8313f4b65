"""A river drift detector behind stream-al's contract: a name and a readable statistic."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from stream_al.drift.base import DriftDetector
from stream_al.exceptions import DriftError

__all__ = ["RiverDetector"]


class RiverDetector(DriftDetector):
    """Wraps any river drift detector (``river.drift`` or ``river.drift.binary``).

    River's detector does the detecting; the wrapper adds the `name` alerts
    report and a `statistic` for people: the mean of the last `rate_window`
    inputs, which on a 0/1 error stream is the recent error rate.

    Parameters
    ----------
    detector
        A river detector instance, e.g. ``river.drift.ADWIN()``.
    name
        The name reported in alerts.
    rate_window
        How many recent inputs `statistic` averages over.

    Examples
    --------
    >>> import numpy as np
    >>> from river import drift
    >>> rng = np.random.default_rng(7)
    >>> errors = np.r_[rng.random(500) < 0.1, rng.random(500) < 0.5]
    >>> detector = RiverDetector(drift.ADWIN(clock=1), name="adwin")
    >>> for i, error in enumerate(errors):
    ...     detector.update(float(error))
    ...     if detector.drift_detected:
    ...         print(f"drift at {i}, recent error rate {detector.statistic:.2f}")
    drift at 536, recent error rate 0.24
    """

    statistic_name = "recent error rate"

    def __init__(self, detector: Any, name: str, rate_window: int = 100) -> None:
        if not callable(getattr(detector, "update", None)) or not hasattr(
            detector, "drift_detected"
        ):
            raise DriftError(
                f"{detector!r} is not a river drift detector (it needs update() and "
                "drift_detected); pass e.g. river.drift.ADWIN()"
            )
        if rate_window < 1:
            raise DriftError(f"rate_window must be at least 1, got {rate_window}")
        self.detector = detector
        self.name = name
        self.rate_window = rate_window
        self._recent: deque[float] = deque(maxlen=rate_window)
        self._sum = 0.0

    def update(self, x: float) -> None:
        self.detector.update(x)
        recent = self._recent
        if len(recent) == self.rate_window:
            self._sum -= recent[0]
        recent.append(x)
        self._sum += x

    @property
    def drift_detected(self) -> bool:
        return bool(self.detector.drift_detected)

    @property
    def warning_detected(self) -> bool:
        return bool(getattr(self.detector, "warning_detected", False))

    @property
    def statistic(self) -> float:
        """Mean of the last `rate_window` inputs (nan before the first)."""
        return self._sum / len(self._recent) if self._recent else math.nan

    def reset(self) -> None:
        """Replace the river detector with a fresh one of the same parameters."""
        self.detector = self.detector.clone()
        self._recent.clear()
        self._sum = 0.0

    def __repr__(self) -> str:
        return f"RiverDetector({self.detector!r}, name={self.name!r})"

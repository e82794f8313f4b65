"""How often the model is right at a given confidence, learnt from labelled items.

Every human label tests the model before it trains it (test-then-train), so
each one gives a pair *(confidence the model had, whether it was right)*. The
last `window` pairs, binned by confidence, say how far the model's confidence
can be trusted now. Two things rest on them:

- **a calibrated threshold** for pseudo-labels: the lowest confidence above
  which the labelled items were right at least `precision` of the time,
  judged on a Wilson lower bound so a handful of lucky labels does not count;
- **a label-free accuracy estimate**: the mean calibrated confidence of the
  items scored recently, in the spirit of confidence-based performance
  estimation (CBPE, NannyML; Guo et al. 2017 for calibration by binning).
  When the model's confidence is calibrated, its mean is the expected
  accuracy, with no label needed for the items themselves.

Labels chosen by uncertainty sampling are mostly low-confidence ones, but the
accuracy *within* a confidence bin is what is estimated, so choosing items by
their confidence does not bias it (the random share fills the confident bins).

>>> import numpy as np
>>> cal = ConfidenceCalibrator(bins=5, min_support=10)
>>> for i in range(400):
...     confidence = 0.5 + (i % 50) / 100          # 0.50 .. 0.99
...     cal.update(confidence, correct=(i % 10) < 9 if confidence >= 0.8 else i % 2 == 0)
>>> round(cal.threshold(precision=0.8), 2)
0.8
>>> cal.threshold(precision=0.99) is None
True
>>> cal.calibrate(np.array([0.95, 0.55])).round(2).tolist()  # 80 labels per bin
[0.9, 0.5]
>>> ConfidenceCalibrator().calibrate(0.7).tolist()  # no labels: the confidence itself
[0.7]
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

__all__ = ["ConfidenceCalibrator"]


class ConfidenceCalibrator:
    """Reliability of the model's top-class confidence, over recent labels.

    Parameters
    ----------
    bins
        Equal-width bins over confidences in ``[0, 1]`` (with k classes only
        those above 1/k are ever used).
    window
        Most recent labelled pairs kept (memory is bounded by it).
    min_support
        Fewest labels behind a bin (or behind the items above a threshold)
        before they count.
    z
        The Wilson bound's z (1.645: a one-sided 95% lower bound).
    prior
        Weight, in labels, of the model's own confidence in `calibrate`.
    """

    def __init__(
        self,
        bins: int = 10,
        window: int = 1000,
        min_support: int = 30,
        z: float = 1.645,
        prior: float = 10.0,
    ) -> None:
        if bins < 1 or window < 1 or min_support < 1:
            raise ValueError("bins, window and min_support must be >= 1")
        self.bins = bins
        self.min_support = min_support
        self.z = z
        self.prior = prior
        self._pairs: deque[tuple[float, bool]] = deque(maxlen=window)
        self._cached: tuple[int, np.ndarray, np.ndarray] | None = None
        self._version = 0

    def __len__(self) -> int:
        return len(self._pairs)

    def update(self, confidence: float, correct: bool) -> None:
        """Record one labelled item: the model's top-class confidence, and whether it was right."""
        self._pairs.append((float(confidence), bool(correct)))
        self._version += 1

    def reset(self) -> None:
        """Forget every pair (after a drift the old reliability no longer holds)."""
        self._pairs.clear()
        self._version += 1

    def threshold(self, precision: float) -> float | None:
        """Lowest confidence whose labelled items above it reach `precision`, or None.

        Scans the labelled confidences from the top down and keeps the lowest
        cut at which the Wilson lower bound of the share right above it is at
        least `precision`, with at least `min_support` labels above it.
        """
        if len(self._pairs) < self.min_support:
            return None
        pairs = sorted(self._pairs, reverse=True)
        best: float | None = None
        right = 0
        for n, (confidence, correct) in enumerate(pairs, start=1):
            right += correct
            if n < len(pairs) and pairs[n][0] == confidence:
                continue  # a cut falls between distinct confidences only
            if n >= self.min_support and _wilson_lower(right, n, self.z) >= precision:
                best = confidence
        return best

    def calibrate(self, confidence: np.ndarray | float) -> np.ndarray:
        """The recent accuracy of items with this confidence.

        Each bin's share right, shrunk towards the confidence itself by
        `prior` pseudo-observations: ``(right + prior·c) / (n + prior)``. A bin
        with many labels speaks for itself; one with none leaves the model's
        own confidence unchanged (uncertainty sampling rarely labels confident
        items, and borrowing a neighbour's accuracy would be worse).
        """
        c = np.atleast_1d(np.asarray(confidence, dtype=float))
        counts, right = self._table()
        index = np.clip((c * self.bins).astype(int), 0, self.bins - 1)
        m = self.prior
        return np.asarray((right[index] + m * c) / (counts[index] + m))

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """Labels and right answers per confidence bin (cached until the pairs change)."""
        if self._cached is None or self._cached[0] != self._version:
            counts: np.ndarray = np.zeros(self.bins)
            right: np.ndarray = np.zeros(self.bins)
            if self._pairs:
                arr = np.array(self._pairs, dtype=float)
                index = np.clip((arr[:, 0] * self.bins).astype(int), 0, self.bins - 1)
                counts = np.bincount(index, minlength=self.bins).astype(float)
                right = np.bincount(index, weights=arr[:, 1], minlength=self.bins)
            self._cached = (self._version, counts, right)
        return self._cached[1], self._cached[2]


def _wilson_lower(right: int, n: int, z: float) -> float:
    """Wilson score interval's lower bound for a proportion (Wilson 1927)."""
    p = right / n
    denominator = 1.0 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / denominator

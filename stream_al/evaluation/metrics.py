"""Prequential metrics: accuracy and Cohen's kappa, overall and over a recent window.

Each prediction is scored before the item can teach the model anything
(test-then-train), so the numbers are honest estimates of live performance.

>>> m = PrequentialMetrics(window=4)
>>> for y, p in [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]:
...     _ = m.update(y, p)
>>> m.accuracy, round(m.kappa, 3), m.window_accuracy
(0.75, 0.5, 0.75)
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Hashable

__all__ = ["PrequentialMetrics"]


class PrequentialMetrics:
    """Running accuracy and Cohen's kappa over every prediction.

    Parameters
    ----------
    window
        Length of the recent window for `window_accuracy`.
    """

    def __init__(self, window: int = 1000) -> None:
        self.n = 0
        self.correct = 0
        self._true: Counter[Hashable] = Counter()
        self._pred: Counter[Hashable] = Counter()
        self._recent: deque[bool] = deque(maxlen=window)
        self._recent_correct = 0

    def update(self, y_true: Hashable, y_pred: Hashable) -> bool:
        """Score one prediction; returns whether it was right."""
        ok = y_true == y_pred
        self.n += 1
        self.correct += ok
        self._true[y_true] += 1
        self._pred[y_pred] += 1
        recent = self._recent
        if len(recent) == recent.maxlen:
            self._recent_correct -= recent[0]
        recent.append(ok)
        self._recent_correct += ok
        return ok

    @property
    def accuracy(self) -> float:
        """Share of correct predictions so far."""
        return self.correct / self.n if self.n else 0.0

    @property
    def kappa(self) -> float:
        """Cohen's kappa: agreement with the truth beyond what chance gives."""
        if not self.n:
            return 0.0
        n2 = float(self.n) ** 2
        pe = sum(c * self._pred.get(y, 0) for y, c in self._true.items()) / n2
        if pe >= 1.0:
            return 0.0
        return (self.accuracy - pe) / (1.0 - pe)

    @property
    def window_accuracy(self) -> float:
        """Accuracy over the most recent `window` predictions."""
        return self._recent_correct / len(self._recent) if self._recent else 0.0

    @property
    def recent_accuracy(self) -> float | None:
        """`window_accuracy`, or None before the first prediction (no estimate yet)."""
        return self.window_accuracy if self._recent else None

"""Density and diversity: prefer items typical of the stream and unlike recent queries.

Information density (Settles and Craven 2008, *An analysis of active learning
strategies for sequence labeling tasks*, EMNLP) weights a base informativeness
by how similar an item is to the rest of the input distribution, so outliers
are not queried just because the model is unsure about them. In a stream the
"rest" is a sliding window of recent items. A diversity factor also lowers the
score of items close to ones queried recently, so one region does not eat the
budget.

Numeric features are standardised with running means and variances; the
similarity is ``exp(-d² / (2·dims))`` on standardised values.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from stream_al.items import Item
from stream_al.strategies.base import Scored, Strategy
from stream_al.strategies.uncertainty import Margin

__all__ = ["DensityWeighted"]


class DensityWeighted(Strategy):
    """A base score times ``density^beta`` times a diversity factor.

    Parameters
    ----------
    base
        The informativeness to weight (margin by default).
    beta
        Weight of the density term (0 switches it off).
    window
        Recent items that define the density.
    diversity
        Weight of the diversity term (0 switches it off).
    queried_window
        Recent queried items the diversity term compares with.

    Examples
    --------
    >>> import numpy as np
    >>> s = DensityWeighted(window=50)
    >>> items = [Item(id=str(i), event_time=i, features={"x": float(i % 5)}) for i in range(60)]
    >>> for it in items:
    ...     s.update(it, queried=False)
    >>> odd = Item(id="far", event_time=61, features={"x": 40.0})
    >>> batch = Scored(items=[items[0], odd], proba=np.full((2, 2), 0.5), classes=[0, 1])
    >>> typical, outlier = s.score(batch)
    >>> bool(typical > outlier)
    True
    """

    name = "density"

    def __init__(
        self,
        base: Strategy | None = None,
        beta: float = 1.0,
        window: int = 200,
        diversity: float = 0.5,
        queried_window: int = 20,
    ) -> None:
        self.base = base or Margin()
        self.beta = beta
        self.diversity = diversity
        self._names: dict[str, int] = {}
        self._recent: deque[np.ndarray] = deque(maxlen=window)
        self._queried: deque[np.ndarray] = deque(maxlen=queried_window)
        self._n = 0
        self._mean = np.zeros(0)
        self._m2 = np.zeros(0)

    def score(self, batch: Scored) -> np.ndarray:
        base = self.base.score(batch)
        if not self._recent or not len(batch):
            return base
        x = self._standardise(np.stack([self._vector(it) for it in batch.items]))
        dims = max(x.shape[1], 1)
        recent = self._standardise(self._stack(self._recent, x.shape[1]))
        density = np.exp(-_sq_dist(x, recent) / (2.0 * dims)).mean(axis=1)
        out = base * density**self.beta
        if self.diversity > 0 and self._queried:
            queried = self._standardise(self._stack(self._queried, x.shape[1]))
            nearest = np.exp(-_sq_dist(x, queried) / (2.0 * dims)).max(axis=1)
            out = out * (1.0 - self.diversity * nearest)
        return np.asarray(np.clip(out, 0.0, 1.0), dtype=float)

    def update(self, item: Item, queried: bool) -> None:
        v = self._vector(item)
        self._welford(v)
        self._recent.append(v)
        if queried:
            self._queried.append(v)

    # -- helpers ------------------------------------------------------------------------------
    def _vector(self, item: Item) -> np.ndarray:
        names = self._names
        for key, value in item.features.items():
            if key not in names and not isinstance(value, str):
                names[key] = len(names)
        v = np.zeros(len(names))
        for key, value in item.features.items():
            j = names.get(key)
            if j is not None and not isinstance(value, str):
                v[j] = float(value)
        return v

    def _welford(self, v: np.ndarray) -> None:
        if len(v) > len(self._mean):
            pad = len(v) - len(self._mean)
            self._mean = np.concatenate([self._mean, np.zeros(pad)])
            self._m2 = np.concatenate([self._m2, np.zeros(pad)])
        v = np.concatenate([v, np.zeros(len(self._mean) - len(v))])
        self._n += 1
        delta = v - self._mean
        self._mean += delta / self._n
        self._m2 += delta * (v - self._mean)

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        d = x.shape[1]
        mean = np.zeros(d)
        std = np.ones(d)
        m = min(d, len(self._mean))
        mean[:m] = self._mean[:m]
        if self._n > 1:
            std[:m] = np.sqrt(np.maximum(self._m2[:m] / (self._n - 1), 1e-12))
        return (x - mean) / std

    @staticmethod
    def _stack(rows: deque[np.ndarray], width: int) -> np.ndarray:
        out = np.zeros((len(rows), width))
        for i, r in enumerate(rows):
            out[i, : min(width, len(r))] = r[:width]
        return out


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of `a` and `b`."""
    return np.asarray(
        np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)
    )

"""Uncertainty: least confidence, margin and entropy of the predicted class distribution.

Settles, *Active Learning Literature Survey* (2009), section 3.1.

>>> import numpy as np
>>> batch = Scored(items=[], proba=np.array([[0.9, 0.1], [0.5, 0.5]]), classes=["a", "b"])
>>> LeastConfidence().score(batch).round(2).tolist()
[0.2, 1.0]
>>> Margin().score(batch).round(2).tolist()
[0.2, 1.0]
>>> Entropy().score(batch).round(2).tolist()
[0.47, 1.0]
"""

from __future__ import annotations

import numpy as np

from stream_al.strategies.base import Scored, Strategy

__all__ = ["Entropy", "LeastConfidence", "Margin", "entropy", "least_confidence", "margin"]


def least_confidence(proba: np.ndarray) -> np.ndarray:
    """``(1 - max p) · k / (k - 1)``: 0 when sure, 1 when uniform."""
    k = proba.shape[1]
    if k < 2:
        return np.zeros(proba.shape[0])
    return np.asarray(np.clip((1.0 - proba.max(axis=1)) * k / (k - 1), 0.0, 1.0), dtype=float)


def margin(proba: np.ndarray) -> np.ndarray:
    """``1 - (p_first - p_second)``: 1 when the top two classes tie."""
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    top2 = np.partition(proba, -2, axis=1)[:, -2:]
    return np.asarray(np.clip(1.0 - (top2[:, 1] - top2[:, 0]), 0.0, 1.0), dtype=float)


def entropy(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy normalised by ``log k``."""
    k = proba.shape[1]
    if k < 2:
        return np.zeros(proba.shape[0])
    p = np.clip(proba, 1e-12, 1.0)
    return np.asarray(np.clip(-(p * np.log(p)).sum(axis=1) / np.log(k), 0.0, 1.0), dtype=float)


class LeastConfidence(Strategy):
    """One minus the probability of the predicted class (rescaled to [0, 1])."""

    name = "least_confidence"

    def score(self, batch: Scored) -> np.ndarray:
        return least_confidence(batch.proba)


class Margin(Strategy):
    """One minus the gap between the two most probable classes."""

    name = "margin"

    def score(self, batch: Scored) -> np.ndarray:
        return margin(batch.proba)


class Entropy(Strategy):
    """Normalised entropy of the predicted class distribution."""

    name = "entropy"

    def score(self, batch: Scored) -> np.ndarray:
        return entropy(batch.proba)

"""Linear river models on a whole batch: one matrix product instead of a dict per item.

river predicts item by item through dicts (``transform_one``, then a dict dot
product). For the linear models of `stream_al.model.factory` (`LINEAR`:
logistic regression, one-vs-rest, softmax, and online bagging of those, each
behind `StandardiseOneHot`) the same numbers come from one standardised matrix
and the weights read once per batch: `LinearBatch` builds the matrix (numbers
standardised and clipped as `StandardiseOneHot.transform_one` does, one-hot
categories as the weights they hit), and `member_logits` / `linear_proba` apply
the classifiers. Results equal river's up to the order of floating-point sums.

Anything else (a text union, trees, naive Bayes) returns None, and the caller
goes item by item as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from river import compose, ensemble, linear_model, multiclass

from stream_al.items import Label
from stream_al.model.preprocessing import StandardiseOneHot

__all__ = ["LinearBatch", "linear_members", "linear_proba"]

#: A batch smaller than this goes item by item: the matrix set-up costs more than it saves.
MIN_BATCH = 16


class LinearBatch:
    """A batch of feature dicts, standardised as one matrix.

    Parameters
    ----------
    scaler
        The pipeline's `StandardiseOneHot` (its current statistics).
    xs
        The items' feature dicts (``RiverModel``'s inputs).
    """

    def __init__(self, scaler: StandardiseOneHot, xs: Sequence[dict[Any, Any]]) -> None:
        index: dict[Any, int] = {}
        rows: list[list[tuple[int, float]]] = []
        self.categories: list[list[str]] = []
        skip = scaler.skip
        for x in xs:
            row: list[tuple[int, float]] = []
            hits: list[str] = []
            for k, v in x.items():
                if k in skip:
                    continue
                if isinstance(v, str):
                    hits.append(f"{k}={v}")
                    continue
                j = index.get(k)
                if j is None:
                    j = index[k] = len(index)
                row.append((j, v))
            rows.append(row)
            self.categories.append(hits)
        self.keys = list(index)
        values = np.zeros((len(xs), len(index)))
        present = np.zeros((len(xs), len(index)), dtype=bool)
        for i, row in enumerate(rows):
            for j, v in row:
                values[i, j] = v
                present[i, j] = True
        mean = np.array([scaler._mean.get(k, np.nan) for k in self.keys])
        scale = np.array([scaler._scale.get(k, 1.0) for k in self.keys])
        z = (values - mean) * scale  # an unseen feature (no mean) is centred on itself: 0
        z[~present | np.isnan(z)] = 0.0
        np.clip(z, -scaler.clip, scaler.clip, out=z)
        #: The standardised numeric features, ``(n, len(keys))``.
        self.z = z

    def logits(self, weights: Any, intercept: float = 0.0) -> np.ndarray:
        """``w·z + b`` for each item, with `weights` a river weight vector (dict-like)."""
        get = weights.get
        w = np.array([get(k, 0.0) for k in self.keys])
        out = self.z @ w + intercept
        if any(self.categories):
            out += np.array([sum(get(c, 0.0) for c in hits) for hits in self.categories])
        return np.asarray(out, dtype=float)


def _sigmoid(raw: np.ndarray) -> np.ndarray:
    """river's sigmoid, clamped to exactly 0 and 1 beyond ±30."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(raw, -30.0, 30.0)))
    out[raw < -30.0] = 0.0
    out[raw > 30.0] = 1.0
    return out


def _proba_dicts(clf: Any, batch: LinearBatch) -> tuple[list[Label | bool], np.ndarray] | None:
    """A linear classifier's probabilities: ``(labels, (n, len(labels)))``, as river orders them."""
    if isinstance(clf, linear_model.LogisticRegression):
        p = _sigmoid(batch.logits(clf._weights, clf.intercept))
        return [False, True], np.column_stack([1.0 - p, p])
    if isinstance(clf, multiclass.OneVsRestClassifier):
        labels = list(clf.classifiers)
        if not labels or not all(
            isinstance(c, linear_model.LogisticRegression) for c in clf.classifiers.values()
        ):
            return None
        members: list[Any] = list(clf.classifiers.values())
        votes = np.column_stack([_sigmoid(batch.logits(c._weights, c.intercept)) for c in members])
        total = votes.sum(axis=1, keepdims=True)
        uniform = np.full_like(votes, 1.0 / len(labels))
        return labels, np.where(total > 0, votes / np.where(total > 0, total, 1.0), uniform)
    if isinstance(clf, linear_model.SoftmaxRegression):
        labels = list(clf.weights)
        if not labels:
            return labels, np.zeros((len(batch.z), 0))
        raw = np.column_stack([batch.logits(clf.weights[label]) for label in labels])
        raw -= raw.max(axis=1, keepdims=True)
        e = np.exp(raw)
        return labels, e / e.sum(axis=1, keepdims=True)
    return None


def _parts(estimator: Any) -> tuple[StandardiseOneHot, Any] | None:
    """The scaler and the classifier of a ``StandardiseOneHot | classifier`` pipeline."""
    if not isinstance(estimator, compose.Pipeline) or len(estimator.steps) != 2:
        return None
    scaler, clf = estimator.steps.values()
    if type(scaler) is not StandardiseOneHot:
        return None
    return scaler, clf


def linear_proba(
    estimator: Any, xs: Sequence[dict[Any, Any]]
) -> list[tuple[list[Any], np.ndarray]] | None:
    """Each member's ``(labels, probabilities)`` over `xs` (one member unless bagging), or
    None when `estimator` is not a linear pipeline this module knows."""
    parts = _parts(estimator)
    if parts is None:
        return None
    scaler, clf = parts
    members = list(clf) if isinstance(clf, ensemble.BaggingClassifier) else [clf]
    batch = LinearBatch(scaler, xs)
    out = []
    for member in members:
        found = _proba_dicts(member, batch)
        if found is None:
            return None
        out.append(found)
    return out


def linear_members(estimator: Any) -> bool:
    """Whether `linear_proba` handles `estimator`'s kind of pipeline (weights aside)."""
    parts = _parts(estimator)
    if parts is None:
        return False
    _, clf = parts
    linear = (
        linear_model.LogisticRegression,
        linear_model.SoftmaxRegression,
        multiclass.OneVsRestClassifier,
    )
    if isinstance(clf, ensemble.BaggingClassifier):
        return all(isinstance(m, linear) for m in clf)
    return isinstance(clf, linear)

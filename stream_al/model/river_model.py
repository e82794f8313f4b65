"""Any river classifier behind the `Model` protocol.

Unsupervised steps of a river pipeline (scalers, text vocabularies) learn from
every item through `observe`; supervised steps learn only from labels. (A model
that is never shown unlabelled items, like a learner in its own process, lets
its unsupervised steps learn from the labelled items instead.) That
way a scaler sees the whole stream even when one item in a hundred is labelled.

An item's text reaches the pipeline as the feature `TEXT_KEY`, for a text
transformer such as ``feature_extraction.TFIDF(on=TEXT_KEY)`` to turn into
features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from river import base, compose

from stream_al.exceptions import ModelError
from stream_al.items import Item, Label
from stream_al.model.linear import MIN_BATCH, linear_members, linear_proba
from stream_al.model.preprocessing import StandardiseOneHot

__all__ = ["TEXT_KEY", "RiverCommittee", "RiverModel"]

#: The feature under which an item's text is handed to the pipeline.
TEXT_KEY = "__text__"


class RiverModel:
    """Wrap a river classifier (or a pipeline ending in one).

    Parameters
    ----------
    estimator
        A river classifier, or a `compose.Pipeline` whose last step is one.
    classes
        Classes known in advance, in a fixed order (optional: they are also
        discovered from labels).
    name
        A short name for reports; defaults to the estimator's repr.

    Examples
    --------
    >>> from river import linear_model, preprocessing
    >>> m = RiverModel(preprocessing.StandardScaler() | linear_model.LogisticRegression(),
    ...                classes=["no", "yes"])
    >>> items = [Item(id=str(i), event_time=i, features={"x": float(i % 2)}) for i in range(40)]
    >>> for it in items:
    ...     m.observe(it)
    ...     m.learn_one(it, "yes" if it.features["x"] else "no")
    >>> proba = m.predict_proba_many(items[:2])
    >>> proba.shape, bool(proba[0, 0] > 0.5), bool(proba[1, 1] > 0.5)
    ((2, 2), True, True)
    """

    #: River scores item by item: big chunks only waste work when a label cuts one short.
    preferred_chunk = 8

    def __init__(
        self,
        estimator: base.Estimator,
        classes: Sequence[Label] | None = None,
        name: str | None = None,
    ) -> None:
        self.estimator: Any = estimator
        self.name = name or _short_name(estimator)
        self._classes: list[Label] = []
        self._index: dict[Label, int] = {}
        for c in classes or ():
            self._add_class(c)
        final = estimator[-1] if isinstance(estimator, compose.Pipeline) else estimator
        self._binary = not getattr(final, "_multiclass", False)
        self._unsupervised: list[Any] = _unsupervised_steps(estimator)
        self._is_linear = linear_members(estimator)
        self._n_learned = 0
        self._observing = False

    # -- protocol ---------------------------------------------------------------------------
    @property
    def classes(self) -> list[Label]:
        return list(self._classes)

    @property
    def n_learned(self) -> int:
        return self._n_learned

    def predict_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        k = max(len(self._classes), 1)
        out = np.full((len(items), k), 1.0 / k)
        if self._n_learned == 0 or not self._classes:
            return out
        members = self._linear(items)
        if members is not None:  # a linear pipeline: the batch as one matrix
            total = np.zeros_like(out)
            for labels, proba in members:
                total += self._columns(labels, proba, k)
            return _normalised(total, k)
        predict = self.estimator.predict_proba_one
        for row, item in enumerate(items):
            out[row] = self._row(predict(_features(item)), k)
        return out

    def observe(self, item: Item) -> None:
        self._observing = True
        self._learn_unsupervised(_features(item))

    def observe_many(self, items: Sequence[Item]) -> None:
        """`observe` each of `items`, in order (a standardiser learns the batch at once)."""
        self._observing = True
        steps = self._unsupervised
        if len(steps) == 1 and type(steps[0]) is StandardiseOneHot:
            steps[0].learn_many([_features(item) for item in items])
            return
        for item in items:
            self._learn_unsupervised(_features(item))

    def expect_observations(self) -> None:
        """Every item will come through `observe`: `learn_one` leaves the unsupervised steps be.

        (Otherwise the first `observe` says so; a label learnt before it would count twice.)
        """
        self._observing = True

    def learn_one(self, item: Item, label: Label, weight: float = 1.0) -> None:
        if label not in self._index:
            self._add_class(label)
        if self._binary and len(self._classes) > 2:
            raise ModelError(
                f"model {self.name!r} is binary but the stream has more than two classes "
                f"({self._classes[:5]}...); choose a multiclass model"
            )
        y: Any = label == self._classes[1] if self._binary and len(self._classes) > 1 else label
        if self._binary and len(self._classes) == 1:
            y = False
        x = _features(item)
        if not self._observing:  # a learner that never sees unlabelled items
            self._learn_unsupervised(x)
        with compose.learn_during_predict():  # supervised steps only: observe() did the rest
            if weight == 1.0:
                self.estimator.learn_one(x, y)
            else:
                self.estimator.learn_one(x, y, w=weight)
        self._n_learned += 1

    # -- helpers ----------------------------------------------------------------------------
    def _linear(self, items: Sequence[Item]) -> list[tuple[list[Any], np.ndarray]] | None:
        """Each member's probabilities from the matrix path (None: go item by item)."""
        if len(items) < MIN_BATCH or not self._is_linear:
            return None
        return linear_proba(self.estimator, [_features(item) for item in items])

    def _columns(self, labels: list[Any], proba: np.ndarray, k: int) -> np.ndarray:
        """A classifier's ``(labels, probabilities)`` as columns over `classes` (`_row`'s rule)."""
        out = np.zeros((len(proba), k))
        if self._binary:
            if k == 2 and True in labels:
                p = proba[:, labels.index(True)]
                out[:, 0], out[:, 1] = 1.0 - p, p
            else:
                out[:] = 1.0 / k
            return out
        for c, label in enumerate(labels):
            j = self._index.get(label)
            if j is not None:
                out[:, j] = proba[:, c]
        return out

    def _row(self, proba: dict[Any, float], k: int) -> np.ndarray:
        """One river probability dict as a row over `classes` (uniform when empty)."""
        row = np.zeros(k)
        if self._binary:
            p = float(proba.get(True, 0.0))
            row[:] = (1.0 - p, p) if k == 2 else 1.0 / k
            return row
        for label, p in proba.items():
            j = self._index.get(label)
            if j is not None:
                row[j] = p
        total = row.sum()
        return row / total if total > 0 else np.full(k, 1.0 / k)

    def _learn_unsupervised(self, x: dict[Any, Any]) -> None:
        last = len(self._unsupervised) - 1
        for i, step in enumerate(self._unsupervised):
            step.learn_one(x)
            if i < last:  # the last step's output would only be thrown away
                x = step.transform_one(x)

    def _add_class(self, label: Label) -> None:
        self._index[label] = len(self._classes)
        self._classes.append(label)

    def __repr__(self) -> str:
        return f"RiverModel({self.name})"


def _normalised(rows: np.ndarray, k: int) -> np.ndarray:
    """Rows scaled to sum to 1 (uniform where a row sums to 0), as `RiverModel._row` does."""
    total = rows.sum(axis=1, keepdims=True)
    return np.where(total > 0, rows / np.where(total > 0, total, 1.0), 1.0 / k)


def _features(item: Item) -> dict[Any, Any]:
    if item.text is None:
        return item.features
    return {**item.features, TEXT_KEY: item.text}


def _unsupervised_steps(estimator: base.Estimator) -> list[Any]:
    """The leading unsupervised transformers of a pipeline, in order."""
    if not isinstance(estimator, compose.Pipeline):
        return []
    steps = []
    for step in list(estimator.steps.values())[:-1]:
        if getattr(step, "_supervised", False) or not hasattr(step, "transform_one"):
            break
        steps.append(step)
    return steps


def _short_name(estimator: base.Estimator) -> str:
    if isinstance(estimator, compose.Pipeline):
        return " | ".join(type(s).__name__ for s in estimator.steps.values())
    return type(estimator).__name__


class RiverCommittee(RiverModel):
    """A river ensemble (bagging, random forest) whose members can be asked one by one.

    The members' disagreement feeds the committee strategy.

    >>> from river import ensemble, linear_model
    >>> m = RiverCommittee(
    ...     ensemble.BaggingClassifier(linear_model.LogisticRegression(), n_models=3, seed=1),
    ...     classes=[False, True])
    >>> it = Item(id="1", event_time=0, features={"x": 1.0})
    >>> m.learn_one(it, True)
    >>> m.predict_member_proba_many([it]).shape
    (3, 1, 2)
    """

    def predict_member_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        est = self.estimator
        final = est[-1] if isinstance(est, compose.Pipeline) else est
        members = list(final)
        k = max(len(self._classes), 1)
        # an ensemble that grows its members as it learns (arf) may have none yet: then one
        # uniform member, so that disagreement is 0 rather than the mean of nothing
        out = np.full((max(len(members), 1), len(items), k), 1.0 / k)
        if self._n_learned == 0 or not self._classes or not members:
            return out
        linear = self._linear(items)
        if linear is not None:
            for m, (labels, proba) in enumerate(linear):
                out[m] = _normalised(self._columns(labels, proba, k), k)
            return out
        for row, item in enumerate(items):
            x = _features(item)
            if isinstance(est, compose.Pipeline):
                x = est.transform_one(x)
            for m, member in enumerate(members):
                out[m, row] = self._row(member.predict_proba_one(x), k)
        return out

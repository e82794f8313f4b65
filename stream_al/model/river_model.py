"""Any river classifier behind the `Model` protocol.

Unsupervised steps of a river pipeline (scalers, text vocabularies) learn from
every item through `observe`; supervised steps learn only from labels. That
way a scaler sees the whole stream even when one item in a hundred is labelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from river import base, compose

from stream_al.exceptions import ModelError
from stream_al.items import Item, Label

__all__ = ["RiverModel"]

TextTransform = Any  # a river transformer taking a string (BagOfWords, TFIDF, ...)


class RiverModel:
    """Wrap a river classifier (or a pipeline ending in one).

    Parameters
    ----------
    estimator
        A river classifier, or a `compose.Pipeline` whose last step is one.
    classes
        Classes known in advance, in a fixed order (optional: they are also
        discovered from labels).
    text
        A river text transformer (e.g. `feature_extraction.BagOfWords()`) that
        turns `Item.text` into features; it learns from every observed item.
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
        estimator: base.Classifier,
        classes: Sequence[Label] | None = None,
        text: TextTransform | None = None,
        name: str | None = None,
    ) -> None:
        self.estimator = estimator
        self.text = text
        self.name = name or _short_name(estimator)
        self._classes: list[Label] = []
        self._index: dict[Label, int] = {}
        for c in classes or ():
            self._add_class(c)
        final = estimator[-1] if isinstance(estimator, compose.Pipeline) else estimator
        self._binary = not getattr(final, "_multiclass", False)
        self._unsupervised: list[Any] = _unsupervised_steps(estimator)
        self._n_learned = 0
        self._features: Callable[[Item], dict[str, Any]] = (
            self._with_text if text is not None else _plain_features
        )

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
        predict = self.estimator.predict_proba_one
        index = self._index
        for row, item in enumerate(items):
            proba = predict(self._features(item))
            if self._binary:
                p = float(proba.get(True, 0.0))
                if k == 2:
                    out[row, 0], out[row, 1] = 1.0 - p, p
                continue
            total = 0.0
            values = out[row]
            values[:] = 0.0
            for label, p in proba.items():
                j = index.get(label)
                if j is not None:
                    values[j] = p
                    total += p
            if total > 0:
                values /= total
            else:
                values[:] = 1.0 / k
        return out

    def observe(self, item: Item) -> None:
        x = self._features(item) if self.text is None else self._observe_text(item)
        for step in self._unsupervised:
            step.learn_one(x)
            x = step.transform_one(x)

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
        x = self._features(item)
        with compose.learn_during_predict():  # only supervised steps learn here
            if weight == 1.0:
                self.estimator.learn_one(x, y)
            else:
                self.estimator.learn_one(x, y, w=weight)
        self._n_learned += 1

    # -- helpers ----------------------------------------------------------------------------
    def _add_class(self, label: Label) -> None:
        self._index[label] = len(self._classes)
        self._classes.append(label)

    def _with_text(self, item: Item) -> dict[str, Any]:
        x: dict[str, Any] = dict(item.features)
        if item.text:
            x.update(self.text.transform_one(item.text))
        return x

    def _observe_text(self, item: Item) -> dict[str, Any]:
        if item.text and hasattr(self.text, "learn_one"):
            self.text.learn_one(item.text)
        return self._with_text(item)

    def __repr__(self) -> str:
        return f"RiverModel({self.name})"


def _plain_features(item: Item) -> dict[str, Any]:
    return item.features


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

"""The model contract: probabilities for a batch of items, and learning from labels.

Every model stream-al drives (river classifiers, torch networks) sits behind
this one small protocol. Probabilities come back as a matrix whose columns
follow `classes` at the time of the call; the class list may grow as new
labels arrive, never shrink or reorder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from stream_al.items import Item, Label

__all__ = ["CommitteeModel", "Model"]


@runtime_checkable
class Model(Protocol):
    """An incremental classifier.

    `predict_proba_many` must not change the model; `observe` and
    `observe_many` are the only places an unlabelled item may update it
    (scalers, vocabularies), and `learn_one` the only place a label may.
    """

    @property
    def classes(self) -> list[Label]:
        """Known classes, in the column order of `predict_proba_many`."""
        ...

    @property
    def n_learned(self) -> int:
        """How many labelled items the model has learned from."""
        ...

    def predict_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        """Class probabilities, shape ``(len(items), len(classes))``; rows sum to 1."""
        ...

    def observe(self, item: Item) -> None:
        """Update the unsupervised parts of the model with an unlabelled item."""
        ...

    def observe_many(self, items: Sequence[Item]) -> None:
        """`observe` each of `items`, in order (as one batch where the model can)."""
        ...

    def learn_one(self, item: Item, label: Label, weight: float = 1.0) -> None:
        """Learn from one labelled item."""
        ...


@runtime_checkable
class CommitteeModel(Model, Protocol):
    """A model made of members whose disagreement is itself a signal."""

    def predict_member_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        """Per-member probabilities, shape ``(n_members, len(items), len(classes))``."""
        ...

"""The query-strategy contract: turn a model's output into informativeness.

A strategy scores a batch of scored items; higher means more worth a label.
Scores lie in [0, 1] so rules and hybrids can compare and mix them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stream_al.items import Item, Label

__all__ = ["Scored", "Strategy"]


@dataclass(frozen=True)
class Scored:
    """A batch of items with what the model said about them.

    Attributes
    ----------
    items
        The items, in stream order.
    proba
        Class probabilities, shape ``(n, k)``, columns in the order of `classes`.
    classes
        The model's classes when it scored the batch.
    member_proba
        Per-member probabilities ``(m, n, k)`` for committee models, else None.
    """

    items: Sequence[Item]
    proba: np.ndarray
    classes: Sequence[Label]
    member_proba: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.items)


class Strategy(ABC):
    """Scores how informative each item of a batch is.

    Subclasses override `score`; stateful ones (density) also `update`.
    """

    #: The name users select the strategy by.
    name: str = ""
    #: Whether `score` needs per-member probabilities (a committee model).
    needs_members: bool = False

    @abstractmethod
    def score(self, batch: Scored) -> np.ndarray:
        """Informativeness in [0, 1] for each item, shape ``(n,)``."""

    def update(self, item: Item, queried: bool) -> None:  # noqa: B027 - optional hook
        """Tell the strategy that `item` was seen (and whether it was queried)."""

"""The text-embedding contract: many texts in, one fixed-size vector per text out.

A torch model fed with sentence embeddings, and the queue's diversity-aware
lease, both depend on this protocol only, never on a particular embedding
library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["TextEmbedder"]


@runtime_checkable
class TextEmbedder(Protocol):
    """Turns texts into unit-length vectors of a fixed size."""

    @property
    def dim(self) -> int:
        """Length of every vector `embed_many` returns."""
        ...

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts`, shape ``(len(texts), dim)``, float32, rows of norm 1."""
        ...

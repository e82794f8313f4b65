"""Feature makers that turn an item's raw fields into vectors for a model.

Text embedders (`TextEmbedder`): `HashingEmbedder` (pure numpy) and
`MiniLMEmbedder` (sentence embeddings; the ``text`` extra). `default_embedder`
is the process-wide MiniLM one; `make_embedder` picks one by its config name.
"""

from stream_al.features.base import TextEmbedder
from stream_al.features.embeddings import (
    EMBEDDERS,
    MiniLMEmbedder,
    default_embedder,
    make_embedder,
)
from stream_al.features.hashing import HashingEmbedder

__all__ = [
    "EMBEDDERS",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "TextEmbedder",
    "default_embedder",
    "make_embedder",
]

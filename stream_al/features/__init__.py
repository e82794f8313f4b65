"""Feature makers that turn an item's raw fields into vectors for a model."""

from stream_al.features.base import TextEmbedder

__all__ = ["TextEmbedder"]

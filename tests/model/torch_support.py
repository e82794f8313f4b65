"""Helpers of the torch model tests: a tiny deterministic text embedder and synthetic streams."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from stream_al.items import Item


class FakeEmbedder:
    """A `TextEmbedder` whose vector of a text depends only on the text (CRC-32 seeded)."""

    name = "fake-embedder"

    def __init__(self, dim: int = 4) -> None:
        self._dim = dim
        self.calls: list[list[str]] = []

    @property
    def dim(self) -> int:
        return self._dim

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [self.vector(t) for t in texts]
        return np.array(rows, dtype=np.float32).reshape(len(texts), self._dim)

    def vector(self, text: str) -> np.ndarray:
        """The embedding of `text` (what `embed_many` returns for it)."""
        v = np.random.default_rng(zlib.crc32(text.encode())).normal(size=self._dim)
        return (v / np.linalg.norm(v)).astype(np.float32)


def separable(n: int, seed: int = 0) -> list[tuple[Item, str]]:
    """Items with numeric and categorical features, labelled by a linear rule (no noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = rng.normal(size=3)
        item = Item(
            id=f"{seed}-{i}",
            event_time=float(i),
            features={"a": x[0], "b": x[1], "c": x[2], "colour": "red" if x[0] > 0 else "blue"},
        )
        out.append((item, "pos" if x[0] + 0.5 * x[1] - 0.3 * x[2] > 0 else "neg"))
    return out


def accuracy(model: object, data: list[tuple[Item, str]]) -> float:
    """Share of `data` whose most probable class is the label."""
    proba = model.predict_proba_many([x for x, _ in data])  # type: ignore[attr-defined]
    classes = model.classes  # type: ignore[attr-defined]
    hits = [classes[j] == y for j, (_, y) in zip(proba.argmax(1), data, strict=True)]
    return float(np.mean(hits))

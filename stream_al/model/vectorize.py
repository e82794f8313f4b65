"""Items as fixed-size vectors: standardised, one-hot, hashed features and a text embedding.

Numeric features are standardised and strings one-hot encoded by
`StandardiseOneHot`; the resulting named values are folded into `n_features`
buckets by the hashing trick with a sign hash (Weinberger et al. 2009,
"Feature hashing for large scale multitask learning"), so the vector keeps a
fixed size however many categories the stream brings. The bucket comes from
BLAKE2b of the name, never from Python's salted ``hash()``: a vector must mean
the same in every process and after a restart. An item's text, when an
embedder is given, is embedded and appended.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from stream_al.exceptions import ModelError
from stream_al.features.base import TextEmbedder
from stream_al.features.hashing import signed_bucket
from stream_al.items import Item
from stream_al.model.preprocessing import StandardiseOneHot

__all__ = ["HashedVectorizer"]

logger = logging.getLogger(__name__)

#: Names whose bucket is remembered; past this the memo starts afresh (memory stays bounded).
_MEMO_SIZE = 1 << 16
#: Texts whose embedding is remembered (an item is often scored again, then learned).
_EMBED_MEMO_SIZE = 1024


class HashedVectorizer:
    """Turn items into ``float32`` rows of ``n_features + embedder.dim`` values.

    Parameters
    ----------
    n_features
        Buckets of the hashing trick.
    embedder
        Embeds item text (its vector follows the hashed features); without
        one, text is ignored.
    clip
        Clip of the standardised numbers (see `StandardiseOneHot`).

    Examples
    --------
    >>> v = HashedVectorizer(n_features=16)
    >>> for x in (1.0, 3.0):
    ...     v.learn(Item(id=str(x), event_time=0, features={"a": x, "c": "red"}))
    >>> row = v.transform_many([Item(id="q", event_time=0, features={"a": 3.0, "c": "red"})])[0]
    >>> row.shape, float(np.abs(row).sum())
    ((16,), 2.0)
    """

    def __init__(
        self, n_features: int, embedder: TextEmbedder | None = None, clip: float = 5.0
    ) -> None:
        self.n_features = n_features
        self.embedder = embedder
        self.scaler = StandardiseOneHot(clip=clip)
        self._buckets: dict[str, tuple[int, float]] = {}
        self._embedded: OrderedDict[str, np.ndarray] = OrderedDict()
        self._warned_text = False
        #: The last batch and its rows: a model scoring a batch twice (probabilities, then
        #: members) vectorises it once, unless the statistics moved in between.
        self._last: tuple[list[Item], np.ndarray] | None = None

    @property
    def dim(self) -> int:
        """Length of every row."""
        return self.n_features + (self.embedder.dim if self.embedder is not None else 0)

    def learn(self, item: Item) -> None:
        """Update the running statistics of the numeric features with `item`."""
        self._last = None
        self.scaler.learn_one(item.features)

    def transform_many(self, items: Sequence[Item]) -> np.ndarray:
        """Rows for `items`, shape ``(len(items), dim)``, ``float32`` (not to be modified)."""
        last = self._last
        if (
            last is not None
            and len(last[0]) == len(items)
            and all(a is b for a, b in zip(last[0], items, strict=True))
        ):
            return last[1]
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        transform, bucket = self.scaler.transform_one, self._bucket
        for row, item in enumerate(items):
            for name, value in transform(item.features).items():
                j, sign = bucket(name)
                rows.append(row)
                cols.append(j)
                values.append(sign * value)
        np.add.at(out, (rows, cols), values)
        self._embed_into(items, out)
        self._last = (list(items), out)
        return out

    def stats(self) -> dict[str, dict[str, float]]:
        """The running statistics of the numeric features, as plain dicts (for checkpoints)."""
        return self.scaler.state()

    def restore_stats(self, stats: dict[str, dict[str, float]]) -> None:
        """Put back statistics `stats` returned (keys must be names, values numbers)."""
        self.scaler.load_state(stats)
        self._last = None

    def _bucket(self, name: str) -> tuple[int, float]:
        found = self._buckets.get(name)
        if found is None:
            if len(self._buckets) >= _MEMO_SIZE:
                self._buckets.clear()
            found = self._buckets[name] = signed_bucket(name, self.n_features)
        return found

    def _embed_into(self, items: Sequence[Item], out: np.ndarray) -> None:
        """Write the embedding of each item's text after its hashed features."""
        texted = [(row, item.text) for row, item in enumerate(items) if item.text is not None]
        if not texted:
            return
        if self.embedder is None:
            if not self._warned_text:
                logger.warning(
                    "item text ignored item=%s reason=no_embedder", items[texted[0][0]].id
                )
                self._warned_text = True
            return
        missing = list(dict.fromkeys(t for _, t in texted if t not in self._embedded))
        if missing:
            vectors = np.asarray(self.embedder.embed_many(missing), dtype=np.float32)
            if vectors.shape != (len(missing), self.embedder.dim):
                raise ModelError(
                    f"the text embedder returned shape {vectors.shape} for {len(missing)} "
                    f"texts; expected ({len(missing)}, {self.embedder.dim})"
                )
            for text, vector in zip(missing, vectors, strict=True):
                self._embedded[text] = vector
        for row, text in texted:
            out[row, self.n_features :] = self._embedded[text]
            self._embedded.move_to_end(text)
        while len(self._embedded) > _EMBED_MEMO_SIZE:
            self._embedded.popitem(last=False)

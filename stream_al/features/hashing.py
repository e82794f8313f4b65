"""A text embedder in pure numpy: hashed word n-grams, no model, no torch.

Each text becomes a bag of lower-cased words and word pairs (and, optionally,
character 3-grams of the words), hashed into `dim` buckets with a random sign
per n-gram, then scaled to length 1: the "hashing trick" of Weinberger et al.
(2009), *Feature hashing for large scale multitask learning*, ICML. The signs
make colliding n-grams cancel on average rather than add up.

The hash is BLAKE2b of the n-gram's UTF-8 bytes, so a text gets the same vector
in every process and on every machine (Python's own ``hash`` of a string is
salted per process). Cheap enough to embed every item of a stream; used for
diversity in the annotation queue when no torch is installed, and in tests.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np

from stream_al.exceptions import ConfigError

__all__ = ["HashingEmbedder", "signed_bucket"]

_WORD = re.compile(r"\w+")
#: The n-gram every text without a word gets, so it still has a unit vector.
_EMPTY = "\x00empty"


class HashingEmbedder:
    """Hashed word unigrams and bigrams (and optional char 3-grams), L2-normalised.

    A `stream_al.features.TextEmbedder`.

    Parameters
    ----------
    dim
        Buckets, the length of every vector.
    char_ngrams
        Also hash the character 3-grams of each word (with ``<`` and ``>``
        marking its ends): robust to typos and inflections, slower.

    Examples
    --------
    >>> embedder = HashingEmbedder(dim=64)
    >>> texts = ["WIN a FREE prize now!!!", "win a free prize now", "see you"]
    >>> vectors = embedder.embed_many(texts)
    >>> vectors.shape, vectors.dtype.name
    ((3, 64), 'float32')
    >>> round(float(vectors[0] @ vectors[1]), 3), bool(vectors[0] @ vectors[2] < 0.5)
    (1.0, True)
    """

    def __init__(self, dim: int = 256, char_ngrams: bool = False) -> None:
        if dim < 2:
            raise ConfigError(f"a hashing embedder needs dim >= 2 buckets, got {dim}")
        self._dim = int(dim)
        self.char_ngrams = bool(char_ngrams)

    @property
    def dim(self) -> int:
        """Length of every vector."""
        return self._dim

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, shape ``(len(texts), dim)``, float32."""
        out = np.zeros((len(texts), self._dim), dtype=np.float64)
        for row, text in enumerate(texts):
            for gram in self._ngrams(text):
                bucket, sign = _bucket(gram, self._dim)
                out[row, bucket] += sign
            norm = np.linalg.norm(out[row])
            if norm == 0.0:  # no n-gram, or all cancelled out: still a unit vector
                bucket, sign = _bucket(_EMPTY, self._dim)
                out[row, bucket] = sign
            else:
                out[row] /= norm
        return out.astype(np.float32)

    def _ngrams(self, text: str) -> Iterator[str]:
        words = _WORD.findall(text.lower())
        yield from words
        for first, second in itertools.pairwise(words):
            yield f"{first} {second}"
        if self.char_ngrams:
            for word in words:
                marked = f"<{word}>"
                for start in range(len(marked) - 2):
                    yield "#" + marked[start : start + 3]  # "#": never equal to a word


def signed_bucket(name: str, n_buckets: int) -> tuple[int, float]:
    """The bucket of `name` among `n_buckets` and its sign (+1 or -1), stable across runs.

    BLAKE2b, not Python's `hash` (salted per process), so every process and
    every run hashes alike (the signed hashing trick of Weinberger et al. 2009).

    >>> signed_bucket("price", 256) == signed_bucket("price", 256)
    True
    >>> 0 <= signed_bucket("colour=red", 8)[0] < 8
    True
    """
    h = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return h % n_buckets, (-1.0 if h >> 63 else 1.0)


#: `signed_bucket`, memoised for n-grams (bounded).
_bucket = lru_cache(maxsize=1 << 16)(signed_bucket)

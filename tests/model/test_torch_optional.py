"""torch is an optional extra: the factory names the extra to install when it is missing."""

from __future__ import annotations

import sys
import types

import pytest

from stream_al.exceptions import ConfigError
from stream_al.model import MODELS, make_model


def test_the_torch_models_are_listed() -> None:
    assert "torch_mlp" in MODELS
    assert "MC-dropout" in MODELS["torch_mlp"]


def test_without_torch_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "stream_al.model.torch_model", None)  # import fails
    with pytest.raises(ConfigError, match=r"pip install 'stream-al\[torch\]' \(torch==2\.13\.0\)"):
        make_model("torch_mlp")


def test_a_text_stream_without_embeddings_names_the_text_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("torch")
    monkeypatch.setitem(sys.modules, "stream_al.features.embeddings", None)
    with pytest.raises(ConfigError, match=r"text extra: pip install 'stream-al\[text\]'"):
        make_model("torch_mlp", classes=["ham", "spam"], text=True)


def test_a_text_stream_uses_the_default_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    from torch_support import FakeEmbedder

    embedder = FakeEmbedder(6)
    fake = types.ModuleType("stream_al.features.embeddings")
    fake.default_embedder = lambda: embedder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "stream_al.features.embeddings", fake)
    model = make_model("torch_mlp", classes=["ham", "spam"], text=True)
    assert model.vectorizer.embedder is embedder  # type: ignore[attr-defined]
    assert model.vectorizer.dim == 256 + 6  # type: ignore[attr-defined]

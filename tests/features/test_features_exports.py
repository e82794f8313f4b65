"""The public names of `stream_al.features`; importing them never imports torch."""

from __future__ import annotations

import inspect
import subprocess
import sys

import stream_al.features as features


def test_every_public_name_exists_and_is_documented() -> None:
    assert features.__all__ == sorted(features.__all__)
    for name in features.__all__:
        obj = getattr(features, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"stream_al.features.{name} has no docstring"


def test_importing_the_embedders_loads_no_torch() -> None:
    code = (
        "import sys; from stream_al.features import MiniLMEmbedder, make_embedder;"
        "make_embedder('hashing').embed_many(['hi']); MiniLMEmbedder();"
        "print(sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

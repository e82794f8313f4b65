"""Collection rules for the whole checkout (the suite's fixtures live in tests/conftest.py).

torch is an optional extra. Without it, the library modules that import torch
are left out of doctest collection instead of failing to import; their tests
under tests/ skip on their own (``pytest.importorskip("torch")``).
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent

#: Library modules that import torch when imported.
TORCH_MODULES = frozenset(
    ROOT / "stream_al" / "model" / name
    for name in ("torch_model.py", "torch_net.py", "torch_checkpoint.py")
)


@cache
def _torch_importable() -> bool:
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """Skip the torch modules' doctests when torch cannot be imported."""
    if collection_path in TORCH_MODULES and not _torch_importable():
        return True
    return None

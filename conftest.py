"""Collection rules for the whole checkout (the suite's fixtures live in tests/conftest.py).

torch and confluent-kafka are optional extras. Without one, the library modules
that import it are left out of doctest collection instead of failing to import;
their tests under tests/ skip on their own (``pytest.importorskip``).
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
#: The confluent backend: every module of it imports confluent-kafka.
CONFLUENT_PACKAGE = ROOT / "stream_al" / "transport" / "confluent"


@cache
def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """Skip the doctests of modules whose optional extra cannot be imported."""
    if collection_path in TORCH_MODULES and not _importable("torch"):
        return True
    if collection_path.is_relative_to(CONFLUENT_PACKAGE) and not _importable("confluent_kafka"):
        return True
    return None

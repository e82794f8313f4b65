"""The public names of `stream_al.store` and `stream_al.config`; the store meets its protocols."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from stream_al.queue import QueueStore
from stream_al.store import MemoryQueueTable, MemoryStore, SqliteQueueStore, SqliteStore, Store


def _isort_order(name: str) -> tuple[int, str]:
    """Ruff's order of ``__all__``: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("module", ["stream_al.store", "stream_al.config"])
def test_every_public_name_exists_and_is_documented(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__ == sorted(mod.__all__, key=_isort_order)
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"{module}.{name} has no docstring"


def test_both_backends_have_every_method_of_the_protocol(tmp_path: Path) -> None:
    wanted = {n for n in vars(Store) if not n.startswith("_") and callable(getattr(Store, n))}
    sqlite = SqliteStore(tmp_path / "s.db")
    memory = MemoryStore()
    for backend in (sqlite, memory):
        store: Store = backend  # checked by mypy too
        for name in wanted:
            mine = inspect.signature(getattr(store, name))
            theirs = inspect.signature(getattr(Store, name))
            assert list(mine.parameters) == list(theirs.parameters)[1:], name
    tables: list[QueueStore] = [sqlite.queue_store(), memory.queue_store()]
    assert isinstance(tables[0], SqliteQueueStore)
    assert isinstance(tables[1], MemoryQueueTable)
    sqlite.close()

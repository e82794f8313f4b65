"""Fixtures of the scheduler tests: every test runs on both store backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stream_al.store import MemoryStore, SqliteStore, open_store
from stream_al.store.base import Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh `MemoryStore`, or a `SqliteStore` on a file of the test's own folder."""
    opened: MemoryStore | SqliteStore = (
        MemoryStore() if request.param == "memory" else open_store(tmp_path / "store.db")
    )
    yield opened
    opened.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A store file for restart tests (opened again by the test)."""
    return tmp_path / "restart.db"

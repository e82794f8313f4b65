"""Fixtures of the API tests: `api`, a running server (see `api_harness`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import Api, start_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """A running API server over a SQLite file, the memory broker and a fake clock."""
    running = start_api(tmp_path)
    try:
        yield running
    finally:
        running.close()

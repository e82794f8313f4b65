"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stream_al.clock import FakeClock

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The real streams: ``$STREAM_AL_DATA``, or ``../shared/data`` beside the checkout."""
    env = os.environ.get("STREAM_AL_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The folder of real drifting streams; the test is skipped when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real streams not found at {path} (set STREAM_AL_DATA)")
    return path


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says so."""
    return FakeClock(start=1_000.0)

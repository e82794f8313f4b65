"""The public entry point: what it exports, how it dispatches, how it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

import stream_al.datasets as datasets
from stream_al.datasets import Stream, StreamInfo, open_stream
from stream_al.exceptions import DataError


def test_public_api() -> None:
    assert set(datasets.__all__) == {
        "SYNTHETIC",
        "FeatureKind",
        "Stream",
        "StreamInfo",
        "open_stream",
    }
    for name in datasets.__all__:
        assert getattr(datasets, name) is not None
    assert isinstance(datasets.SYNTHETIC, dict)


def test_open_stream_returns_a_stream_with_its_info(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,y\n1,p\n")
    stream = open_stream(str(path))
    assert isinstance(stream, Stream)
    assert isinstance(stream.info, StreamInfo)
    assert stream.info.source == str(path)
    assert "s.csv" in repr(stream)


def test_missing_file_says_which_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no such file: .*nothere\.csv; check the path"):
        open_stream(tmp_path / "nothere.csv")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a folder"):
        open_stream(tmp_path)


def test_negative_limit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="limit"):
        open_stream("synth:sea", limit=-1)


def test_stream_info_is_frozen() -> None:
    info = open_stream("synth:sea?n=10").info
    with pytest.raises(ValueError, match="frozen"):
        info.name = "other"  # type: ignore[misc]


def test_stopping_early_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,y\n" + "1,p\n" * 1000)
    stream = open_stream(path, limit=5)
    examples = iter(stream)
    assert len(list(examples)) == 5  # exhausting the limited iterator closes the reader
    assert list(examples) == []

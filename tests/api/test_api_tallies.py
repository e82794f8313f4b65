"""The running counts behind stats and metrics, on both store backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stream_al.api import DriftWatch, LabelTally
from stream_al.drift.alerts import DriftAlert
from stream_al.store import open_store
from stream_al.store.base import Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = open_store(":memory:" if request.param == "memory" else tmp_path / "s.db")
    yield opened
    opened.close()


def test_label_tally_counts_new_labels_only_once(store: Store) -> None:
    tally = LabelTally(store, chunk=2)
    for i in range(5):
        store.add_label(str(i), "cat", annotator="ana" if i % 2 else "bob", time=float(i))
    store.add_label("9", "dog", annotator="self", time=9.0, source="pseudo")
    assert (tally.of("ana"), tally.of("bob"), tally.of("self")) == (2, 3, 0)
    store.add_label("1", "cat", annotator="ana", time=10.0)  # identical: not a new label
    store.add_label("7", "cat", annotator="ana", time=11.0)
    assert tally.of("ana") == 3
    assert tally.by_source() == {"human": 6, "pseudo": 1}


def test_drift_watch_counts_alerts_and_keeps_the_last(store: Store) -> None:
    watch = DriftWatch(store)
    assert watch.last() is None
    for position in (10, 20):
        store.log_drift(
            DriftAlert(
                kind="drift",
                severity="warning",
                detector="adwin",
                source="labelled",
                statistic=0.1,
                position=position,
                time=float(position),
                message="m",
            )
        )
    assert watch.by_kind() == {"drift": 2}
    assert watch.last() is not None
    assert watch.last()["position"] == 20

"""The class set kept in the store: one set for processes that share a store file."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_al.classes import STATE_KEY, ClassBook, Status
from stream_al.exceptions import ClassStateError
from stream_al.store import MemoryStore, open_store


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_two_processes_over_one_store_file_see_one_set(tmp_path: Path) -> None:
    queue_store, learner_store = open_store(tmp_path / "s.db"), open_store(tmp_path / "s.db")
    try:
        queue_side = ClassBook(queue_store)
        ticks = Ticks()
        learner_side = ClassBook(learner_store, refresh_s=5.0, clock=ticks)
        queue_side.seed(["UP", "DOWN"], "config")
        assert learner_side.check("UP").status is Status.KNOWN  # a miss reads the store again
        queue_side.propose("FLAT", by="ana", at=1.0, row=1)
        assert learner_side.check("FLAT").status is Status.PENDING
        queue_side.accept("FLAT", by="root", at=2.0)
        assert learner_side.known == ["UP", "DOWN"]  # its copy is trusted for refresh_s
        assert learner_side.check("FLAT").status is Status.KNOWN  # ... but never for a miss
        ticks.now = 5.0
        assert learner_side.known == ["UP", "DOWN", "FLAT"]
    finally:
        queue_store.close()
        learner_store.close()


def test_detect_writes_only_when_something_is_new() -> None:
    store = MemoryStore()
    book = ClassBook(store)
    assert book.detect([None, 3.5]) == []
    assert store.load_state(STATE_KEY) is None  # nothing new: nothing written
    assert book.detect(["DOWN", "UP", "DOWN"]) == ["DOWN", "UP"]
    saved = store.load_state(STATE_KEY)
    assert saved is not None
    assert [c["label"] for c in saved["known"]] == ["DOWN", "UP"]
    assert {c["source"] for c in saved["known"]} == {"events"}
    assert book.detect(["UP"]) == []
    assert ClassBook(store).known == ["DOWN", "UP"]


def test_a_refused_change_leaves_the_store_and_the_copy_as_they_were() -> None:
    store = MemoryStore()
    book = ClassBook(store)
    book.seed(["UP", "DOWN"], "config")
    before = store.load_state(STATE_KEY)
    with pytest.raises(ClassStateError):
        book.propose("UP", by="ana", at=1.0)
    assert store.load_state(STATE_KEY) == before

    def failing_batch() -> None:  # the caller's transaction fails after a proposal
        with store.transaction():
            book.propose("FLAT", by="ana", at=1.0)
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        failing_batch()
    assert store.load_state(STATE_KEY) == before
    assert book.check("FLAT").status is Status.UNKNOWN  # a miss reads the store again


def test_seeding_again_with_the_same_classes_writes_nothing() -> None:
    store = MemoryStore()
    ClassBook(store).seed(["a", "b"], "config")
    saved = store.load_state(STATE_KEY)
    store.save_state(STATE_KEY, {**saved, "marker": 1})  # type: ignore[dict-item]
    assert ClassBook(store).seed(["a", "b"], "config") == []
    assert store.load_state(STATE_KEY)["marker"] == 1  # type: ignore[index]

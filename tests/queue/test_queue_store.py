"""The queue saves every change to its store first, and restarts from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from stream_al.clock import FakeClock
from stream_al.queue import (
    AnnotationQueue,
    MemoryQueueStore,
    QueueStore,
    Task,
    TaskRecord,
    TaskState,
)

#: Every backend runs the same tests; a SQLite one joins this list.
STORES: list[Callable[[], QueueStore]] = [MemoryQueueStore]


@pytest.fixture(params=STORES, ids=lambda factory: factory.__name__)
def store(request: pytest.FixtureRequest) -> QueueStore:
    factory: Callable[[], QueueStore] = request.param
    return factory()


def make_queue(clock: FakeClock, store: QueueStore, capacity: int = 5) -> AnnotationQueue:
    return AnnotationQueue(capacity, half_life=60.0, lease_ttl=30.0, clock=clock, store=store)


def states(store: QueueStore) -> dict[str, TaskState]:
    return {record.item_id: record.state for record in store.records()}


class Spy:
    """Wraps a store and records every state saved; fails on demand."""

    def __init__(self, inner: QueueStore) -> None:
        self.inner = inner
        self.saved: list[tuple[str, TaskState]] = []
        self.fail = False

    def save(self, record: TaskRecord) -> None:
        if self.fail:
            raise OSError("disk full")
        self.saved.append((record.item_id, record.state))
        self.inner.save(record)

    def records(self) -> Iterable[TaskRecord]:
        return self.inner.records()


def test_every_state_change_is_saved(clock: FakeClock, store: QueueStore) -> None:
    spy = Spy(store)
    q = make_queue(clock, spy, capacity=2)
    q.offer(Task("a", 0.9, clock.now()))
    q.offer(Task("b", 0.1, clock.now()))
    lease = q.lease("ana")[0]
    q.release(lease.lease_id, "ana")
    q.skip(q.lease("ana")[0].lease_id, "ana")
    q.offer(Task("c", 0.5, clock.now()))  # evicts "b"
    q.lease("bob")
    clock.advance(30.0)
    q.expire()
    q.ack(q.lease("bob")[0].lease_id, "bob")
    q.rescore(lambda t: 0.3)
    assert [state for item_id, state in spy.saved if item_id == "a"] == [
        TaskState.QUEUED,
        TaskState.LEASED,
        TaskState.QUEUED,  # released
        TaskState.LEASED,
        TaskState.QUEUED,  # skipped
        TaskState.LEASED,
        TaskState.QUEUED,  # lease expired
        TaskState.LEASED,
        TaskState.ACKED,
    ]
    assert [state for item_id, state in spy.saved if item_id == "b"] == [
        TaskState.QUEUED,
        TaskState.EVICTED,
    ]
    assert [state for item_id, state in spy.saved if item_id == "c"] == [
        TaskState.QUEUED,
        TaskState.QUEUED,  # rescored
    ]
    assert states(store) == {"a": TaskState.ACKED, "b": TaskState.EVICTED, "c": TaskState.QUEUED}


def test_a_new_queue_resumes_from_the_store(clock: FakeClock, store: QueueStore) -> None:
    q = make_queue(clock, store)
    for item_id, score in [("a", 0.9), ("b", 0.5), ("c", 0.7), ("d", 0.1)]:
        q.offer(Task(item_id, score, clock.now()))
    lease = q.lease("ana")[0]  # "a"
    q.ack(q.lease("ana")[0].lease_id, "ana")  # "c"
    skipped = q.lease("bob")[0]  # "b"
    q.skip(skipped.lease_id, "bob")

    again = make_queue(clock, store)
    assert (len(again), again.depth, again.leased_count) == (3, 2, 1)
    assert again.state("c") is TaskState.ACKED
    assert not again.offer(Task("c", 1.0, clock.now())).admitted
    assert [lease.item_id for lease in again.lease("bob", n=5)] == ["d"]  # bob skipped "b"
    assert again.ack(lease.lease_id, "ana").item_id == "a"


def test_restored_leases_still_expire(clock: FakeClock, store: QueueStore) -> None:
    q = make_queue(clock, store)
    q.offer(Task("a", 0.9, clock.now()))
    lease = q.lease("ana")[0]
    clock.advance(45.0)
    again = make_queue(clock, store)
    report = again.expire()
    assert report.leases == (lease,)
    assert again.state("a") is TaskState.QUEUED


def test_a_smaller_capacity_on_restart_evicts_the_lowest(
    clock: FakeClock, store: QueueStore
) -> None:
    q = make_queue(clock, store)
    for item_id, score in [("a", 0.9), ("b", 0.5), ("c", 0.7)]:
        q.offer(Task(item_id, score, clock.now()))
    again = make_queue(clock, store, capacity=2)
    assert again.state("b") is TaskState.EVICTED
    assert states(store)["b"] is TaskState.EVICTED
    assert len(again) == 2


def test_a_failing_store_leaves_the_queue_unchanged(clock: FakeClock, store: QueueStore) -> None:
    spy = Spy(store)
    q = make_queue(clock, spy)
    q.offer(Task("a", 0.9, clock.now()))
    q.offer(Task("b", 0.5, clock.now()))
    lease = q.lease("ana")[0]
    spy.fail = True
    with pytest.raises(OSError, match="disk full"):
        q.offer(Task("c", 0.5, clock.now()))
    with pytest.raises(OSError, match="disk full"):
        q.lease("bob", n=2)
    with pytest.raises(OSError, match="disk full"):
        q.ack(lease.lease_id, "ana")
    with pytest.raises(OSError, match="disk full"):
        q.skip(lease.lease_id, "ana")
    with pytest.raises(OSError, match="disk full"):
        q.rescore(lambda t: 0.1)
    spy.fail = False
    assert (q.state("a"), q.state("b"), q.state("c")) == (TaskState.LEASED, TaskState.QUEUED, None)
    assert q.get("b").score == 0.5
    assert q.lease("bob", n=2)[0].item_id == "b"
    assert q.skip(lease.lease_id, "ana") is TaskState.QUEUED
    assert q.lease("cyd")[0].item_id == "a"


def test_memory_store_history_is_bounded(clock: FakeClock) -> None:
    store = MemoryQueueStore(history=10)
    q = make_queue(clock, store, capacity=3)
    for i in range(100):
        q.offer(Task(f"t{i}", 0.5, clock.now()))
        q.ack(q.lease("ana")[0].lease_id, "ana")
    assert len(store.log) == 10
    assert len(list(store.records())) == 10
    assert store.saves == 300


def test_oldest_arrival_follows_a_restarted_queue(tmp_path: Path) -> None:
    from stream_al.store import open_store

    with open_store(tmp_path / "s.db") as db:
        queue = AnnotationQueue(10, half_life=60, lease_ttl=30, store=db.queue_store())
        queue.offer(Task("a", 0.5, arrival=5.0))
        queue.offer(Task("b", 0.9, arrival=7.0))
        queue.ack(queue.lease("ana")[0].lease_id, "ana")
    with open_store(tmp_path / "s.db") as db:
        restarted = AnnotationQueue(10, half_life=60, lease_ttl=30, store=db.queue_store())
        assert (len(restarted), restarted.oldest_arrival()) == (1, 5.0)

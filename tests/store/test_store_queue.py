"""The annotation queue on every `QueueStore` backend, including a restart on SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
from stream_al.store import MemoryStore, SqliteStore, StoreError


class Backend:
    """Makes a queue store, and makes it again as a restarted process would."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.path = folder / "queue.db"
        self._memory: QueueStore | None = None
        self._open: list[SqliteStore] = []

    def open(self, history: int | None = 10_000) -> QueueStore:
        if self.kind == "sqlite":
            store = SqliteStore(self.path)
            self._open.append(store)
            return store.queue_store(history)
        if self._memory is None:  # memory survives a "restart" only within the process
            self._memory = (
                MemoryQueueStore(history or 10_000)
                if self.kind == "queue-memory"
                else MemoryStore().queue_store(history)
            )
        return self._memory

    def close(self) -> None:
        for store in self._open:
            store.close()


@pytest.fixture(params=["queue-memory", "store-memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = Backend(request.param, tmp_path)
    yield made
    made.close()


def make_queue(clock: FakeClock, store: QueueStore, capacity: int = 5) -> AnnotationQueue:
    return AnnotationQueue(capacity, half_life=60.0, lease_ttl=30.0, clock=clock, store=store)


def states(store: QueueStore) -> dict[str, TaskState]:
    return {record.item_id: record.state for record in store.records()}


class Spy:
    """Wraps a store, records every state saved, fails on demand."""

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


def test_every_state_change_is_saved(clock: FakeClock, backend: Backend) -> None:
    store = backend.open()
    spy = Spy(store)
    q = make_queue(clock, spy, capacity=2)
    q.offer(Task("a", 0.9, clock.now()))
    q.offer(Task("b", 0.1, clock.now()))
    q.release(q.lease("ana")[0].lease_id, "ana")
    q.skip(q.lease("ana")[0].lease_id, "ana")
    q.offer(Task("c", 0.5, clock.now()))  # evicts "b"
    q.lease("bob")
    clock.advance(30.0)
    q.expire()
    q.ack(q.lease("bob")[0].lease_id, "bob")
    assert [s for i, s in spy.saved if i == "b"] == [TaskState.QUEUED, TaskState.EVICTED]
    assert states(store) == {"a": TaskState.ACKED, "b": TaskState.EVICTED, "c": TaskState.QUEUED}


def test_a_restart_keeps_queued_leased_and_finished_tasks(
    clock: FakeClock, backend: Backend
) -> None:
    q = make_queue(clock, backend.open())
    for item_id, score in [("a", 0.9), ("b", 0.5), ("c", 0.7), ("d", 0.1)]:
        q.offer(Task(item_id, score, clock.now(), payload={"text": item_id}, classes=["x", "y"]))
    lease = q.lease("ana")[0]  # "a"
    q.ack(q.lease("ana")[0].lease_id, "ana")  # "c"
    q.skip(q.lease("bob")[0].lease_id, "bob")  # "b", skipped by bob

    again = make_queue(clock, backend.open())  # a new process on the same file
    assert (len(again), again.depth, again.leased_count) == (3, 2, 1)
    assert (again.state("a"), again.state("c")) == (TaskState.LEASED, TaskState.ACKED)
    assert again.lease_of("a") == lease
    assert again.get("b").payload == {"text": "b"}
    assert again.get("b").classes == ("x", "y")
    assert not again.offer(Task("c", 1.0, clock.now())).admitted  # a finished duplicate
    assert [t.item_id for t in again.lease("bob", n=5)] == ["d"]  # bob skipped "b"
    assert again.ack(lease.lease_id, "ana").item_id == "a"


def test_restored_leases_still_expire(clock: FakeClock, backend: Backend) -> None:
    q = make_queue(clock, backend.open())
    q.offer(Task("a", 0.9, clock.now()))
    lease = q.lease("ana")[0]
    clock.advance(45.0)
    again = make_queue(clock, backend.open())
    assert again.expire().leases == (lease,)
    assert again.state("a") is TaskState.QUEUED


def test_restored_priorities_keep_their_order(clock: FakeClock, backend: Backend) -> None:
    q = make_queue(clock, backend.open(), capacity=10)
    twin = make_queue(clock, MemoryQueueStore(), capacity=10)  # never restarted
    for i, score in enumerate([0.3, 0.9, 0.5, 0.5, 0.1]):
        for queue in (q, twin):
            queue.offer(Task(f"t{i}", score, clock.now()))
        clock.advance(20.0)
    for queue in (q, twin):  # equal keys: admission order breaks the tie
        queue.offer(Task("u1", 0.5, clock.now()))
        queue.offer(Task("u2", 0.5, clock.now()))
    again = make_queue(clock, backend.open(), capacity=10)
    order = [lease.item_id for lease in again.lease("x", n=10)]
    assert order == [lease.item_id for lease in twin.lease("x", n=10)]
    assert order.index("u1") < order.index("u2")


def test_a_smaller_capacity_on_restart_evicts_the_lowest(
    clock: FakeClock, backend: Backend
) -> None:
    q = make_queue(clock, backend.open())
    for item_id, score in [("a", 0.9), ("b", 0.5), ("c", 0.7)]:
        q.offer(Task(item_id, score, clock.now()))
    again = make_queue(clock, backend.open(), capacity=2)
    assert again.state("b") is TaskState.EVICTED
    assert states(backend.open())["b"] is TaskState.EVICTED


def test_a_failing_store_leaves_the_queue_unchanged(clock: FakeClock, backend: Backend) -> None:
    spy = Spy(backend.open())
    q = make_queue(clock, spy)
    q.offer(Task("a", 0.9, clock.now()))
    q.offer(Task("b", 0.5, clock.now()))
    lease = q.lease("ana")[0]
    spy.fail = True
    with pytest.raises(OSError, match="disk full"):
        q.offer(Task("c", 0.5, clock.now()))
    with pytest.raises(OSError, match="disk full"):
        q.ack(lease.lease_id, "ana")
    spy.fail = False
    assert (q.state("a"), q.state("b"), q.state("c")) == (TaskState.LEASED, TaskState.QUEUED, None)


def test_finished_history_is_bounded(clock: FakeClock, backend: Backend) -> None:
    store = backend.open(history=10)
    q = make_queue(clock, store, capacity=3)
    for i in range(60):
        q.offer(Task(f"t{i}", 0.5, clock.now()))
        q.ack(q.lease("ana")[0].lease_id, "ana")
    finished = [r for r in store.records() if not r.state.live]
    assert 10 <= len(finished) <= 11  # SQLite prunes in batches of history // 10
    assert finished[-1].item_id == "t59"


@pytest.mark.parametrize("kind", ["store-memory", "sqlite"])
def test_a_payload_that_is_not_json_is_refused_before_the_queue_changes(
    clock: FakeClock, tmp_path: Path, kind: str
) -> None:
    backend = Backend(kind, tmp_path)
    q = make_queue(clock, backend.open())
    with pytest.raises(StoreError, match="payload of task 'a' is not JSON-serialisable"):
        q.offer(Task("a", 0.9, clock.now(), payload={"when": object()}))
    assert q.state("a") is None
    assert q.offer(Task("a", 0.9, clock.now(), payload={"when": 1.5})).admitted
    backend.close()


@pytest.mark.parametrize("kind", ["store-memory", "sqlite"])
def test_queue_saves_roll_back_with_the_store_transaction(
    clock: FakeClock, tmp_path: Path, kind: str
) -> None:
    store = MemoryStore() if kind == "store-memory" else SqliteStore(tmp_path / "q.db")
    table = store.queue_store()
    q = make_queue(clock, table)
    q.offer(Task("a", 0.9, clock.now()))

    def batch_then_crash() -> None:
        with store.transaction():
            q.offer(Task("b", 0.5, clock.now()))
            q.ack(q.lease("ana")[0].lease_id, "ana")
            store.mark_seen(["b"])
            raise RuntimeError("crash before the commit")

    with pytest.raises(RuntimeError, match="crash"):
        batch_then_crash()
    assert states(table) == {"a": TaskState.QUEUED}  # as a restarted queue would see it
    assert make_queue(clock, table).state("a") is TaskState.QUEUED
    store.close()

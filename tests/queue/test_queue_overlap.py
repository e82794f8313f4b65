"""Overlap tasks: labelled by two annotators (or more on a conflict), and saved as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_al.clock import FakeClock
from stream_al.exceptions import ConfigError, LeaseError, QueueError, UnknownItemError
from stream_al.queue import AnnotationQueue, MemoryQueueStore, QueueStore, Task, TaskRecord
from stream_al.queue.annotation_queue import overlap_share
from stream_al.store import open_store


def make_queue(
    clock: FakeClock, overlap: float = 1.0, store: QueueStore | None = None
) -> AnnotationQueue:
    return AnnotationQueue(
        10, half_life=60.0, lease_ttl=30.0, clock=clock, store=store, overlap=overlap
    )


def test_the_overlap_share_is_about_the_configured_share_and_fixed_by_id() -> None:
    clock = FakeClock()
    queue = AnnotationQueue(10_000, half_life=60.0, lease_ttl=30.0, clock=clock, overlap=0.2)
    for i in range(5000):
        queue.offer(Task(str(i), 0.5, 0.0))
    twice = sum(queue.wanted(str(i)) == 2 for i in range(5000))
    assert 900 < twice < 1100  # 5000 · 0.2 ± 3.5 standard deviations
    assert all((queue.wanted(str(i)) == 2) == (overlap_share(str(i)) < 0.2) for i in range(50))


@pytest.mark.parametrize("overlap", [-0.1, 1.5])
def test_an_overlap_outside_zero_to_one_is_refused(overlap: float) -> None:
    with pytest.raises(ConfigError, match="overlap must be a share between 0 and 1"):
        make_queue(FakeClock(), overlap)


def test_the_first_label_returns_the_task_for_someone_else_at_its_priority() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.offer(Task("a", 0.9, 0.0))
    queue.offer(Task("b", 0.5, 0.0))
    (first,) = queue.lease("ana")
    assert first.item_id == "a"
    queue.ack(first.lease_id, "ana")
    assert queue.state("a") == "queued"
    assert queue.labels_so_far() == 1
    assert [lease.item_id for lease in queue.lease("ana", n=5)] == ["b"]
    (second,) = queue.lease("bob")
    assert second.item_id == "a"  # still at the top: its key did not change
    queue.ack(second.lease_id, "bob")
    assert queue.state("a") == "acked"
    assert queue.labels_so_far() == 0


def test_want_asks_a_live_task_for_a_third_label() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.offer(Task("a", 0.9, 0.0))
    for who in ("ana", "bob"):
        lease = queue.lease(who)[0]
        if who == "bob":
            queue.want("a", 3)
            queue.want("a", 2)  # never fewer than already wanted
        queue.ack(lease.lease_id, who)
    assert queue.state("a") == "queued"
    assert queue.wanted("a") == 3
    assert queue.lease("ana") == []
    assert queue.lease("bob") == []
    queue.ack(queue.lease("cy")[0].lease_id, "cy")
    assert queue.state("a") == "acked"
    with pytest.raises(UnknownItemError):
        queue.want("a", 4)
    with pytest.raises(QueueError, match="at least 1 label"):
        queue.want("a", 0)


def test_settle_takes_a_live_task_out_and_ends_its_lease() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.offer(Task("a", 0.9, 0.0))
    lease = queue.lease("ana")[0]
    assert queue.settle("a") is True
    assert queue.state("a") == "acked"
    assert queue.leased_count == 0
    assert queue.settle("a") is False
    with pytest.raises(LeaseError):
        queue.ack(lease.lease_id, "ana")


def test_listeners_hear_of_every_task_that_leaves_and_cannot_break_the_queue() -> None:
    clock = FakeClock()
    queue = AnnotationQueue(1, half_life=60.0, lease_ttl=30.0, clock=clock, overlap=1.0)
    heard: list[TaskRecord] = []
    queue.on_finish.append(heard.append)

    def broken(record: TaskRecord) -> None:
        raise RuntimeError("a listener that fails")

    queue.on_finish.append(broken)
    queue.offer(Task("a", 0.1, 0.0))
    queue.ack(queue.lease("ana")[0].lease_id, "ana")
    queue.offer(Task("b", 0.9, 0.0))  # evicts "a", which has one label of two
    assert [(r.item_id, r.state.value, r.labelled_by, r.wanted) for r in heard] == [
        ("a", "evicted", ("ana",), 2)
    ]
    assert queue.state("b") == "queued"


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_who_labelled_and_how_many_are_wanted_survive_a_restart(
    tmp_path: Path, backend: str
) -> None:
    clock = FakeClock()
    if backend == "memory":
        memory = MemoryQueueStore()

        def store() -> QueueStore:
            return memory
    else:
        sqlite = open_store(tmp_path / "s.db")

        def store() -> QueueStore:
            return sqlite.queue_store()

    queue = make_queue(clock, store=store())
    queue.offer(Task("a", 0.9, 0.0))
    queue.want("a", 3)
    queue.ack(queue.lease("ana")[0].lease_id, "ana")
    again = make_queue(clock, overlap=0.0, store=store())
    assert again.wanted("a") == 3
    assert again.lease("ana") == []
    assert [lease.item_id for lease in again.lease("bob")] == ["a"]

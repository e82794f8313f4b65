"""Leasing tasks: order, time-to-live, release, ack, skip, and the errors."""

from __future__ import annotations

from typing import Any

import pytest

from stream_al.clock import FakeClock
from stream_al.exceptions import LeaseError, QueueError
from stream_al.queue import AnnotationQueue, Lease, Task, TaskState


def make_queue(clock: FakeClock, **kwargs: Any) -> AnnotationQueue:
    options: dict[str, Any] = {"capacity": 10, "half_life": 60.0, "lease_ttl": 30.0}
    options.update(kwargs)
    return AnnotationQueue(clock=clock, **options)


def fill(q: AnnotationQueue, clock: FakeClock, scores: dict[str, float]) -> None:
    for item_id, score in scores.items():
        assert q.offer(Task(item_id=item_id, score=score, arrival=clock.now())).admitted


def test_leases_follow_current_priority_not_raw_score(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"old": 0.9})
    clock.advance(60.0)  # "old" is worth 0.45 now
    fill(q, clock, {"fresh": 0.5, "weak": 0.3})
    assert [lease.item_id for lease in q.lease("ana", n=3)] == ["fresh", "old", "weak"]


def test_equal_priorities_are_served_first_come_first_served(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"x": 0.5, "y": 0.5, "z": 0.5})
    assert [lease.item_id for lease in q.lease("ana", n=3)] == ["x", "y", "z"]


def test_a_lease_carries_its_task_holder_and_expiry(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.5})
    (lease,) = q.lease("ana")
    assert (lease.item_id, lease.annotator, lease.task.score) == ("a", "ana", 0.5)
    assert lease.expires_at == clock.now() + 30.0
    assert q.lease_of("a") == lease
    assert q.state("a") is TaskState.LEASED
    assert (q.depth, q.leased_count, len(q)) == (0, 1, 1)


def test_a_leased_task_is_not_handed_out_again(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9, "b": 0.1})
    assert [lease.item_id for lease in q.lease("ana")] == ["a"]
    assert [lease.item_id for lease in q.lease("bob", n=5)] == ["b"]
    assert q.lease("cyd", n=5) == []


def test_an_expired_lease_returns_the_task_with_its_priority(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9, "b": 0.5})
    (lease,) = q.lease("ana")
    clock.advance(29.9)
    assert not q.expire()
    clock.advance(0.1)
    report = q.expire()
    assert report.leases == (lease,)
    assert report.requeued == ("a",)
    assert q.state("a") is TaskState.QUEUED
    assert q.lease("bob")[0].item_id == "a"  # still above "b"


def test_lease_expires_lazily_on_the_next_lease(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9})
    q.lease("ana")
    clock.advance(30.0)
    assert [lease.item_id for lease in q.lease("bob")] == ["a"]
    assert q.stats().counts["lease_expired"] == 1


def test_release_puts_the_task_back(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9, "b": 0.5})
    (lease,) = q.lease("ana")
    assert q.release(lease.lease_id, "ana") is TaskState.QUEUED
    assert [lease.item_id for lease in q.lease("ana", n=2)] == ["a", "b"]


def test_a_released_task_past_its_ttl_is_dropped(clock: FakeClock) -> None:
    q = make_queue(clock, item_ttl=20.0, lease_ttl=30.0)
    fill(q, clock, {"a": 0.9})
    (lease,) = q.lease("ana")
    clock.advance(25.0)  # past the item TTL, but the lease is live: not touched
    assert q.expire().expired == ()
    assert q.release(lease.lease_id, "ana") is TaskState.EXPIRED
    assert len(q) == 0


def test_an_expired_lease_on_an_old_task_drops_it(clock: FakeClock) -> None:
    q = make_queue(clock, item_ttl=20.0, lease_ttl=30.0)
    fill(q, clock, {"a": 0.9})
    q.lease("ana")
    clock.advance(30.0)
    report = q.expire()
    assert report.requeued == ()
    assert report.expired == ("a",)
    assert q.state("a") is TaskState.EXPIRED


def test_ack_removes_the_task_for_good(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9})
    (lease,) = q.lease("ana")
    assert q.ack(lease.lease_id, "ana").item_id == "a"
    assert q.state("a") is TaskState.ACKED
    assert len(q) == 0
    assert not q.offer(Task(item_id="a", score=1.0, arrival=clock.now())).admitted
    clock.advance(1000.0)
    assert q.lease("ana") == []


def test_a_skipped_task_goes_to_someone_else(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9, "b": 0.5})
    (lease,) = q.lease("ana")
    assert q.skip(lease.lease_id, "ana") is TaskState.QUEUED
    assert [lease.item_id for lease in q.lease("ana", n=5)] == ["b"]
    assert [lease.item_id for lease in q.lease("bob", n=5)] == ["a"]


def test_a_task_skipped_max_skips_times_is_dropped(clock: FakeClock) -> None:
    q = make_queue(clock, max_skips=2)
    fill(q, clock, {"a": 0.9})
    assert q.skip(q.lease("ana")[0].lease_id, "ana") is TaskState.QUEUED
    assert q.skip(q.lease("bob")[0].lease_id, "bob") is TaskState.DROPPED
    assert q.state("a") is TaskState.DROPPED
    assert q.lease("cyd") == []


def test_unlimited_skips_keep_the_task(clock: FakeClock) -> None:
    q = make_queue(clock, max_skips=None)
    fill(q, clock, {"a": 0.9})
    for annotator in ("a1", "a2", "a3", "a4"):
        assert q.skip(q.lease(annotator)[0].lease_id, annotator) is TaskState.QUEUED
    assert q.lease("a1") == []
    assert q.lease("a5")[0].item_id == "a"


def lease_one(q: AnnotationQueue, clock: FakeClock) -> Lease:
    fill(q, clock, {"a": 0.9})
    return q.lease("ana")[0]


@pytest.mark.parametrize("operation", ["release", "ack", "skip"])
def test_only_the_holder_may_end_a_lease(clock: FakeClock, operation: str) -> None:
    q = make_queue(clock)
    lease = lease_one(q, clock)
    with pytest.raises(LeaseError, match=r"belongs to annotator 'ana', not 'bob'"):
        getattr(q, operation)(lease.lease_id, "bob")
    assert q.state("a") is TaskState.LEASED


def test_an_expired_lease_says_when_it_expired(clock: FakeClock) -> None:
    q = make_queue(clock)
    lease = lease_one(q, clock)
    clock.advance(31.0)
    with pytest.raises(LeaseError, match=r"held by 'ana' expired at 1030.0.*lease it again"):
        q.ack(lease.lease_id, "ana")
    assert q.state("a") is TaskState.QUEUED


def test_a_lease_cannot_be_acked_twice(clock: FakeClock) -> None:
    q = make_queue(clock)
    lease = lease_one(q, clock)
    q.ack(lease.lease_id, "ana")
    with pytest.raises(LeaseError, match=r"was already acked at 1000\.0"):
        q.ack(lease.lease_id, "ana")
    with pytest.raises(LeaseError, match="was already acked"):
        q.release(lease.lease_id, "ana")


def test_an_unknown_lease_is_an_error(clock: FakeClock) -> None:
    q = make_queue(clock)
    with pytest.raises(LeaseError, match="no lease 'nope'"):
        q.release("nope", "ana")


def test_lease_of_a_queued_item_is_an_error(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9})
    with pytest.raises(LeaseError, match="'a' is queued, not leased"):
        q.lease_of("a")


def test_lease_arguments_are_checked(clock: FakeClock) -> None:
    q = make_queue(clock)
    with pytest.raises(QueueError, match="annotator"):
        q.lease("")
    with pytest.raises(QueueError, match="negative"):
        q.lease("ana", n=-1)
    assert q.lease("ana", n=0) == []


def test_leases_of_follows_every_way_a_lease_ends(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6, "e": 0.5})
    leases = {lease.item_id: lease for lease in q.lease("ana", n=4)}
    (other,) = q.lease("bob")
    assert [lease.item_id for lease in q.leases_of("ana")] == ["a", "b", "c", "d"]
    assert sorted(q.holders()) == ["ana", "bob"]
    q.ack(leases["a"].lease_id, "ana")
    q.release(leases["b"].lease_id, "ana")
    q.skip(leases["c"].lease_id, "ana")
    assert [lease.item_id for lease in q.leases_of("ana")] == ["d"]
    clock.advance(30.0)
    q.expire()
    assert q.leases_of("ana") == []
    assert q.leases_of("bob") == []
    assert q.holders() == []
    assert other.item_id == "e"


def test_release_all_gives_back_one_annotators_tasks_and_no_one_elses(clock: FakeClock) -> None:
    q = make_queue(clock)
    fill(q, clock, {"a": 0.9, "b": 0.8, "c": 0.7})
    q.lease("ana", n=2)
    (kept,) = q.lease("bob")
    assert q.release_all("ana") == ["a", "b"]
    assert q.state("a") is TaskState.QUEUED
    assert q.state("b") is TaskState.QUEUED
    assert q.lease_of("c") == kept
    assert (q.depth, q.leased_count, q.stats().counts["released"]) == (2, 1, 2)
    assert [lease.item_id for lease in q.lease("cyd", n=5)] == ["a", "b"]  # priority kept
    assert q.release_all("ana") == []

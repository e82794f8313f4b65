"""Offering tasks: admission, eviction, duplicates, item TTL, rescoring, configuration."""

from __future__ import annotations

import math
from typing import Any

import pytest

from stream_al.clock import FakeClock
from stream_al.exceptions import ConfigError, QueueError, UnknownItemError
from stream_al.queue import AnnotationQueue, RejectReason, Task, TaskState


def make_queue(clock: FakeClock, **kwargs: Any) -> AnnotationQueue:
    options: dict[str, Any] = {"capacity": 3, "half_life": 60.0, "lease_ttl": 30.0}
    options.update(kwargs)
    return AnnotationQueue(clock=clock, **options)


def task(item_id: str, score: float, arrival: float) -> Task:
    return Task(item_id=item_id, score=score, arrival=arrival)


def test_admits_until_full_then_evicts_the_lowest_current_priority(clock: FakeClock) -> None:
    q = make_queue(clock)
    t0 = clock.now()
    for item_id, score in [("a", 0.9), ("b", 0.5), ("c", 0.7)]:
        assert q.offer(task(item_id, score, t0)).admitted
    clock.advance(120.0)  # the first three are now worth a quarter of their score
    result = q.offer(task("d", 0.2, clock.now()))  # 0.2 > 0.5 / 4
    assert result.admitted
    assert result.evicted == ("b",)
    assert q.state("b") is TaskState.EVICTED
    assert len(q) == q.depth == 3


def test_a_newcomer_below_everything_in_a_full_queue_is_rejected(clock: FakeClock) -> None:
    q = make_queue(clock, capacity=2)
    q.offer(task("a", 0.9, clock.now()))
    q.offer(task("b", 0.5, clock.now()))
    result = q.offer(task("c", 0.5, clock.now()))  # a tie loses: the newest is the lowest
    assert not result.admitted
    assert result.reason is RejectReason.LOWEST
    assert result.evicted == ()
    assert q.state("c") is None
    assert {q.get("a").item_id, q.get("b").item_id} == {"a", "b"}


def test_reject_new_policy_keeps_what_is_there(clock: FakeClock) -> None:
    q = make_queue(clock, capacity=1, on_full="reject_new")
    q.offer(task("a", 0.1, clock.now()))
    result = q.offer(task("b", 0.9, clock.now()))
    assert (result.admitted, result.reason) == (False, RejectReason.FULL)
    assert "a" in q
    assert "b" not in q


def test_leased_tasks_are_never_evicted(clock: FakeClock) -> None:
    q = make_queue(clock, capacity=2)
    q.offer(task("a", 0.1, clock.now()))
    q.offer(task("b", 0.2, clock.now()))
    q.lease("ana", n=2)
    result = q.offer(task("c", 0.9, clock.now()))
    assert (result.admitted, result.reason) == (False, RejectReason.FULL)
    assert q.leased_count == 2


def test_capacity_counts_queued_and_leased_together(clock: FakeClock) -> None:
    q = make_queue(clock, capacity=2)
    q.offer(task("a", 0.9, clock.now()))
    q.offer(task("b", 0.1, clock.now()))
    q.lease("ana")  # "a" is leased, "b" queued
    result = q.offer(task("c", 0.5, clock.now()))
    assert result.evicted == ("b",)
    assert (len(q), q.depth, q.leased_count) == (2, 1, 1)


@pytest.mark.parametrize("where", ["queued", "leased", "acked", "evicted", "expired"])
def test_a_known_id_is_a_duplicate_whatever_its_state(clock: FakeClock, where: str) -> None:
    q = make_queue(clock, capacity=1, item_ttl=100.0)
    q.offer(task("a", 0.5, clock.now()))
    if where == "leased":
        q.lease("ana")
    elif where == "acked":
        q.ack(q.lease("ana")[0].lease_id, "ana")
    elif where == "evicted":
        q.offer(task("z", 0.9, clock.now()))
    elif where == "expired":
        clock.advance(100.0)
        q.expire()
    result = q.offer(task("a", 0.99, clock.now()))
    assert result.reason is RejectReason.DUPLICATE
    assert result.existing is TaskState(where)
    assert q.stats().counts["rejected_duplicate"] == 1


def test_forgotten_ids_may_come_back(clock: FakeClock) -> None:
    q = make_queue(clock, remember=1)
    for item_id in ("a", "b"):
        q.offer(task(item_id, 0.5, clock.now()))
        q.ack(q.lease("ana")[0].lease_id, "ana")
    assert q.state("a") is None  # only the last finished id is remembered
    assert q.offer(task("a", 0.5, clock.now())).admitted
    assert not q.offer(task("b", 0.5, clock.now())).admitted


def test_items_past_their_ttl_are_dropped_and_refused(clock: FakeClock) -> None:
    q = make_queue(clock, item_ttl=50.0)
    q.offer(task("old", 0.9, clock.now()))
    clock.advance(20.0)
    q.offer(task("new", 0.1, clock.now()))
    clock.advance(30.0)  # "old" is 50 s old: expired
    report = q.expire()
    assert report.expired == ("old",)
    assert q.state("old") is TaskState.EXPIRED
    assert [lease.item_id for lease in q.lease("ana", n=5)] == ["new"]
    late = q.offer(task("late", 0.9, clock.now() - 60.0))
    assert late.reason is RejectReason.EXPIRED


def test_expiry_runs_before_eviction(clock: FakeClock) -> None:
    q = make_queue(clock, capacity=1, item_ttl=10.0)
    q.offer(task("a", 0.9, clock.now()))
    clock.advance(10.0)
    result = q.offer(task("b", 0.01, clock.now()))
    assert result.admitted
    assert result.evicted == ()
    assert q.state("a") is TaskState.EXPIRED


def test_rescore_reorders_and_keeps_arrival_times(clock: FakeClock) -> None:
    q = make_queue(clock)
    t0 = clock.now()
    for item_id, score in [("a", 0.9), ("b", 0.5), ("c", 0.1)]:
        q.offer(task(item_id, score, t0))
    new = {"a": 0.1, "b": 0.5, "c": 0.9}
    assert q.rescore(lambda t: new[t.item_id]) == 2
    assert q.get("c").arrival == t0
    assert q.get("c").score == 0.9
    assert [lease.item_id for lease in q.lease("ana", n=3)] == ["c", "b", "a"]


def test_rescore_applies_to_leased_tasks_when_they_come_back(clock: FakeClock) -> None:
    q = make_queue(clock)
    q.offer(task("a", 0.9, clock.now()))
    q.offer(task("b", 0.5, clock.now()))
    (lease,) = q.lease("ana")
    q.rescore(lambda t: 0.1 if t.item_id == "a" else t.score)
    q.release(lease.lease_id, "ana")
    assert [lease.item_id for lease in q.lease("bob", n=2)] == ["b", "a"]


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_a_bad_rescore_changes_nothing(clock: FakeClock, bad: float) -> None:
    q = make_queue(clock)
    q.offer(task("a", 0.9, clock.now()))
    q.offer(task("b", 0.5, clock.now()))
    with pytest.raises(QueueError, match="rescore gave an invalid score"):
        q.rescore(lambda t: bad if t.item_id == "b" else 0.1)
    assert (q.get("a").score, q.get("b").score) == (0.9, 0.5)
    assert q.lease("ana")[0].item_id == "a"


def test_zero_scores_are_admitted_and_leased_last(clock: FakeClock) -> None:
    q = make_queue(clock)
    q.offer(task("zero", 0.0, clock.now()))
    q.offer(task("some", 1e-9, clock.now() - 1e4))
    assert q.priority("zero") == 0.0
    assert [lease.item_id for lease in q.lease("ana", n=2)] == ["some", "zero"]


def test_stats_report_depth_priorities_and_counts(clock: FakeClock) -> None:
    q = make_queue(clock, capacity=2)
    assert q.stats().top_priority is None
    q.offer(task("a", 0.8, clock.now()))
    q.offer(task("b", 0.4, clock.now()))
    q.offer(task("c", 0.1, clock.now()))
    clock.advance(60.0)
    stats = q.stats()
    assert (stats.capacity, stats.depth, stats.leased) == (2, 2, 0)
    assert stats.top_priority == pytest.approx(0.4)
    assert stats.lowest_priority == pytest.approx(0.2)
    assert stats.counts["offered"] == 3
    assert stats.counts["admitted"] == 2
    assert stats.counts["rejected_lowest"] == 1


def test_unknown_items_get_a_clear_error(clock: FakeClock) -> None:
    q = make_queue(clock)
    with pytest.raises(UnknownItemError, match="'x' is not in the queue: it was never admitted"):
        q.get("x")
    q.offer(task("a", 0.5, clock.now()))
    q.ack(q.lease("ana")[0].lease_id, "ana")
    with pytest.raises(UnknownItemError, match="'a' is not in the queue: it is acked"):
        q.priority("a")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"half_life": 0.0}, "half_life"),
        ({"lease_ttl": 0.0}, "lease_ttl"),
        ({"item_ttl": -1.0}, "item_ttl"),
        ({"on_full": "drop_oldest"}, "on_full"),
        ({"max_skips": 0}, "max_skips"),
        ({"remember": -1}, "remember"),
    ],
)
def test_bad_configuration_names_the_field(
    clock: FakeClock, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        make_queue(clock, **kwargs)


def test_tasks_validate_their_fields() -> None:
    with pytest.raises(QueueError, match="non-empty item_id"):
        Task(item_id="", score=0.5, arrival=0.0)
    with pytest.raises(QueueError, match="'a': arrival must be finite"):
        Task(item_id="a", score=0.5, arrival=math.inf)

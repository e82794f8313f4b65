"""Stateful property tests: the queue's invariants under any sequence of operations.

A model follows every id ever admitted and every lease handed out. After each
step, each change of state the queue reports must be explained: by the step
itself (lease, ack, release, skip, offer and its evictions), or by time (a
lease or item TTL that ran out). Nothing else may move, so nothing is lost.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from stream_al.clock import FakeClock
from stream_al.exceptions import LeaseError
from stream_al.priority import decayed_priority
from stream_al.queue import (
    AnnotationQueue,
    Lease,
    MemoryQueueStore,
    OnFull,
    RejectReason,
    Task,
    TaskState,
)

CAPACITY = 5
HALF_LIFE = 100.0
LEASE_TTL = 30.0
ITEM_TTL = 60.0
MAX_SKIPS = 2
REL = 1e-9  # float tolerance when comparing priorities

item_ids = st.sampled_from([f"i{n}" for n in range(30)])
annotators = st.sampled_from(["ana", "bob", "cyd"])
scores = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=10.0))


class QueueMachine(RuleBasedStateMachine):
    """Drives one queue with a fake clock and checks it against a model."""

    on_full: OnFull = "evict_lowest"

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(start=1_000.0)
        self.store = MemoryQueueStore()
        self.q = AnnotationQueue(
            CAPACITY,
            HALF_LIFE,
            LEASE_TTL,
            ITEM_TTL,
            self.clock,
            self.store,
            self.on_full,
            max_skips=MAX_SKIPS,
        )
        self.fate: dict[str, TaskState] = {}  # every admitted id -> last known state
        self.score: dict[str, float] = {}
        self.arrival: dict[str, float] = {}
        self.leases: dict[str, Lease] = {}  # live leases by lease id
        self.lease_by_item: dict[str, Lease] = {}
        self.skipped_by: dict[str, set[str]] = {}

    # -- helpers -------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def priority(self, item_id: str) -> float:
        return decayed_priority(self.score[item_id], self.arrival[item_id], self.now(), HALF_LIFE)

    def too_old(self, item_id: str) -> bool:
        return self.now() >= self.arrival[item_id] + ITEM_TTL

    def drop_lease(self, item_id: str) -> None:
        lease = self.lease_by_item.pop(item_id, None)
        if lease is not None:
            del self.leases[lease.lease_id]

    def reconcile(
        self, explained: dict[str, TaskState] | None = None, evicted: tuple[str, ...] = ()
    ) -> None:
        """Every change of state since the last step must have a reason."""
        explained = explained or {}
        for item_id, old in self.fate.items():
            new = self.q.state(item_id)
            assert new is not None, f"{item_id} was lost"
            if item_id in explained:
                assert new is explained[item_id], (item_id, new, explained[item_id])
            elif new is not old:
                assert old.live, f"{item_id} left final state {old} for {new}"
                lease = self.lease_by_item.get(item_id)
                lease_over = lease is not None and self.now() >= lease.expires_at
                if new is TaskState.EVICTED:
                    assert old is TaskState.QUEUED
                    assert item_id in evicted
                elif new is TaskState.EXPIRED:
                    assert self.too_old(item_id)
                    assert old is TaskState.QUEUED or lease_over
                else:
                    assert (old, new) == (TaskState.LEASED, TaskState.QUEUED), (old, new)
                    assert lease_over, f"{item_id} came back before its lease ended"
            if new is not TaskState.LEASED:
                self.drop_lease(item_id)
            self.fate[item_id] = new

    def queued(self) -> set[str]:
        return {i for i, state in self.fate.items() if state is TaskState.QUEUED}

    # -- rules ---------------------------------------------------------------------

    @rule(seconds=st.floats(min_value=0.0, max_value=25.0))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(item_id=item_ids, score=scores, age=st.floats(min_value=0.0, max_value=80.0))
    def offer(self, item_id: str, score: float, age: float) -> None:
        known = self.q.state(item_id)
        result = self.q.offer(Task(item_id, score, self.now() - age))
        if item_id in self.fate:
            assert known is not None
            assert result.reason is RejectReason.DUPLICATE
            self.reconcile()
            return
        assert result.reason is not RejectReason.DUPLICATE
        if result.admitted:
            self.score[item_id], self.arrival[item_id] = score, self.now() - age
            self.fate[item_id] = TaskState.QUEUED
            self.reconcile({item_id: TaskState.QUEUED}, result.evicted)
            assert age < ITEM_TTL
            self.check_eviction(item_id, result.evicted)
            return
        self.reconcile()
        assert self.q.state(item_id) is None
        if result.reason is RejectReason.EXPIRED:
            assert age >= ITEM_TTL
        elif result.reason is RejectReason.FULL:
            assert len(self.q) == CAPACITY
            assert self.on_full == "reject_new" or self.q.depth == 0
        else:
            assert result.reason is RejectReason.LOWEST
            assert len(self.q) == CAPACITY
            new = decayed_priority(score, self.now() - age, self.now(), HALF_LIFE)
            lowest = min(self.priority(i) for i in self.queued())
            assert new <= lowest * (1 + REL)

    def check_eviction(self, item_id: str, evicted: tuple[str, ...]) -> None:
        assert len(evicted) <= 1
        if not evicted:
            return
        assert self.on_full == "evict_lowest"
        (out,) = evicted
        before = (self.queued() - {item_id}) | {out}
        assert all(self.priority(out) <= self.priority(i) * (1 + REL) for i in before)
        assert self.priority(out) <= self.priority(item_id) * (1 + REL)

    @rule(annotator=annotators, n=st.integers(min_value=0, max_value=3))
    def lease(self, annotator: str, n: int) -> None:
        leases = self.q.lease(annotator, n)
        for lease in leases:
            old = self.lease_by_item.get(lease.item_id)
            assert old is None or self.now() >= old.expires_at, "handed out twice"
            assert lease.lease_id not in self.leases
            assert lease.annotator == annotator
            assert lease.expires_at == self.now() + LEASE_TTL
            self.drop_lease(lease.item_id)  # an old lease that ran out
        self.reconcile({lease.item_id: TaskState.LEASED for lease in leases})
        for lease in leases:
            self.leases[lease.lease_id] = lease
            self.lease_by_item[lease.item_id] = lease
        eligible = {i for i in self.queued() if annotator not in self.skipped_by.get(i, set())}
        got = [self.priority(lease.item_id) for lease in leases]
        assert len(leases) == min(n, len(eligible) + len(leases))
        assert all(a >= b * (1 - REL) for a, b in itertools.pairwise(got))
        if got and eligible:
            assert got[-1] >= max(self.priority(i) for i in eligible) * (1 - REL)

    def live_lease(self, data: st.DataObject) -> Lease:
        ordered = sorted(self.leases.values(), key=lambda x: (x.leased_at, x.item_id))
        return data.draw(st.sampled_from(ordered))

    @precondition(lambda self: self.leases)
    @rule(data=st.data(), wrong=st.booleans())
    def release(self, data: st.DataObject, wrong: bool) -> None:
        lease = self.live_lease(data)
        if self.lease_ended_or_wrong(lease, wrong, "release"):
            return
        expected = TaskState.EXPIRED if self.too_old(lease.item_id) else TaskState.QUEUED
        assert self.q.release(lease.lease_id, lease.annotator) is expected
        self.drop_lease(lease.item_id)
        self.reconcile({lease.item_id: expected})

    @precondition(lambda self: self.leases)
    @rule(data=st.data(), wrong=st.booleans())
    def ack(self, data: st.DataObject, wrong: bool) -> None:
        lease = self.live_lease(data)
        if self.lease_ended_or_wrong(lease, wrong, "ack"):
            return
        assert self.q.ack(lease.lease_id, lease.annotator).item_id == lease.item_id
        self.drop_lease(lease.item_id)
        self.reconcile({lease.item_id: TaskState.ACKED})

    @precondition(lambda self: self.leases)
    @rule(data=st.data(), wrong=st.booleans())
    def skip(self, data: st.DataObject, wrong: bool) -> None:
        lease = self.live_lease(data)
        if self.lease_ended_or_wrong(lease, wrong, "skip"):
            return
        skipped = self.skipped_by.setdefault(lease.item_id, set())
        skipped.add(lease.annotator)
        if len(skipped) >= MAX_SKIPS:
            expected = TaskState.DROPPED
        elif self.too_old(lease.item_id):
            expected = TaskState.EXPIRED
        else:
            expected = TaskState.QUEUED
        assert self.q.skip(lease.lease_id, lease.annotator) is expected
        self.drop_lease(lease.item_id)
        self.reconcile({lease.item_id: expected})

    def lease_ended_or_wrong(self, lease: Lease, wrong: bool, operation: str) -> bool:
        """Errors for a wrong annotator or a lease past its time; True if one was raised."""
        ended = self.now() >= lease.expires_at
        if not (wrong or ended):
            return False
        annotator = lease.annotator + "-other" if wrong else lease.annotator
        with pytest.raises(LeaseError, match=lease.lease_id):
            getattr(self.q, operation)(lease.lease_id, annotator)
        self.reconcile()
        return True

    @rule()
    def expire(self) -> None:
        due = {i for i, lease in self.lease_by_item.items() if self.now() >= lease.expires_at}
        old = {i for i in self.queued() if self.too_old(i)}
        report = self.q.expire()
        assert {lease.item_id for lease in report.leases} == due
        assert set(report.requeued) | set(report.expired) >= due
        assert set(report.expired) == old | {i for i in due if self.too_old(i)}
        self.reconcile()

    @rule(data=st.data())
    def rescore(self, data: st.DataObject) -> None:
        live = sorted(i for i, state in self.fate.items() if state.live)
        new = {i: data.draw(scores, label=f"score {i}") for i in live}
        self.q.rescore(lambda task: new[task.item_id])
        self.reconcile()
        for item_id in live:
            if self.fate[item_id].live:
                self.score[item_id] = new[item_id]
                assert self.q.get(item_id).score == new[item_id]

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def bounded(self) -> None:
        assert len(self.q) <= CAPACITY
        assert len(self.q) == self.q.depth + self.q.leased_count

    @invariant()
    def model_agrees(self) -> None:
        live = [i for i, state in self.fate.items() if state.live]
        assert len(live) == len(self.q)
        assert self.q.leased_count == len(self.leases)
        for item_id, lease in self.lease_by_item.items():
            assert self.q.lease_of(item_id) == lease


class RejectNewMachine(QueueMachine):
    on_full: OnFull = "reject_new"


FAST = settings(
    max_examples=250,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestEvictLowest = QueueMachine.TestCase
TestEvictLowest.settings = FAST
TestRejectNew = RejectNewMachine.TestCase
TestRejectNew.settings = FAST

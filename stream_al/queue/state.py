"""The queue's memory: live tasks, their indexes, and every change of state.

`QueueState` knows *how* a task moves (admitted, leased, requeued, finished)
and keeps the indexes in step; `AnnotationQueue` decides *when* (policies).
Each change is saved to the store first and applied in memory after, so a
store that raises leaves memory as it was.

Indexes: queued ids by priority (`PriorityIndex`), queued ids by arrival for
the item TTL, and live leases by expiry (`LeaseBook`). All are bounded by the
number of live tasks; finished ids and ended leases live in bounded `Recent`
memories.

>>> from stream_al.priority import DecayedPriority
>>> from stream_al.queue.store import MemoryQueueStore
>>> state = QueueState(MemoryQueueStore(), DecayedPriority(60.0), item_ttl=10.0, remember=100)
>>> entry = state.admit(Task("a", score=0.5, arrival=0.0), key=0.0, now=0.0)
>>> state.state_of("a").value, state.sweep(now=10.0).expired, state.state_of("a").value
('queued', ('a',), 'expired')
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from stream_al.exceptions import UnknownItemError
from stream_al.priority import DecayedPriority
from stream_al.queue.index import LazyHeap, PriorityIndex
from stream_al.queue.leases import LeaseBook
from stream_al.queue.recent import Recent
from stream_al.queue.store import QueueStore, TaskRecord
from stream_al.queue.task import ExpireReport, Lease, LeaseOutcome, Task, TaskState

__all__ = ["Entry", "QueueState"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Entry:
    """A live task and the bookkeeping about it."""

    task: Task
    key: float
    seq: int
    lease: Lease | None = None
    skips: int = 0
    skipped_by: set[str] = field(default_factory=set)
    wanted: int = 1
    labelled_by: set[str] = field(default_factory=set)

    @property
    def item_id(self) -> str:
        """The task's item id."""
        return self.task.item_id

    def excludes(self, annotator: str) -> bool:
        """Whether `annotator` skipped or labelled the task (it is not offered to them)."""
        return annotator in self.skipped_by or annotator in self.labelled_by


class QueueState:
    """Live entries, their indexes and their state changes.

    Parameters
    ----------
    store
        Where each change is saved before it is applied.
    priority
        Turns scores and arrivals into ordering keys.
    item_ttl
        Seconds after arrival when a task expires; None for never.
    remember
        How many finished ids and ended leases to remember.
    """

    def __init__(
        self, store: QueueStore, priority: DecayedPriority, item_ttl: float | None, remember: int
    ) -> None:
        self.store = store
        self.priority = priority
        self.item_ttl = item_ttl
        self.entries: dict[str, Entry] = {}
        self.index = PriorityIndex()
        self.by_arrival = LazyHeap()
        self.leases = LeaseBook(remember)
        self.done: Recent[TaskState] = Recent(remember)
        self.counts: Counter[str] = Counter()
        #: Called with the final record of every task that leaves (after it left).
        self.on_finish: list[Callable[[TaskRecord], None]] = []
        self._seq = 0

    def state_of(self, item_id: str) -> TaskState | None:
        """Live state of `item_id`, its final state if remembered, else None."""
        entry = self.entries.get(item_id)
        if entry is not None:
            return TaskState.LEASED if entry.lease is not None else TaskState.QUEUED
        return self.done.get(item_id)

    def entry(self, item_id: str) -> Entry:
        """The live entry of `item_id`; `UnknownItemError` if there is none."""
        entry = self.entries.get(item_id)
        if entry is None:
            done = self.done.get(item_id)
            why = f"it is {done.value}" if done else "it was never admitted, or is long gone"
            raise UnknownItemError(f"item {item_id!r} is not in the queue: {why}")
        return entry

    def too_old(self, task: Task, now: float) -> bool:
        """Whether `task` is past the item TTL at `now`."""
        return self.item_ttl is not None and now >= task.arrival + self.item_ttl

    # -- changes -------------------------------------------------------------------

    def admit(self, task: Task, key: float, now: float, wanted: int = 1) -> Entry:
        """Queue a new task with ordering key `key`, for `wanted` annotators to label."""
        self._seq += 1
        entry = Entry(task, key, self._seq, wanted=wanted)
        self.save(entry, TaskState.QUEUED, now)
        self.entries[task.item_id] = entry
        self._enqueue(entry)
        return entry

    def hand_out(self, entry: Entry, lease: Lease, now: float) -> None:
        """Mark an entry already popped from the priority index as leased."""
        self.save(entry, TaskState.LEASED, now, lease)
        entry.lease = lease
        self.by_arrival.discard(entry.item_id)
        self.leases.add(lease)

    def requeue(self, entry: Entry, now: float, outcome: LeaseOutcome) -> TaskState:
        """End the entry's lease; queue it again unless it is past the item TTL."""
        if self.too_old(entry.task, now):
            self.finish(entry, TaskState.EXPIRED, now, outcome)
            return TaskState.EXPIRED
        self.save(entry, TaskState.QUEUED, now)
        if entry.lease is not None:
            self.leases.end(entry.lease.lease_id, outcome, now)
            entry.lease = None
        self._enqueue(entry)
        return TaskState.QUEUED

    def finish(
        self, entry: Entry, state: TaskState, now: float, outcome: LeaseOutcome | None = None
    ) -> None:
        """Remove a live entry for good, in final `state`; remember its id."""
        item_id = entry.item_id
        record = self.record(entry, state, now)
        self.store.save(record)
        if entry.lease is not None:
            self.leases.end(entry.lease.lease_id, outcome or LeaseOutcome.EXPIRED, now)
            entry.lease = None
        self.index.remove(item_id)
        self.by_arrival.discard(item_id)
        del self.entries[item_id]
        self.done[item_id] = state
        self.counts[state.value] += 1
        logger.debug("queue.finish item_id=%s state=%s", item_id, state.value)
        for listener in self.on_finish:
            try:
                listener(record)
            except Exception:  # the queue is consistent; the listener's failure is its own
                logger.exception("queue.on_finish listener failed item_id=%s", item_id)

    def rekey(self, entry: Entry, task: Task, now: float) -> None:
        """Give a live entry a new task (score); the priority index is left stale."""
        state = TaskState.LEASED if entry.lease is not None else TaskState.QUEUED
        self.store.save(self.record(entry, state, now, task=task))
        entry.task, entry.key = task, self.priority.key(task.score, task.arrival)

    def reindex(self) -> None:
        """Rebuild the priority index from the queued entries, in O(n)."""
        queued = (e for e in self.entries.values() if e.lease is None)
        self.index.rebuild((e.item_id, e.key, e.seq) for e in queued)

    def sweep(self, now: float) -> ExpireReport:
        """Return expired leases to the queue; drop tasks past the item TTL."""
        leases: list[Lease] = []
        requeued: list[str] = []
        expired: list[str] = []
        while (lease := self.leases.next_expired(now)) is not None:
            leases.append(lease)
            state = self.requeue(self.entries[lease.item_id], now, LeaseOutcome.EXPIRED)
            (requeued if state is TaskState.QUEUED else expired).append(lease.item_id)
            self.counts["lease_expired"] += 1
            logger.info(
                "queue.lease_expired lease_id=%s item_id=%s annotator=%s expires_at=%s",
                lease.lease_id,
                lease.item_id,
                lease.annotator,
                lease.expires_at,
            )
        while (top := self.by_arrival.peek()) is not None and self.too_old(
            self.entries[top[1]].task, now
        ):
            self.finish(self.entries[top[1]], TaskState.EXPIRED, now)
            expired.append(top[1])
        return ExpireReport(tuple(leases), tuple(requeued), tuple(expired))

    def restore(self, records: list[TaskRecord]) -> None:
        """Load records from the store into memory, without saving anything."""
        for record in records:
            if not record.state.live:
                self.done[record.item_id] = record.state
                continue
            self.done.pop(record.item_id)
            self._seq += 1
            task = record.task
            entry = Entry(task, self.priority.key(task.score, task.arrival), self._seq)
            entry.skips, entry.skipped_by = record.skips, set(record.skipped_by)
            entry.wanted, entry.labelled_by = record.wanted, set(record.labelled_by)
            self.entries[task.item_id] = entry
            if record.state is TaskState.LEASED and record.lease is not None:
                entry.lease = record.lease
                self.leases.add(record.lease)
            else:
                self._enqueue(entry)

    # -- records -------------------------------------------------------------------

    def save(self, entry: Entry, state: TaskState, now: float, lease: Lease | None = None) -> None:
        """Save the entry's new state to the store."""
        self.store.save(self.record(entry, state, now, lease))

    def record(
        self,
        entry: Entry,
        state: TaskState,
        now: float,
        lease: Lease | None = None,
        task: Task | None = None,
    ) -> TaskRecord:
        """The store record of `entry` in `state`."""
        if state is TaskState.LEASED and lease is None:
            lease = entry.lease
        return TaskRecord(
            task=task if task is not None else entry.task,
            state=state,
            at=now,
            lease=lease,
            skips=entry.skips,
            skipped_by=tuple(sorted(entry.skipped_by)),
            wanted=entry.wanted,
            labelled_by=tuple(sorted(entry.labelled_by)),
        )

    def _enqueue(self, entry: Entry) -> None:
        self.index.push(entry.item_id, entry.key, entry.seq)
        if self.item_ttl is not None:
            self.by_arrival.push(entry.item_id, (entry.task.arrival, entry.seq))

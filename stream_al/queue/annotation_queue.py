"""The annotation queue: a bounded buffer of tasks, leased by priority.

Semantics, in short:

- **Capacity** bounds queued and leased tasks *together*, so memory is set by
  configuration. A full queue evicts its lowest current priority queued task
  for a better newcomer (``on_full="evict_lowest"``) or turns newcomers away
  (``"reject_new"``). Leased tasks are never evicted; when every slot is
  leased, newcomers are rejected.
- **Priority** decays with age (`stream_al.priority`); ordering by the log-key
  is ordering by current priority at every time, so nothing is re-sorted.
- **Leases** last `lease_ttl` seconds. Released, skipped or expired leases
  put the task back with its original key (priority as if never leased).
- **Skips**: a skipped task goes back to the queue but is never offered again
  to an annotator who skipped it; after `max_skips` skips in all it is dropped.
- **Item TTL**: a queued task older than `item_ttl` (since its arrival) is
  dropped. A leased one may still be acked; if it comes back unlabelled
  (release, skip, lease expiry) past its TTL it is dropped instead.
- **Duplicates**: an id that is queued, leased, or finished recently (acked,
  expired, evicted, dropped; the last `remember` ids) is not admitted again.
- **Overlap**: a share `overlap` of the tasks (chosen by a hash of the item
  id, so the same ids on every run) is to be labelled by two annotators: the
  first acknowledgement puts it back in the queue, with its original key, for
  someone else. `want` asks a live task for more labels (a third opinion).
  Who labelled a task is never offered it again.
- **Diversity** (optional): one lease of several tasks passes over a
  candidate too similar to a task it already picked (`stream_al.queue.diversity`);
  the candidate stays queued for the next lease.
- Expiry runs lazily at the start of every operation, and on `expire()`.
- Every state change is saved to the `QueueStore` before memory changes.
- Not thread-safe: a server calls it under one lock (all operations are fast).

>>> from stream_al.clock import FakeClock
>>> clock = FakeClock()
>>> q = AnnotationQueue(capacity=2, half_life=60, lease_ttl=30, clock=clock)
>>> q.offer(Task("a", score=0.9, arrival=0.0)).admitted
True
>>> clock.advance(60)
>>> _ = q.offer(Task("b", score=0.5, arrival=60.0))
>>> q.offer(Task("c", score=0.7, arrival=60.0)).evicted  # "a" is worth 0.45 now
('a',)
>>> [lease.item_id for lease in q.lease("ana", n=5)]
['c', 'b']
>>> lease = q.lease_of("b")
>>> q.ack(lease.lease_id, "ana").item_id, q.state("b").value, len(q)
('b', 'acked', 1)
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from stream_al.clock import Clock, SystemClock
from stream_al.exceptions import ConfigError, LeaseError, QueueError
from stream_al.priority import DecayedPriority
from stream_al.queue.diversity import Diversity
from stream_al.queue.state import Entry, QueueState
from stream_al.queue.store import MemoryQueueStore, QueueStore, TaskRecord
from stream_al.queue.task import (
    ExpireReport,
    Lease,
    LeaseOutcome,
    OfferResult,
    QueueStats,
    RejectReason,
    Task,
    TaskState,
)

__all__ = ["AnnotationQueue", "OnFull", "overlap_share"]

logger = logging.getLogger(__name__)

#: What a full queue does with a newcomer.
OnFull = Literal["evict_lowest", "reject_new"]


class AnnotationQueue:
    """A bounded priority buffer of tasks that annotators lease.

    Parameters
    ----------
    capacity
        Most tasks held at once, queued and leased together.
    half_life
        Seconds for a task's priority to halve.
    lease_ttl
        Seconds an annotator holds a task before it goes back to the queue.
    item_ttl
        Seconds after its arrival when a task is dropped; None keeps tasks forever.
    clock
        The time source (a `FakeClock` in tests); the system clock by default.
    store
        Where task states are saved; in memory by default. Live and recent
        records already in it are restored.
    on_full
        ``"evict_lowest"`` or ``"reject_new"``.
    max_skips
        Skips after which a task is dropped; None never drops for skips.
    remember
        How many finished item ids (and ended leases) to remember.
    overlap
        Share of the tasks to be labelled by two annotators (0 to 1).
    diversity
        Keeps near-duplicates out of one lease of several tasks; None (the
        default) leases in pure priority order.
    """

    def __init__(
        self,
        capacity: int,
        half_life: float,
        lease_ttl: float,
        item_ttl: float | None = None,
        clock: Clock | None = None,
        store: QueueStore | None = None,
        on_full: OnFull = "evict_lowest",
        *,
        max_skips: int | None = 3,
        remember: int = 10_000,
        overlap: float = 0.0,
        diversity: Diversity | None = None,
    ) -> None:
        _check_config(capacity, lease_ttl, item_ttl, on_full, max_skips, remember)
        if not 0.0 <= overlap <= 1.0:
            raise ConfigError(f"overlap must be a share between 0 and 1, got {overlap}")
        self.overlap = float(overlap)
        self.capacity = capacity
        self.lease_ttl = float(lease_ttl)
        self.item_ttl = None if item_ttl is None else float(item_ttl)
        self.on_full: OnFull = on_full
        self.max_skips = max_skips
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._priority = DecayedPriority(half_life, origin=self._clock.now())
        store = store if store is not None else MemoryQueueStore(remember)
        self._s = QueueState(store, self._priority, self.item_ttl, remember)
        self.diversity = diversity
        if diversity is not None:  # a finished task's vector is not needed again
            self._s.on_finish.append(lambda record: diversity.forget(record.item_id))
        self._restore()

    # -- reading -------------------------------------------------------------------

    def __len__(self) -> int:
        """Tasks held: queued and leased."""
        return len(self._s.entries)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._s.entries

    @property
    def depth(self) -> int:
        """Tasks waiting for an annotator."""
        return len(self._s.index)

    @property
    def leased_count(self) -> int:
        """Tasks out with annotators."""
        return len(self._s.leases)

    def state(self, item_id: str) -> TaskState | None:
        """Where `item_id` is; None if never admitted, or finished and forgotten."""
        return self._s.state_of(item_id)

    def get(self, item_id: str) -> Task:
        """The live task of `item_id`, with its current score."""
        return self._s.entry(item_id).task

    def priority(self, item_id: str) -> float:
        """The current priority of the live task `item_id`."""
        return self._priority.at(self._s.entry(item_id).key, self._clock.now())

    def wanted(self, item_id: str) -> int:
        """How many annotators are to label the live task `item_id` (2 or more: overlap)."""
        return self._s.entry(item_id).wanted

    @property
    def on_finish(self) -> list[Callable[[TaskRecord], None]]:
        """Listeners called with the final record of each task that leaves the queue.

        They run after the queue changed; one that raises is logged, not re-raised.
        """
        return self._s.on_finish

    def lease_of(self, item_id: str) -> Lease:
        """The live lease on `item_id` (for an API addressing tasks by item id)."""
        entry = self._s.entry(item_id)
        if entry.lease is None:
            raise LeaseError(f"item {item_id!r} is queued, not leased; lease it first")
        return entry.lease

    def leases_of(self, annotator: str) -> list[Lease]:
        """The live leases `annotator` holds, oldest first (expired ones until the next sweep).

        >>> q = AnnotationQueue(10, half_life=60, lease_ttl=30)
        >>> _ = q.offer(Task("a", 0.5, arrival=0.0)); _ = q.offer(Task("b", 0.9, arrival=0.0))
        >>> _ = q.lease("ana", n=2)
        >>> [lease.item_id for lease in q.leases_of("ana")], q.leases_of("bob"), q.holders()
        (['b', 'a'], [], ['ana'])
        """
        return self._s.leases.held_by(annotator)

    def holders(self) -> list[str]:
        """The annotators holding at least one live lease."""
        return self._s.leases.holders()

    def oldest_arrival(self) -> float | None:
        """Arrival time of the oldest live (queued or leased) task; None when there is none.

        The label lag in seconds is its age. A scan of the live tasks: at most `capacity`.

        >>> q = AnnotationQueue(10, half_life=60, lease_ttl=30)
        >>> _ = q.offer(Task("a", 0.5, arrival=10.0)); _ = q.offer(Task("b", 0.9, arrival=20.0))
        >>> q.oldest_arrival(), len(q)
        (10.0, 2)
        >>> q.ack(q.lease("ana")[0].lease_id, "ana").item_id, q.oldest_arrival()
        ('b', 10.0)
        """
        return min((entry.task.arrival for entry in self._s.entries.values()), default=None)

    def labels_so_far(self) -> int:
        """Labels given to live tasks that want more (a scan of the live tasks)."""
        return sum(len(entry.labelled_by) for entry in self._s.entries.values())

    def stats(self) -> QueueStats:
        """Depth, leases, priorities at both ends, and event counts."""
        return QueueStats(
            capacity=self.capacity,
            depth=self.depth,
            leased=self.leased_count,
            top_priority=self._priority_of(self._s.index.peek_max()),
            lowest_priority=self._priority_of(self._s.index.peek_min()),
            counts=dict(self._s.counts),
        )

    # -- the producer side ---------------------------------------------------------

    def offer(self, task: Task) -> OfferResult:
        """Admit `task` unless it is a duplicate, too old, or loses to a full queue."""
        now = self._clock.now()
        s = self._s
        s.sweep(now)
        s.counts["offered"] += 1
        existing = s.state_of(task.item_id)
        if existing is not None:
            return self._reject(task, RejectReason.DUPLICATE, existing)
        if s.too_old(task, now):
            return self._reject(task, RejectReason.EXPIRED)
        key = self._priority.key(task.score, task.arrival)
        evicted: tuple[str, ...] = ()
        if len(s.entries) >= self.capacity:
            lowest = s.index.peek_min()
            if self.on_full == "reject_new" or lowest is None:
                return self._reject(task, RejectReason.FULL)
            if key <= s.entries[lowest].key:
                return self._reject(task, RejectReason.LOWEST)
            s.finish(s.entries[lowest], TaskState.EVICTED, now)
            evicted = (lowest,)
        twice = self.overlap > 0.0 and overlap_share(task.item_id) < self.overlap
        s.admit(task, key, now, wanted=2 if twice else 1)
        s.counts["admitted"] += 1
        logger.debug(
            "queue.admit item_id=%s score=%.6g evicted=%s", task.item_id, task.score, evicted
        )
        return OfferResult(task.item_id, admitted=True, evicted=evicted)

    def rescore(self, fn: Callable[[Task], float]) -> int:
        """Give every live task the score ``fn(task)``, keeping arrival times.

        All new scores are computed and checked before anything changes, so a
        failing `fn` leaves the queue as it was. Returns how many scores changed.
        """
        now = self._clock.now()
        self._s.sweep(now)
        changed: dict[str, Task] = {}
        for item_id, entry in self._s.entries.items():
            score = float(fn(entry.task))
            if score != entry.task.score:
                try:
                    changed[item_id] = replace(entry.task, score=score)
                except QueueError as error:
                    raise QueueError(f"rescore gave an invalid score: {error}") from error
        try:
            for item_id, task in changed.items():
                self._s.rekey(self._s.entries[item_id], task, now)
        finally:
            self._s.reindex()
        self._s.counts["rescored"] += len(changed)
        logger.info("queue.rescore tasks=%d changed=%d", len(self), len(changed))
        return len(changed)

    # -- the annotator side --------------------------------------------------------

    def lease(self, annotator: str, n: int = 1) -> list[Lease]:
        """Lease up to `n` tasks to `annotator`, highest current priority first.

        Tasks the annotator skipped before are passed over (popped and pushed
        back: O((n + s)·log N) for s such tasks at the top of the queue). With
        `diversity`, so are candidates too similar to a task this lease already
        picked, among at most ``look_ahead × n`` candidates looked at (their
        vectors computed a batch at a time).
        """
        if not annotator:
            raise QueueError("lease needs a non-empty annotator name")
        if n < 0:
            raise QueueError(f"cannot lease a negative number of tasks (n={n})")
        now = self._clock.now()
        s = self._s
        s.sweep(now)
        picks = self.diversity.picks(n) if self.diversity is not None and n > 1 else None
        leases: list[Lease] = []
        popped: list[Entry] = []  # the ones not leased are pushed back at the end
        try:
            while len(leases) < n:
                want = n - len(leases)
                batch = self._pop_for(
                    annotator, want if picks is None else picks.room(want), popped
                )
                if not batch:
                    break
                if picks is not None:
                    picks.prepare([entry.task for entry in batch])
                for entry in batch:
                    if picks is None or picks.take(entry.task):
                        leases.append(self._hand_out(entry, annotator, now))
        finally:
            for entry in popped:
                if entry.lease is None:
                    s.index.push(entry.item_id, entry.key, entry.seq)
        passed = picks.passed if picks is not None else 0
        s.counts["leased"] += len(leases)
        if passed:
            s.counts["passed_similar"] += passed
        logger.debug(
            "queue.lease annotator=%s asked=%d leased=%d passed_similar=%d",
            annotator,
            n,
            len(leases),
            passed,
        )
        return leases

    def release(self, lease_id: str, annotator: str) -> TaskState:
        """Give a leased task back unlabelled; returns its new state (queued, or expired)."""
        now, entry = self._held(lease_id, annotator)
        state = self._s.requeue(entry, now, LeaseOutcome.RELEASED)
        self._s.counts["released"] += 1
        logger.debug("queue.release lease_id=%s item_id=%s", lease_id, entry.item_id)
        return state

    def release_all(self, annotator: str) -> list[str]:
        """Give back every task leased to `annotator` (e.g. revoked); returns their item ids.

        Each goes back to the queue as if released (or expires, if past its TTL).

        >>> q = AnnotationQueue(10, half_life=60, lease_ttl=30)
        >>> _ = q.offer(Task("a", 0.5, arrival=0.0)); _ = q.offer(Task("b", 0.9, arrival=0.0))
        >>> _ = q.lease("ana", n=2)
        >>> q.release_all("ana"), q.depth, q.leased_count
        (['b', 'a'], 2, 0)
        """
        now = self._clock.now()
        self._s.sweep(now)
        released = []
        for lease in self._s.leases.held_by(annotator):
            self._s.requeue(self._s.entries[lease.item_id], now, LeaseOutcome.RELEASED)
            self._s.counts["released"] += 1
            released.append(lease.item_id)
        if released:
            logger.debug("queue.release_all annotator=%s tasks=%d", annotator, len(released))
        return released

    def ack(self, lease_id: str, annotator: str) -> Task:
        """The leased task is labelled by `annotator`; returns it.

        It leaves the queue for good once it has the labels it wants; until
        then it goes back to the queue (others only), or expires if too old.
        """
        now, entry = self._held(lease_id, annotator)
        if len(entry.labelled_by | {annotator}) >= entry.wanted:
            entry.labelled_by.add(annotator)
            self._s.finish(entry, TaskState.ACKED, now, LeaseOutcome.ACKED)
            return entry.task
        before = set(entry.labelled_by)
        entry.labelled_by.add(annotator)
        try:
            self._s.requeue(entry, now, LeaseOutcome.ACKED)
        except BaseException:
            entry.labelled_by = before
            raise
        self._s.counts["acked_partly"] += 1
        return entry.task

    def want(self, item_id: str, labels: int) -> None:
        """Ask the live task `item_id` for `labels` labels in all (never fewer than now)."""
        if labels < 1:
            raise QueueError(f"a task wants at least 1 label, got {labels}")
        now = self._clock.now()
        entry = self._s.entry(item_id)
        if labels <= entry.wanted:
            return
        before, entry.wanted = entry.wanted, labels
        try:
            state = TaskState.LEASED if entry.lease is not None else TaskState.QUEUED
            self._s.save(entry, state, now)
        except BaseException:
            entry.wanted = before
            raise

    def settle(self, item_id: str) -> bool:
        """Take the live task `item_id` out as labelled (a decision made elsewhere).

        Ends its lease if it has one. False if it is not live (nothing to do).
        """
        now = self._clock.now()
        entry = self._s.entries.get(item_id)
        if entry is None:
            return False
        self._s.finish(entry, TaskState.ACKED, now, LeaseOutcome.RELEASED)
        return True

    def skip(self, lease_id: str, annotator: str) -> TaskState:
        """The annotator passes: requeue for others, or drop after `max_skips`.

        Returns the task's new state (queued, dropped or expired).
        """
        now, entry = self._held(lease_id, annotator)
        before = (entry.skips, set(entry.skipped_by))
        entry.skips += 1
        entry.skipped_by.add(annotator)
        try:
            if self.max_skips is not None and entry.skips >= self.max_skips:
                self._s.finish(entry, TaskState.DROPPED, now, LeaseOutcome.SKIPPED)
                state = TaskState.DROPPED
            else:
                state = self._s.requeue(entry, now, LeaseOutcome.SKIPPED)
        except BaseException:
            entry.skips, entry.skipped_by = before
            raise
        self._s.counts["skipped"] += 1
        return state

    def expire(self) -> ExpireReport:
        """Return expired leases to the queue and drop tasks past the item TTL."""
        return self._s.sweep(self._clock.now())

    # -- helpers -------------------------------------------------------------------

    def _pop_for(self, annotator: str, k: int, popped: list[Entry]) -> list[Entry]:
        """Pop the next `k` queued entries `annotator` may have (all popped go to `popped`)."""
        batch: list[Entry] = []
        s = self._s
        while len(batch) < k and (item_id := s.index.pop_max()) is not None:
            entry = s.entries[item_id]
            popped.append(entry)
            if not entry.excludes(annotator):
                batch.append(entry)
        return batch

    def _hand_out(self, entry: Entry, annotator: str, now: float) -> Lease:
        """Lease the popped `entry` to `annotator` (saved first)."""
        lease = Lease(
            lease_id=uuid.uuid4().hex,
            item_id=entry.item_id,
            annotator=annotator,
            leased_at=now,
            expires_at=now + self.lease_ttl,
            task=entry.task,
        )
        self._s.hand_out(entry, lease, now)
        return lease

    def _held(self, lease_id: str, annotator: str) -> tuple[float, Entry]:
        """Sweep, then the entry under the live lease `lease_id` held by `annotator`."""
        now = self._clock.now()
        self._s.sweep(now)
        lease = self._s.leases.holder(lease_id, annotator)
        return now, self._s.entries[lease.item_id]

    def _reject(
        self, task: Task, reason: RejectReason, existing: TaskState | None = None
    ) -> OfferResult:
        self._s.counts[f"rejected_{reason.value}"] += 1
        logger.debug("queue.reject item_id=%s reason=%s", task.item_id, reason.value)
        return OfferResult(task.item_id, admitted=False, reason=reason, existing=existing)

    def _priority_of(self, item_id: str | None) -> float | None:
        if item_id is None:
            return None
        return self._priority.at(self._s.entries[item_id].key, self._clock.now())

    def _restore(self) -> None:
        """Rebuild memory from the store; evict the lowest if over capacity."""
        s = self._s
        s.restore(list(s.store.records()))
        now = self._clock.now()
        while len(s.entries) > self.capacity and (low := s.index.peek_min()) is not None:
            s.finish(s.entries[low], TaskState.EVICTED, now)
        if s.entries:
            logger.info(
                "queue.restore queued=%d leased=%d capacity=%d",
                self.depth,
                self.leased_count,
                self.capacity,
            )


def overlap_share(item_id: str) -> float:
    """A number in [0, 1) fixed by `item_id`: the task is an overlap task when below `overlap`.

    >>> overlap_share("42") == overlap_share("42"), 0.0 <= overlap_share("42") < 1.0
    (True, True)
    """
    digest = hashlib.blake2b(item_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _check_config(
    capacity: int,
    lease_ttl: float,
    item_ttl: float | None,
    on_full: str,
    max_skips: int | None,
    remember: int,
) -> None:
    if capacity < 1:
        raise ConfigError(f"queue capacity must be at least 1, got {capacity}")
    if not lease_ttl > 0:
        raise ConfigError(f"lease_ttl must be a positive number of seconds, got {lease_ttl}")
    if item_ttl is not None and not item_ttl > 0:
        raise ConfigError(f"item_ttl must be positive seconds or None, got {item_ttl}")
    if on_full not in ("evict_lowest", "reject_new"):
        raise ConfigError(f"on_full must be 'evict_lowest' or 'reject_new', got {on_full!r}")
    if max_skips is not None and max_skips < 1:
        raise ConfigError(f"max_skips must be at least 1 or None, got {max_skips}")
    if remember < 0:
        raise ConfigError(f"remember must be >= 0, got {remember}")

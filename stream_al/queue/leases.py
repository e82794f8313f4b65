"""The queue's lease book: live leases by id, by item and by expiry time.

It also remembers how recent leases ended, so that a late or repeated call
gets an error saying what happened to the lease rather than "unknown".

>>> from stream_al.queue.task import Lease, LeaseOutcome, Task
>>> book = LeaseBook(remember=100)
>>> task = Task(item_id="7", score=0.5, arrival=0.0)
>>> book.add(Lease("L1", "7", "ana", leased_at=0.0, expires_at=30.0, task=task))
>>> book.next_expired(now=29.0) is None, book.next_expired(now=30.0).lease_id
(True, 'L1')
>>> [lease.item_id for lease in book.held_by("ana")], book.holders()
(['7'], ['ana'])
>>> _ = book.end("L1", LeaseOutcome.ACKED, at=12.0)
>>> book.holder("L1", "ana")
Traceback (most recent call last):
...
stream_al.exceptions.LeaseError: lease 'L1' on item '7' was already acked at 12.0 ...
"""

from __future__ import annotations

from dataclasses import dataclass

from stream_al.exceptions import LeaseError
from stream_al.queue.index import LazyHeap
from stream_al.queue.recent import Recent
from stream_al.queue.task import Lease, LeaseOutcome

__all__ = ["EndedLease", "LeaseBook"]


@dataclass(frozen=True, slots=True)
class EndedLease:
    """A lease that is over, and how and when it ended."""

    lease: Lease
    outcome: LeaseOutcome
    at: float


class LeaseBook:
    """Live leases, ordered by expiry, plus a bounded memory of ended ones.

    Parameters
    ----------
    remember
        How many ended leases to remember for error messages.
    """

    def __init__(self, remember: int) -> None:
        self._live: dict[str, Lease] = {}
        self._by_item: dict[str, str] = {}
        self._by_annotator: dict[str, dict[str, None]] = {}  # lease ids in the order leased
        self._expiry = LazyHeap()
        self._ended: Recent[EndedLease] = Recent(remember)
        self._n = 0

    def __len__(self) -> int:
        return len(self._live)

    @property
    def heap_size(self) -> int:
        """Entries in the expiry heap, live and garbage."""
        return self._expiry.size

    def add(self, lease: Lease) -> None:
        """Record a new live lease."""
        self._n += 1
        self._live[lease.lease_id] = lease
        self._by_item[lease.item_id] = lease.lease_id
        self._by_annotator.setdefault(lease.annotator, {})[lease.lease_id] = None
        self._expiry.push(lease.lease_id, (lease.expires_at, self._n))

    def of_item(self, item_id: str) -> Lease | None:
        """The live lease on `item_id`, if any."""
        lease_id = self._by_item.get(item_id)
        return None if lease_id is None else self._live[lease_id]

    def held_by(self, annotator: str) -> list[Lease]:
        """The live leases `annotator` holds, oldest first."""
        return [self._live[lease_id] for lease_id in self._by_annotator.get(annotator, ())]

    def holders(self) -> list[str]:
        """Who holds at least one live lease."""
        return list(self._by_annotator)

    def next_expired(self, now: float) -> Lease | None:
        """A live lease whose time is up at `now` (the earliest), if any."""
        top = self._expiry.peek()
        if top is None or top[0][0] > now:
            return None
        return self._live[top[1]]

    def end(self, lease_id: str, outcome: LeaseOutcome, at: float) -> Lease:
        """Close a live lease and remember how it ended."""
        lease = self._live.pop(lease_id)
        del self._by_item[lease.item_id]
        held = self._by_annotator[lease.annotator]
        del held[lease_id]
        if not held:
            del self._by_annotator[lease.annotator]
        self._expiry.discard(lease_id)
        self._ended[lease_id] = EndedLease(lease, outcome, at)
        return lease

    def ended(self, lease_id: str) -> EndedLease | None:
        """How `lease_id` ended, if it did recently."""
        return self._ended.get(lease_id)

    def holder(self, lease_id: str, annotator: str) -> Lease:
        """The live lease `lease_id`, checked to belong to `annotator`.

        Raises
        ------
        LeaseError
            If the lease is unknown, over, or held by someone else.
        """
        lease = self._live.get(lease_id)
        if lease is None:
            raise LeaseError(self._not_live_message(lease_id))
        if lease.annotator != annotator:
            raise LeaseError(
                f"lease {lease_id!r} on item {lease.item_id!r} belongs to annotator "
                f"{lease.annotator!r}, not {annotator!r}"
            )
        return lease

    def _not_live_message(self, lease_id: str) -> str:
        ended = self._ended.get(lease_id)
        if ended is None:
            return f"no lease {lease_id!r}: it was never issued or is long over; lease a task again"
        lease = ended.lease
        if ended.outcome is LeaseOutcome.EXPIRED:
            return (
                f"lease {lease_id!r} on item {lease.item_id!r} held by {lease.annotator!r} "
                f"expired at {lease.expires_at}; the task went back to the queue, lease it again"
            )
        return (
            f"lease {lease_id!r} on item {lease.item_id!r} was already {ended.outcome.value} "
            f"at {ended.at} (it belonged to {lease.annotator!r})"
        )

"""The values the annotation queue takes and gives: tasks, leases and outcomes.

>>> task = Task(item_id="42", score=0.7, arrival=100.0, classes=("cat", "dog"))
>>> task.item_id, task.score, Task("44", 0.1, 0.0, classes=["a", "b"]).classes
('42', 0.7, ('a', 'b'))
>>> Task(item_id="43", score=-1.0, arrival=100.0)
Traceback (most recent call last):
...
stream_al.exceptions.QueueError: task '43': score must be finite and >= 0, got -1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stream_al.exceptions import QueueError
from stream_al.items import Label

__all__ = [
    "ExpireReport",
    "Lease",
    "LeaseOutcome",
    "OfferResult",
    "QueueStats",
    "RejectReason",
    "Task",
    "TaskState",
    "task_score",
]

#: The lowest score a queried item enters the queue with: a zero score would sink it for ever.
MIN_TASK_SCORE = 1e-6


def task_score(score: float, random: bool) -> float:
    """The score a queried item enters the queue with (its priority before it decays).

    Its informativeness (strategies score in [0, 1]), kept in
    ``[MIN_TASK_SCORE, 1]`` (nan: the least); a random-share draw gets 1.0 and
    jumps the queue: its label belongs to the unbiased accuracy estimate, so
    whether it is labelled must not depend on what the model finds hard.

    >>> task_score(0.3, False), task_score(float("nan"), False), task_score(0.3, True)
    (0.3, 1e-06, 1.0)
    """
    if random:
        return 1.0
    if not score >= MIN_TASK_SCORE:  # nan too
        return MIN_TASK_SCORE
    return min(score, 1.0)


class TaskState(StrEnum):
    """Where a task is. `QUEUED` and `LEASED` are live; the others are final."""

    QUEUED = "queued"
    LEASED = "leased"
    ACKED = "acked"  # labelled
    EXPIRED = "expired"  # older than the item TTL
    EVICTED = "evicted"  # pushed out of a full queue by a higher priority
    DROPPED = "dropped"  # skipped by too many annotators

    @property
    def live(self) -> bool:
        """Whether the task still occupies a slot of the queue."""
        return self in (TaskState.QUEUED, TaskState.LEASED)


class RejectReason(StrEnum):
    """Why an offered task was not admitted."""

    DUPLICATE = "duplicate"  # the id is queued, leased or recently finished
    EXPIRED = "expired"  # already older than the item TTL
    FULL = "full"  # full, and the policy is reject_new or every slot is leased
    LOWEST = "lowest"  # full, and its priority is not above the lowest queued one


class LeaseOutcome(StrEnum):
    """How a lease ended."""

    ACKED = "acked"
    RELEASED = "released"
    SKIPPED = "skipped"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Task:
    """An item waiting for a label, as the queue sees it.

    Parameters
    ----------
    item_id
        The item's stable id; the queue holds at most one task per id.
    score
        Informativeness at arrival, finite and ``>= 0``; it decays with age.
    arrival
        When the task arrived, on the queue's clock (seconds).
    payload
        Whatever annotators need (the item, the prediction); opaque to the queue.
    classes
        The labels an annotator may choose from (stored as a tuple).
    """

    item_id: str
    score: float
    arrival: float
    payload: Any = None
    classes: Sequence[Label] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(self.classes))  # frozen: no shared list
        if not self.item_id:
            raise QueueError("a task needs a non-empty item_id")
        if not (math.isfinite(self.score) and self.score >= 0.0):
            raise QueueError(
                f"task {self.item_id!r}: score must be finite and >= 0, got {self.score}"
            )
        if not math.isfinite(self.arrival):
            raise QueueError(f"task {self.item_id!r}: arrival must be finite, got {self.arrival}")


@dataclass(frozen=True, slots=True)
class Lease:
    """A task handed to one annotator until `expires_at`.

    Attributes
    ----------
    lease_id
        Opaque id to release, skip or acknowledge the lease with.
    item_id
        The leased item.
    annotator
        Who holds it; only they may end it.
    leased_at, expires_at
        Clock times; at `expires_at` the task goes back to the queue.
    task
        The task as it was when leased.
    """

    lease_id: str
    item_id: str
    annotator: str
    leased_at: float
    expires_at: float
    task: Task


@dataclass(frozen=True, slots=True)
class OfferResult:
    """What `AnnotationQueue.offer` did with a task.

    Attributes
    ----------
    item_id
        The offered item.
    admitted
        Whether it is now queued.
    evicted
        Ids pushed out to make room (only when admitted).
    reason
        Why it was rejected, when it was.
    existing
        For a duplicate, the state of the task already known under that id.
    """

    item_id: str
    admitted: bool
    evicted: tuple[str, ...] = ()
    reason: RejectReason | None = None
    existing: TaskState | None = None


@dataclass(frozen=True, slots=True)
class ExpireReport:
    """What one expiry sweep did.

    Attributes
    ----------
    leases
        Leases that ran out; their tasks went back to the queue unless too old.
    requeued
        Ids of the tasks of `leases` that are queued again.
    expired
        Ids dropped for being older than the item TTL (queued or just returned).
    """

    leases: tuple[Lease, ...] = ()
    requeued: tuple[str, ...] = ()
    expired: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.leases or self.expired)


@dataclass(frozen=True, slots=True)
class QueueStats:
    """A snapshot of the queue.

    Attributes
    ----------
    capacity
        Most tasks held at once, queued and leased together.
    depth
        Tasks waiting for an annotator.
    leased
        Tasks out with annotators.
    top_priority, lowest_priority
        Current priorities of the next task to lease and of the next to evict
        (None when nothing is queued).
    counts
        Events since start: ``offered``, ``admitted``, ``rejected_<reason>``,
        ``leased``, ``acked``, ``released``, ``skipped``, ``lease_expired``,
        ``evicted``, ``expired``, ``dropped``, ``rescored``.
    """

    capacity: int
    depth: int
    leased: int
    top_priority: float | None
    lowest_priority: float | None
    counts: Mapping[str, int] = field(default_factory=dict)

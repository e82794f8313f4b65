"""Where the queue's state is kept: a small protocol, and the in-memory backend.

The queue saves a `TaskRecord` at every state change of a task (admitted,
leased, returned, labelled, expired, evicted, dropped, rescored) *before* it
changes its own memory, so a backend that raises leaves the queue as it was.
A durable backend (SQLite) must have the record on disk when `save` returns:
that is what lets the caller commit the Kafka offsets afterwards.
On start, the queue rebuilds itself from `records`.

>>> from stream_al.queue.task import Task, TaskState
>>> store = MemoryQueueStore()
>>> task = Task(item_id="7", score=0.4, arrival=0.0)
>>> store.save(TaskRecord(task, TaskState.QUEUED, at=0.0))
>>> store.save(TaskRecord(task, TaskState.ACKED, at=5.0))
>>> store.get("7").state, [r.state.value for r in store.log]
(<TaskState.ACKED: 'acked'>, ['queued', 'acked'])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from stream_al.queue.recent import Recent
from stream_al.queue.task import Lease, Task, TaskState

__all__ = ["MemoryQueueStore", "QueueStore", "TaskRecord"]


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """The state of one task after a change.

    Attributes
    ----------
    task
        The task (with its current score).
    state
        Where it is now.
    at
        Clock time of the change.
    lease
        The live lease, when `state` is ``LEASED``.
    skips
        How many times annotators skipped it.
    skipped_by
        Who skipped it (they are not given it again).
    wanted
        How many annotators are to label it (2 or more: an overlap task).
    labelled_by
        Who labelled it so far (they are not given it again).
    """

    task: Task
    state: TaskState
    at: float
    lease: Lease | None = None
    skips: int = 0
    skipped_by: tuple[str, ...] = ()
    wanted: int = 1
    labelled_by: tuple[str, ...] = ()

    @property
    def item_id(self) -> str:
        """The task's item id."""
        return self.task.item_id


class QueueStore(Protocol):
    """Storage of the queue's task states."""

    def save(self, record: TaskRecord) -> None:
        """Record the new state of one task (insert or replace by item id)."""
        ...

    def records(self) -> Iterable[TaskRecord]:
        """Every live task (queued, leased) and recently finished ones, to restart from."""
        ...


class MemoryQueueStore:
    """Task states in memory; for tests and the single-process embedded mode.

    Parameters
    ----------
    history
        How many finished tasks, and how many saves in `log`, to keep.
    """

    def __init__(self, history: int = 10_000) -> None:
        self._live: dict[str, TaskRecord] = {}
        self._done: Recent[TaskRecord] = Recent(history)
        #: The latest saves, oldest first (bounded by `history`).
        self.log: deque[TaskRecord] = deque(maxlen=history)
        #: How many times `save` was called.
        self.saves = 0

    def save(self, record: TaskRecord) -> None:
        """Record the new state of one task."""
        self.saves += 1
        self.log.append(record)
        if record.state.live:
            self._done.pop(record.item_id)
            self._live[record.item_id] = record
        else:
            self._live.pop(record.item_id, None)
            self._done[record.item_id] = record

    def get(self, item_id: str) -> TaskRecord | None:
        """The latest record of `item_id`, if still kept."""
        return self._live.get(item_id) or self._done.get(item_id)

    def records(self) -> Iterator[TaskRecord]:
        """Finished tasks (oldest first), then live ones in order of admission."""
        yield from list(self._done.values())
        yield from list(self._live.values())

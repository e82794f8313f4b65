"""`MemoryQueueTable`: queue task states inside a `MemoryStore`.

Unlike `stream_al.queue.MemoryQueueStore` (the queue's own default), its
saves are undone when the owning store's transaction rolls back, and it
refuses what `SqliteQueueStore` refuses (payloads that are not JSON), so code
tested on memory behaves the same on SQLite.

>>> from stream_al.queue import Task, TaskRecord, TaskState
>>> from stream_al.store.memory import MemoryStore
>>> table = MemoryStore().queue_store(history=1)
>>> for name in "abc":
...     table.save(TaskRecord(Task(name, 0.5, 0.0), TaskState.QUEUED, at=0.0))
>>> table.save(TaskRecord(Task("a", 0.5, 0.0), TaskState.ACKED, at=1.0))
>>> [(r.item_id, r.state.value) for r in table.records()]
[('a', 'acked'), ('b', 'queued'), ('c', 'queued')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from typing import Protocol

from stream_al.queue.store import TaskRecord
from stream_al.store.sqlite_queue import encode_task_record

__all__ = ["MemoryQueueTable"]


class _Owner(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...

    def on_rollback(self, action: Callable[[], object]) -> None: ...


class MemoryQueueTable:
    """The ``queue_tasks`` table of a `MemoryStore`; implements `QueueStore`.

    Parameters
    ----------
    owner
        The store whose transactions cover the saves.
    history
        Finished tasks to keep; None keeps all.
    """

    def __init__(self, owner: _Owner, history: int | None = 10_000) -> None:
        if history is not None and history < 0:
            raise ValueError(f"history must be >= 0 or None, got {history}")
        self._owner = owner
        self.history = history
        self._live: dict[str, tuple[int, TaskRecord]] = {}
        self._done: dict[str, tuple[int, TaskRecord]] = {}  # in order of finishing
        self._seq = 0

    def save(self, record: TaskRecord) -> None:
        """Record the new state of one task."""
        encode_task_record(record)  # refuse what SQLite would refuse
        item_id = record.item_id
        with self._owner.transaction():
            before = (self._live.get(item_id), self._done.get(item_id))
            self._owner.on_rollback(partial(self._put, item_id, *before))
            old_live = before[0]
            self._done.pop(item_id, None)
            if record.state.live and old_live is not None:
                self._live[item_id] = (old_live[0], record)  # keeps its admission order
                return
            self._seq += 1
            self._live.pop(item_id, None)
            if record.state.live:
                self._live[item_id] = (self._seq, record)
            else:
                self._done[item_id] = (self._seq, record)
                self._prune()

    def _put(
        self,
        item_id: str,
        live: tuple[int, TaskRecord] | None,
        done: tuple[int, TaskRecord] | None,
    ) -> None:
        self._live.pop(item_id, None)
        self._done.pop(item_id, None)
        if live is not None:
            self._live[item_id] = live
        if done is not None:
            self._done[item_id] = done

    def _prune(self) -> None:
        if self.history is None:
            return
        while len(self._done) > self.history:
            item_id = next(iter(self._done))
            self._owner.on_rollback(partial(self._put, item_id, None, self._done.pop(item_id)))

    def records(self) -> Iterator[TaskRecord]:
        """Finished tasks (oldest first), then live ones in order of admission."""
        for rows in (self._done, self._live):
            for _, record in sorted(rows.values(), key=lambda row: row[0]):
                yield record

    def get(self, item_id: str) -> TaskRecord | None:
        """The latest record of `item_id`, if still kept."""
        row = self._live.get(item_id) or self._done.get(item_id)
        return None if row is None else row[1]

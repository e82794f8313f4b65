"""`SqliteQueueStore`: the annotation queue's task states in the SQLite store.

It implements `stream_al.queue.QueueStore`: one row per task, replaced at
every change. A save is durable when it returns, or, inside a
`SqliteStore.transaction`, when that transaction commits (so the queue's
changes commit together with the labels and decisions of the same batch).

Payloads are stored as JSON: give tasks JSON-ready payloads (a payload that
is not raises `StoreError` before the queue changes); they come back as JSON
types (tuples as lists). Finished tasks beyond `history` are pruned in
batches, so the table holds at most about ``1.1 × history`` of them.

>>> import tempfile
>>> from pathlib import Path
>>> from stream_al.queue import AnnotationQueue, Task
>>> from stream_al.store.sqlite import SqliteStore
>>> with tempfile.TemporaryDirectory() as tmp:
...     with SqliteStore(Path(tmp) / "s.db") as store:
...         q = AnnotationQueue(10, half_life=60, lease_ttl=30, store=store.queue_store())
...         _ = q.offer(Task("a", 0.9, arrival=0.0, payload={"text": "hi"}))
...         _ = q.lease("ana")
...     with SqliteStore(Path(tmp) / "s.db") as store:  # a restart
...         again = AnnotationQueue(10, half_life=60, lease_ttl=30, store=store.queue_store())
...         again.state("a").value, again.lease_of("a").annotator
('leased', 'ana')
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from stream_al.queue.store import TaskRecord
from stream_al.queue.task import Lease, Task, TaskState
from stream_al.store.connection import Connection
from stream_al.store.records import dumps

__all__ = ["SqliteQueueStore", "decode_task_record", "encode_task_record"]

_COLUMNS = (
    "item_id",
    "seq",
    "live",
    "state",
    "at",
    "score",
    "arrival",
    "payload",
    "classes",
    "lease",
    "skips",
    "skipped_by",
    "wanted",
    "labelled_by",
)
_UPSERT = (
    f"INSERT OR REPLACE INTO queue_tasks ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_PRUNE = (
    "DELETE FROM queue_tasks WHERE live = 0 AND seq <= "
    "(SELECT seq FROM queue_tasks WHERE live = 0 ORDER BY seq DESC LIMIT 1 OFFSET ?)"
)


class SqliteQueueStore:
    """Task states of an `AnnotationQueue`, in a `SqliteStore`'s ``queue_tasks`` table.

    Parameters
    ----------
    conn
        The store's connection (`SqliteStore.queue_store` passes it).
    history
        Finished tasks to keep; None keeps all.
    """

    def __init__(self, conn: Connection, history: int | None = 10_000) -> None:
        if history is not None and history < 0:
            raise ValueError(f"history must be >= 0 or None, got {history}")
        self._conn = conn
        self.history = history
        self._finished_since_prune = 0
        self._top: int | None = None  # highest seq written (read once, then counted here)

    def save(self, record: TaskRecord) -> None:
        """Record the new state of one task (durable on return, or at the outer commit)."""
        row = encode_task_record(record)
        with self._conn.transaction():
            found = self._conn.read(
                "SELECT seq, live FROM queue_tasks WHERE item_id = ?", [record.item_id]
            )
            if found and found[0]["live"] and record.state.live:
                row["seq"] = found[0]["seq"]  # still live: keep its place in admission order
            else:
                if self._top is None:
                    top = self._conn.read("SELECT COALESCE(MAX(seq), 0) AS top FROM queue_tasks")
                    self._top = int(top[0]["top"])
                self._top += 1  # a rolled-back transaction leaves a gap: harmless
                row["seq"] = self._top
            self._conn.write(_UPSERT, [row[c] for c in _COLUMNS])
            if not record.state.live:
                self._maybe_prune()

    def records(self) -> Iterator[TaskRecord]:
        """Finished tasks (oldest first), then live ones in order of admission."""
        rows = self._conn.read(f"SELECT {', '.join(_COLUMNS)} FROM queue_tasks ORDER BY live, seq")
        for row in rows:
            yield decode_task_record(row)

    def get(self, item_id: str) -> TaskRecord | None:
        """The latest record of `item_id`, if still kept."""
        rows = self._conn.read(
            f"SELECT {', '.join(_COLUMNS)} FROM queue_tasks WHERE item_id = ?", [item_id]
        )
        return decode_task_record(rows[0]) if rows else None

    def _maybe_prune(self) -> None:
        if self.history is None:
            return
        self._finished_since_prune += 1
        if self._finished_since_prune >= max(1, self.history // 10):
            self._finished_since_prune = 0
            self._conn.write(_PRUNE, [self.history])


def encode_task_record(record: TaskRecord) -> dict[str, Any]:
    """The ``queue_tasks`` row of `record` (without ``seq``); `StoreError` if not JSON-ready."""
    task = record.task
    what = f"payload of task {task.item_id!r}"
    lease = record.lease
    return {
        "item_id": task.item_id,
        "seq": None,
        "live": int(record.state.live),
        "state": record.state.value,
        "at": float(record.at),
        "score": float(task.score),
        "arrival": float(task.arrival),
        "payload": dumps(task.payload, what),
        "classes": dumps(list(task.classes), f"classes of task {task.item_id!r}"),
        "lease": None if lease is None else json.dumps(_lease_fields(lease)),
        "skips": record.skips,
        "skipped_by": json.dumps(list(record.skipped_by)),
        "wanted": record.wanted,
        "labelled_by": json.dumps(list(record.labelled_by)),
    }


def decode_task_record(row: Mapping[str, Any]) -> TaskRecord:
    """The `TaskRecord` stored in a ``queue_tasks`` row."""
    task = Task(
        item_id=row["item_id"],
        score=row["score"],
        arrival=row["arrival"],
        payload=json.loads(row["payload"]),
        classes=json.loads(row["classes"]),
    )
    lease = None
    if row["lease"] is not None:
        data = json.loads(row["lease"])
        lease = Lease(
            lease_id=data["lease_id"],
            item_id=task.item_id,
            annotator=data["annotator"],
            leased_at=data["leased_at"],
            expires_at=data["expires_at"],
            task=replace(task, score=data["task_score"], arrival=data["task_arrival"]),
        )
    return TaskRecord(
        task=task,
        state=TaskState(row["state"]),
        at=row["at"],
        lease=lease,
        skips=row["skips"],
        skipped_by=tuple(json.loads(row["skipped_by"])),
        wanted=row["wanted"] or 1,  # NULL: a row from before overlap tasks
        labelled_by=tuple(json.loads(row["labelled_by"] or "[]")),
    )


def _lease_fields(lease: Lease) -> dict[str, Any]:
    # The lease's task differs from the record's only if rescored while leased.
    return {
        "lease_id": lease.lease_id,
        "annotator": lease.annotator,
        "leased_at": lease.leased_at,
        "expires_at": lease.expires_at,
        "task_score": lease.task.score,
        "task_arrival": lease.task.arrival,
    }

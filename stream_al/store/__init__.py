"""The store: every durable effect of stream-al, in SQLite (WAL mode) or in memory.

`open_store` gives a `SqliteStore` for a file and a `MemoryStore` for
``":memory:"``; both implement the `Store` protocol. What is kept (see
`stream_al.store.schema`): the annotation queue's tasks and their states,
labels, the ids of processed items, the decision log, drift events, model
checkpoints and the budget's state.

Delivery: a consumer processes a batch inside ``store.transaction()`` and
commits its Kafka offsets only after the block exits; ``mark_seen`` and the
per-item idempotency of every write make a replay after a crash harmless.
Durability choices are written down in `stream_al.store.connection`.

>>> store = open_store(":memory:")
>>> with store.transaction():
...     store.mark_seen(["e1"])
...     store.add_label("e1", "spam", annotator="ana", time=0.0)
{'e1'}
True
"""

from __future__ import annotations

from pathlib import Path

from stream_al.store.base import BUDGET_STATE, Store
from stream_al.store.checkpoint import load_pickle, save_pickle
from stream_al.store.connection import Synchronous
from stream_al.store.errors import (
    IntegrityCheckError,
    LabelConflictError,
    StoreError,
    UnknownModelError,
)
from stream_al.store.memory import MemoryStore
from stream_al.store.memory_queue import MemoryQueueTable
from stream_al.store.records import (
    DecisionRow,
    DriftEvent,
    LabelRecord,
    LabelSource,
    ModelVersion,
)
from stream_al.store.sqlite import SqliteStore
from stream_al.store.sqlite_queue import SqliteQueueStore

__all__ = [
    "BUDGET_STATE",
    "DecisionRow",
    "DriftEvent",
    "IntegrityCheckError",
    "LabelConflictError",
    "LabelRecord",
    "LabelSource",
    "MemoryQueueTable",
    "MemoryStore",
    "ModelVersion",
    "SqliteQueueStore",
    "SqliteStore",
    "Store",
    "StoreError",
    "Synchronous",
    "UnknownModelError",
    "load_pickle",
    "open_store",
    "save_pickle",
]


def open_store(
    path: Path | str,
    *,
    synchronous: Synchronous = "full",
    busy_timeout: float = 30.0,
) -> SqliteStore | MemoryStore:
    """A `SqliteStore` on the file `path`, or a `MemoryStore` for ``":memory:"``.

    Parameters
    ----------
    path
        The database file (e.g. ``settings.store.path``), or ``":memory:"``.
    synchronous, busy_timeout
        See `SqliteStore`; ignored in memory.
    """
    if str(path) == ":memory:":
        return MemoryStore()
    return SqliteStore(path, synchronous=synchronous, busy_timeout=busy_timeout)

"""`SqliteStore`: the durable `Store`, one SQLite file (WAL mode) shared by processes.

See `stream_al.store.connection` for the durability choices (WAL,
``synchronous=FULL``, ``BEGIN IMMEDIATE``), `stream_al.store.schema` for the
tables and `stream_al.store.integrity` for how model blobs are checked.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "s.db") as store:
...     with store.transaction():  # one batch: durable together, or not at all
...         new = store.mark_seen(["a", "b"])
...         added = store.add_label("a", "cat", annotator="ana", time=1.0)
...     sorted(new), added, store.add_label("a", "cat", annotator="ana", time=2.0)
(['a', 'b'], True, False)
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from stream_al.drift.alerts import DriftAlert
from stream_al.items import Label
from stream_al.store.base import BUDGET_STATE
from stream_al.store.connection import Connection, Synchronous
from stream_al.store.errors import StoreError, UnknownModelError
from stream_al.store.integrity import blob_digest, load_or_create_key, seal, verify
from stream_al.store.records import (
    DECISION_COLUMNS,
    DecisionRow,
    DriftEvent,
    LabelRecord,
    LabelSource,
    ModelVersion,
    check_item_id,
    check_label,
    check_model,
    dumps,
    label_conflict,
)
from stream_al.store.sqlite_queue import SqliteQueueStore

__all__ = ["SqliteStore"]

_ALERT_COLUMNS = ("kind", "severity", "detector", "source", "statistic", "position", "time")


class SqliteStore:
    """Queue tasks, labels, seen ids, decisions, drift events, models and budget state.

    Parameters
    ----------
    path
        The database file; created if missing (its folder must exist).
    synchronous
        ``"full"`` (default: a commit survives power loss) or ``"normal"``.
    busy_timeout
        Seconds a write waits for another process holding the write lock.
    key_path
        The secret key for model HMACs; ``<path>.key`` by default.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "s.db") as store:
    ...     digest = store.save_model("clf", "1", b"weights", {"accuracy": 0.9})
    ...     store.load_model("clf")
    (b'weights', {'accuracy': 0.9})
    """

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Synchronous = "full",
        busy_timeout: float = 30.0,
        key_path: Path | None = None,
    ) -> None:
        if str(path) in ("", ":memory:"):
            raise StoreError(
                "SqliteStore needs a file path; use MemoryStore to keep state in memory"
            )
        self.path = Path(path)
        self.key_path = key_path if key_path is not None else Path(f"{self.path}.key")
        self._conn = Connection(self.path, synchronous, busy_timeout)
        self._key: bytes | None = None

    # -- the connection ------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Everything done inside is committed together on exit, or rolled back."""
        return self._conn.transaction()

    def pragma(self, name: str) -> Any:
        """The value of ``PRAGMA name``, e.g. ``journal_mode`` (``'wal'``)."""
        return self._conn.pragma(name)

    def close(self) -> None:
        """Close the database (further use raises `StoreError`)."""
        self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def queue_store(self, history: int | None = 10_000) -> SqliteQueueStore:
        """Storage for an `AnnotationQueue` in this file, keeping `history` finished tasks."""
        return SqliteQueueStore(self._conn, history)

    # -- labels --------------------------------------------------------------------

    def add_label(
        self,
        item_id: str,
        label: Label,
        annotator: str,
        time: float,
        source: LabelSource = "human",
        seconds: float | None = None,
    ) -> bool:
        """Store a label; False if identical to the one already stored for (item, annotator).

        Raises `LabelConflictError` if that annotator gave the item another label.
        """
        check_label(item_id, label, annotator, time, source, seconds)
        encoded = json.dumps(label)
        with self._conn.transaction():
            rows = self._conn.read(
                "SELECT label FROM labels WHERE item_id = ? AND annotator = ?",
                [item_id, annotator],
            )
            if rows:
                if rows[0]["label"] == encoded:
                    return False
                raise label_conflict(item_id, annotator, json.loads(rows[0]["label"]), label)
            self._conn.write(
                "INSERT INTO labels (item_id, annotator, label, source, time, seconds) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [item_id, annotator, encoded, source, float(time), seconds],
            )
        return True

    def labels_for(self, item_id: str) -> list[LabelRecord]:
        """Every label of `item_id`, oldest first."""
        rows = self._conn.read(
            "SELECT rowid, * FROM labels WHERE item_id = ? ORDER BY rowid", [item_id]
        )
        return [_label(row) for row in rows]

    def disputed(self, limit: int = 100) -> list[str]:
        """Items whose human labels disagree and that no review settled, oldest first."""
        rows = self._conn.read(
            "SELECT item_id FROM labels GROUP BY item_id "
            "HAVING SUM(source = 'review') = 0 "
            "AND COUNT(DISTINCT CASE WHEN source = 'human' THEN label END) >= 2 "
            "ORDER BY MIN(rowid) LIMIT ?",
            [limit],
        )
        return [row["item_id"] for row in rows]

    def iter_labels(self, since_rowid: int = 0, limit: int | None = None) -> Iterator[LabelRecord]:
        """Labels stored after `since_rowid`, oldest first (read at once; `limit` bounds it)."""
        rows = self._conn.read(
            "SELECT rowid, * FROM labels WHERE rowid > ? ORDER BY rowid LIMIT ?",
            [since_rowid, -1 if limit is None else limit],
        )
        return iter([_label(row) for row in rows])

    # -- processed items -----------------------------------------------------------

    def mark_seen(self, item_ids: Iterable[str], at: float | None = None) -> set[str]:
        """Record items as processed; return the ids that were not already."""
        when = _time.time() if at is None else float(at)
        ids = list(dict.fromkeys(item_ids))
        for item_id in ids:
            check_item_id(item_id, "mark_seen")
        with self._conn.transaction():
            new = set(ids) - self.seen(ids)
            self._conn.write_many(
                "INSERT OR IGNORE INTO seen (item_id, at) VALUES (?, ?)",
                [(item_id, when) for item_id in ids],
            )
        return new

    def seen(self, item_ids: Iterable[str]) -> set[str]:
        """Which of `item_ids` are already recorded as processed (changes nothing)."""
        ids = list(dict.fromkeys(item_ids))
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._conn.read(f"SELECT item_id FROM seen WHERE item_id IN ({marks})", chunk)
            found.update(row["item_id"] for row in rows)
        return found

    def prune_seen(self, *, keep_last: int | None = None, older_than: float | None = None) -> int:
        """Forget processed ids beyond the `keep_last` newest and/or seen before `older_than`.

        A replay reaching further back than what is kept is processed again.
        """
        removed = 0
        with self._conn.transaction():
            if keep_last is not None:
                removed += self._conn.write(
                    "DELETE FROM seen WHERE rowid <= "
                    "(SELECT rowid FROM seen ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                    [max(0, keep_last)],
                ).rowcount
            if older_than is not None:
                removed += self._conn.write(
                    "DELETE FROM seen WHERE at < ?", [float(older_than)]
                ).rowcount
        return removed

    # -- decision log --------------------------------------------------------------

    def log_decisions(self, rows: Iterable[DecisionRow]) -> int:
        """Append decisions; items already logged are left as they are. Returns how many new."""
        sql = (
            f"INSERT OR IGNORE INTO decisions ({', '.join(DECISION_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in DECISION_COLUMNS)})"
        )
        values = [row.to_values() for row in rows]
        with self._conn.transaction():
            return self._conn.write_many(sql, values)

    def decision_for(self, item_id: str) -> DecisionRow | None:
        """The logged decision about `item_id`, if any."""
        rows = self._conn.read("SELECT * FROM decisions WHERE item_id = ?", [item_id])
        return DecisionRow.from_row(rows[0]) if rows else None

    def iter_decisions(
        self, since_rowid: int = 0, limit: int | None = None
    ) -> Iterator[tuple[int, DecisionRow]]:
        """``(rowid, decision)`` logged after `since_rowid`, oldest first."""
        rows = self._conn.read(
            "SELECT rowid AS _rowid, * FROM decisions WHERE rowid > ? ORDER BY rowid LIMIT ?",
            [since_rowid, -1 if limit is None else limit],
        )
        return iter([(row["_rowid"], DecisionRow.from_row(row)) for row in rows])

    def prune_decisions(self, older_than: float) -> int:
        """Forget decisions made before `older_than`; return how many."""
        with self._conn.transaction():
            return self._conn.write(
                "DELETE FROM decisions WHERE time < ?", [float(older_than)]
            ).rowcount

    # -- drift events --------------------------------------------------------------

    def log_drift(self, alert: DriftAlert) -> bool:
        """Record an alert; False if the same (kind, detector, source, position) was."""
        data = alert.to_dict()
        columns = (*_ALERT_COLUMNS, "message")
        with self._conn.transaction():
            cursor = self._conn.write(
                f"INSERT OR IGNORE INTO drift_events ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [data[c] for c in columns],
            )
        return cursor.rowcount == 1

    def drift_events(self, since_rowid: int = 0, limit: int | None = None) -> list[DriftEvent]:
        """Alerts recorded after `since_rowid`, oldest first."""
        rows = self._conn.read(
            "SELECT rowid AS _rowid, * FROM drift_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
            [since_rowid, -1 if limit is None else limit],
        )
        return [DriftEvent(row.pop("_rowid"), DriftAlert.from_dict(row)) for row in rows]

    # -- model versions ------------------------------------------------------------

    def save_model(
        self,
        name: str,
        version: str,
        blob: bytes,
        metadata: Mapping[str, Any],
        created: float | None = None,
    ) -> str:
        """Save an immutable model version; return the blob's SHA-256 digest.

        Saving the same blob and metadata again is a no-op; different content
        under a saved (name, version) raises `StoreError`.
        """
        check_model(name, version, created)
        meta = dumps(dict(metadata), f"metadata of model {name!r} version {version!r}")
        digest = blob_digest(bytes(blob))
        mac = seal(self._secret(), name, version, digest, meta)
        when = _time.time() if created is None else float(created)
        with self._conn.transaction():
            rows = self._conn.read(
                "SELECT digest, metadata FROM models WHERE name = ? AND version = ?",
                [name, version],
            )
            if rows:
                if rows[0]["digest"] == digest and rows[0]["metadata"] == meta:
                    return digest
                raise StoreError(
                    f"model {name!r} version {version!r} is already saved with other content; "
                    "versions are immutable: save under a new version"
                )
            self._conn.write(
                "INSERT INTO models (name, version, created, digest, mac, size, metadata, blob) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [name, version, when, digest, mac, len(blob), meta, bytes(blob)],
            )
        return digest

    def load_model(self, name: str, version: str | None = None) -> tuple[bytes, dict[str, Any]]:
        """The blob and metadata of `version` (the latest saved when None), verified.

        Raises `UnknownModelError` if absent and `IntegrityCheckError` if the
        blob or metadata were changed outside this store.
        """
        if version is None:
            rows = self._conn.read(
                "SELECT * FROM models WHERE name = ? ORDER BY rowid DESC LIMIT 1", [name]
            )
        else:
            rows = self._conn.read(
                "SELECT * FROM models WHERE name = ? AND version = ?", [name, version]
            )
        if not rows:
            raise _unknown_model(name, version, self.path)
        row = rows[0]
        blob = bytes(row["blob"])
        verify(
            self._secret(), name, row["version"], blob, row["digest"], row["mac"], row["metadata"]
        )
        metadata: dict[str, Any] = json.loads(row["metadata"])
        return blob, metadata

    def model_versions(self, name: str) -> list[ModelVersion]:
        """The saved versions of `name`, oldest first (metadata unverified)."""
        rows = self._conn.read(
            "SELECT name, version, created, digest, size, metadata FROM models "
            "WHERE name = ? ORDER BY rowid",
            [name],
        )
        return [
            ModelVersion(
                name=row["name"],
                version=row["version"],
                created=row["created"],
                digest=row["digest"],
                size=row["size"],
                metadata=json.loads(row["metadata"]),
            )
            for row in rows
        ]

    def _secret(self) -> bytes:
        if self._key is None:
            self._key = load_or_create_key(self.key_path)
        return self._key

    # -- small state ---------------------------------------------------------------

    def save_state(self, key: str, value: Mapping[str, Any]) -> None:
        """Replace the JSON state kept under `key`."""
        encoded = dumps(dict(value), f"state {key!r}")
        with self._conn.transaction():
            self._conn.write(
                "INSERT OR REPLACE INTO state (name, value, updated) VALUES (?, ?, ?)",
                [key, encoded, _time.time()],
            )

    def load_state(self, key: str) -> dict[str, Any] | None:
        """The state kept under `key`, or None."""
        rows = self._conn.read("SELECT value FROM state WHERE name = ?", [key])
        return json.loads(rows[0]["value"]) if rows else None

    def states(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every state whose key starts with `prefix`, by key (one read)."""
        rows = self._conn.read(  # not LIKE: it ignores case
            "SELECT name, value FROM state WHERE substr(name, 1, ?) = ?", [len(prefix), prefix]
        )
        return {row["name"]: json.loads(row["value"]) for row in rows}

    def save_budget_state(self, state: Mapping[str, Any]) -> None:
        """Replace the budget's state."""
        self.save_state(BUDGET_STATE, state)

    def load_budget_state(self) -> dict[str, Any] | None:
        """The budget's last saved state, or None."""
        return self.load_state(BUDGET_STATE)


def _label(row: Mapping[str, Any]) -> LabelRecord:
    return LabelRecord(
        rowid=row["rowid"],
        item_id=row["item_id"],
        label=json.loads(row["label"]),
        annotator=row["annotator"],
        time=row["time"],
        source=row["source"],
        seconds=row["seconds"],
    )


def _unknown_model(name: str, version: str | None, where: object) -> UnknownModelError:
    what = f"model {name!r}" + ("" if version is None else f" version {version!r}")
    return UnknownModelError(f"no {what} in store {where}; save one first (or train from scratch)")

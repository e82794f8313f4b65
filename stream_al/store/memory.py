"""`MemoryStore`: the `Store` in memory, for the embedded mode and unit tests.

It behaves like `SqliteStore` (same idempotency, same errors, transactions
that roll back, model blobs checked with an HMAC under a per-instance key)
and forgets everything when the process ends. Rollback uses an undo log, so
a transaction costs what it changes, not the size of the store.

Memory stays bounded: the newest `history` seen ids and decisions are kept
(older ones are dropped after each outermost transaction commits); labels,
alerts and models are few by construction.

>>> store = MemoryStore()
>>> sorted(store.mark_seen(["a", "b"])), store.mark_seen(["b", "c"])
(['a', 'b'], {'c'})
>>> try:
...     with store.transaction():
...         _ = store.add_label("a", "cat", annotator="ana", time=1.0)
...         raise RuntimeError("the batch failed")
... except RuntimeError:
...     pass
>>> store.labels_for("a")  # rolled back
[]
"""

from __future__ import annotations

import json
import secrets
import threading
import time as _time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any

from stream_al.drift.alerts import DriftAlert
from stream_al.items import Label
from stream_al.store.base import BUDGET_STATE
from stream_al.store.errors import StoreError, UnknownModelError
from stream_al.store.integrity import blob_digest, seal, verify
from stream_al.store.memory_queue import MemoryQueueTable
from stream_al.store.records import (
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

__all__ = ["MemoryStore"]


@dataclass(frozen=True, slots=True)
class _Model:
    info: ModelVersion
    blob: bytes
    mac: str
    metadata_json: str


class MemoryStore:
    """Everything `SqliteStore` keeps, in dictionaries.

    Parameters
    ----------
    history
        Newest seen ids and decisions kept; None keeps all.
    """

    def __init__(self, history: int | None = 100_000) -> None:
        self.history = history
        self._lock = threading.RLock()
        self._undo: list[Callable[[], object]] | None = None
        self._key = secrets.token_bytes(32)
        self._labels: dict[tuple[str, str], LabelRecord] = {}
        self._label_log: list[LabelRecord] = []
        self._seen: dict[str, float] = {}
        self._decisions: dict[str, tuple[int, DecisionRow]] = {}
        self._decision_seq = 0
        self._alerts: dict[tuple[str, str, str, int], DriftEvent] = {}
        self._models: dict[tuple[str, str], _Model] = {}
        self._state: dict[str, str] = {}
        self._queues: dict[int | None, MemoryQueueTable] = {}
        self._closed = False

    # -- transactions --------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything done inside is kept together on exit, or undone if it raised."""
        with self._lock:
            if self._closed:
                raise StoreError("memory store is closed; make a new one")
            outer = self._undo is None
            undo: list[Callable[[], object]] = [] if self._undo is None else self._undo
            self._undo = undo
            mark = len(undo)
            try:
                yield
            except BaseException:
                while len(undo) > mark:
                    undo.pop()()
                raise
            finally:
                if outer:
                    self._undo = None
            if outer:
                self._trim()

    def on_rollback(self, action: Callable[[], object]) -> None:
        """Run `action` if the open transaction rolls back (used by the queue table)."""
        if self._undo is not None:
            self._undo.append(action)

    def queue_store(self, history: int | None = 10_000) -> MemoryQueueTable:
        """Storage for an `AnnotationQueue`, rolled back with this store's transactions."""
        if history not in self._queues:
            self._queues[history] = MemoryQueueTable(self, history)
        return self._queues[history]

    def close(self) -> None:
        """Refuse further use (like a closed file); the data stays until garbage-collected."""
        self._closed = True

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
        """Store a label; False if identical to the one already stored for (item, annotator)."""
        check_label(item_id, label, annotator, time, source, seconds)
        with self.transaction():
            old = self._labels.get((item_id, annotator))
            if old is not None:
                if json.dumps(old.label) == json.dumps(label):  # True is not 1
                    return False
                raise label_conflict(item_id, annotator, old.label, label)
            rowid = len(self._label_log) + 1
            record = LabelRecord(
                rowid, item_id, label, annotator, float(time), source, _seconds(seconds)
            )
            self._labels[(item_id, annotator)] = record
            self._label_log.append(record)
            self.on_rollback(partial(self._unlabel, record))
        return True

    def _unlabel(self, record: LabelRecord) -> None:
        del self._labels[(record.item_id, record.annotator)]
        self._label_log.pop()

    def labels_for(self, item_id: str) -> list[LabelRecord]:
        """Every label of `item_id`, oldest first."""
        with self._lock:
            return [r for r in self._label_log if r.item_id == item_id]

    def disputed(self, limit: int = 100) -> list[str]:
        """Items whose human labels disagree and that no review settled, oldest first."""
        answers: dict[str, set[str]] = {}
        settled: set[str] = set()
        with self._lock:
            for record in self._label_log:
                if record.source == "review":
                    settled.add(record.item_id)
                elif record.source == "human":
                    answers.setdefault(record.item_id, set()).add(json.dumps(record.label))
        found = [i for i, labels in answers.items() if len(labels) >= 2 and i not in settled]
        return found[:limit]

    def iter_labels(self, since_rowid: int = 0, limit: int | None = None) -> Iterator[LabelRecord]:
        """Labels stored after `since_rowid`, oldest first (at most `limit`)."""
        with self._lock:
            chosen = self._label_log[max(0, since_rowid) :]
            return iter(chosen if limit is None else chosen[:limit])

    # -- processed items -----------------------------------------------------------

    def mark_seen(self, item_ids: Iterable[str], at: float | None = None) -> set[str]:
        """Record items as processed; return the ids that were not already."""
        when = _time.time() if at is None else float(at)
        new: set[str] = set()
        with self.transaction():
            for item_id in item_ids:
                check_item_id(item_id, "mark_seen")
                if item_id not in self._seen:
                    self._seen[item_id] = when
                    new.add(item_id)
                    self.on_rollback(partial(self._seen.pop, item_id))
        return new

    def seen(self, item_ids: Iterable[str]) -> set[str]:
        """Which of `item_ids` are already recorded as processed."""
        with self._lock:
            return {i for i in item_ids if i in self._seen}

    def prune_seen(self, *, keep_last: int | None = None, older_than: float | None = None) -> int:
        """Forget ids beyond the `keep_last` newest and/or seen before `older_than`."""
        with self.transaction():
            doomed: list[str] = []
            if keep_last is not None:
                doomed += list(self._seen)[: max(0, len(self._seen) - max(0, keep_last))]
            if older_than is not None:
                doomed += [i for i, at in self._seen.items() if at < older_than]
            removed = {i: self._seen.pop(i) for i in dict.fromkeys(doomed)}
            self.on_rollback(partial(self._unprune, removed))
        return len(removed)

    def _unprune(self, removed: dict[str, float]) -> None:
        self._seen = {**removed, **self._seen}  # pruned ids are (mostly) the oldest

    # -- decision log --------------------------------------------------------------

    def log_decisions(self, rows: Iterable[DecisionRow]) -> int:
        """Append decisions; items already logged are left as they are. Returns how many new."""
        new = 0
        with self.transaction():
            for row in rows:
                row.to_row()  # the checks of the SQLite store
                if row.item_id in self._decisions:
                    continue
                self._decision_seq += 1
                self._decisions[row.item_id] = (self._decision_seq, row)
                self.on_rollback(partial(self._undecide, row.item_id))
                new += 1
        return new

    def _undecide(self, item_id: str) -> None:
        del self._decisions[item_id]
        self._decision_seq -= 1

    def decision_for(self, item_id: str) -> DecisionRow | None:
        """The logged decision about `item_id`, if any."""
        with self._lock:
            found = self._decisions.get(item_id)
            return None if found is None else found[1]

    def iter_decisions(
        self, since_rowid: int = 0, limit: int | None = None
    ) -> Iterator[tuple[int, DecisionRow]]:
        """``(rowid, decision)`` logged after `since_rowid`, oldest first."""
        with self._lock:
            chosen = [pair for pair in self._decisions.values() if pair[0] > since_rowid]
            return iter(chosen if limit is None else chosen[:limit])

    def prune_decisions(self, older_than: float) -> int:
        """Forget decisions made before `older_than`; return how many."""
        with self.transaction():
            before = self._decisions
            self._decisions = {k: v for k, v in before.items() if not v[1].time < older_than}
            self.on_rollback(partial(setattr, self, "_decisions", before))
        return len(before) - len(self._decisions)

    # -- drift events --------------------------------------------------------------

    def log_drift(self, alert: DriftAlert) -> bool:
        """Record an alert; False if the same (kind, detector, source, position) was."""
        key = (alert.kind, alert.detector, alert.source, alert.position)
        with self.transaction():
            if key in self._alerts:
                return False
            self._alerts[key] = DriftEvent(len(self._alerts) + 1, alert)
            self.on_rollback(partial(self._alerts.pop, key))
        return True

    def drift_events(self, since_rowid: int = 0, limit: int | None = None) -> list[DriftEvent]:
        """Alerts recorded after `since_rowid`, oldest first."""
        with self._lock:
            chosen = [e for e in self._alerts.values() if e.rowid > since_rowid]
            return chosen if limit is None else chosen[:limit]

    # -- model versions ------------------------------------------------------------

    def save_model(
        self,
        name: str,
        version: str,
        blob: bytes,
        metadata: Mapping[str, Any],
        created: float | None = None,
    ) -> str:
        """Save an immutable model version; return the blob's SHA-256 digest."""
        check_model(name, version, created)
        meta = dumps(dict(metadata), f"metadata of model {name!r} version {version!r}")
        digest = blob_digest(bytes(blob))
        when = _time.time() if created is None else float(created)
        with self.transaction():
            old = self._models.get((name, version))
            if old is not None:
                if old.info.digest == digest and old.metadata_json == meta:
                    return digest
                raise StoreError(
                    f"model {name!r} version {version!r} is already saved with other content; "
                    "versions are immutable: save under a new version"
                )
            info = ModelVersion(name, version, when, digest, len(blob), json.loads(meta))
            mac = seal(self._key, name, version, digest, meta)
            self._models[(name, version)] = _Model(info, bytes(blob), mac, meta)
            self.on_rollback(partial(self._models.pop, (name, version)))
        return digest

    def load_model(self, name: str, version: str | None = None) -> tuple[bytes, dict[str, Any]]:
        """The blob and metadata of `version` (the latest saved when None), verified."""
        with self._lock:
            if version is None:
                found = [m for (n, _), m in self._models.items() if n == name]
                model = found[-1] if found else None
            else:
                model = self._models.get((name, version))
            if model is None:
                what = f"model {name!r}" + ("" if version is None else f" version {version!r}")
                raise UnknownModelError(f"no {what} in the memory store; save one first")
            info = model.info
            verify(
                self._key,
                name,
                info.version,
                model.blob,
                info.digest,
                model.mac,
                model.metadata_json,
            )
            metadata: dict[str, Any] = json.loads(model.metadata_json)
            return model.blob, metadata

    def model_versions(self, name: str) -> list[ModelVersion]:
        """The saved versions of `name`, oldest first."""
        with self._lock:
            return [m.info for (n, _), m in self._models.items() if n == name]

    # -- small state ---------------------------------------------------------------

    def save_state(self, key: str, value: Mapping[str, Any]) -> None:
        """Replace the JSON state kept under `key`."""
        encoded = dumps(dict(value), f"state {key!r}")
        with self.transaction():
            old = self._state.get(key)
            self._state[key] = encoded
            self.on_rollback(partial(self._put_state, key, old))

    def _put_state(self, key: str, encoded: str | None) -> None:
        if encoded is None:
            self._state.pop(key, None)
        else:
            self._state[key] = encoded

    def load_state(self, key: str) -> dict[str, Any] | None:
        """The state kept under `key`, or None (a fresh copy)."""
        with self._lock:
            encoded = self._state.get(key)
            return None if encoded is None else json.loads(encoded)

    def states(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every state whose key starts with `prefix`, by key (fresh copies)."""
        with self._lock:
            found = [(k, v) for k, v in self._state.items() if k.startswith(prefix)]
        return {key: json.loads(encoded) for key, encoded in found}

    def save_budget_state(self, state: Mapping[str, Any]) -> None:
        """Replace the budget's state."""
        self.save_state(BUDGET_STATE, state)

    def load_budget_state(self) -> dict[str, Any] | None:
        """The budget's last saved state, or None."""
        return self.load_state(BUDGET_STATE)

    # -- bounds --------------------------------------------------------------------

    def _trim(self) -> None:
        """Drop the oldest seen ids and decisions beyond `history` (after a commit)."""
        if self.history is None:
            return
        for table in (self._seen, self._decisions):
            excess = len(table) - self.history
            if excess > 0:
                for key in list(islice(table, excess)):
                    del table[key]


def _seconds(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds)

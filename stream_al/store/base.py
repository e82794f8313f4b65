"""The `Store` contract: every durable effect of stream-al, behind one small protocol.

Two backends implement it: `SqliteStore` (a file, shared by processes) and
`MemoryStore` (the embedded mode and unit tests). Every write is idempotent
by item id, so replaying Kafka records after a crash neither loses nor
duplicates anything:

- ``mark_seen`` tells which items of a batch are new;
- ``add_label`` keeps one label per (item, annotator);
- ``log_decisions`` keeps one decision per item;
- ``log_drift`` keeps one alert per (kind, detector, source, position);
- ``save_model`` refuses to change a saved version.

``transaction()`` groups effects: all of them are durable when it exits, or
none is if it raised. Kafka offsets are committed only after it exits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from stream_al.drift.alerts import DriftAlert
from stream_al.items import Label
from stream_al.queue.store import QueueStore
from stream_al.store.records import (
    DecisionRow,
    DriftEvent,
    LabelRecord,
    LabelSource,
    ModelVersion,
)

__all__ = ["BUDGET_STATE", "Store"]

#: Key of the budget's state in the key-value state table.
BUDGET_STATE = "budget"


class Store(Protocol):
    """Durable state of stream-al: queue tasks, labels, decisions, drift, models, budget."""

    def transaction(self) -> AbstractContextManager[None]:
        """Everything done inside becomes durable together on exit, or not at all."""
        ...

    def queue_store(self, history: int | None = 10_000) -> QueueStore:
        """Storage for an `AnnotationQueue`, keeping `history` finished tasks."""
        ...

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
        """Store a label (and the `seconds` it took); False if this exact label was already stored.

        Raises `LabelConflictError` for a different label from the same annotator.
        """
        ...

    def labels_for(self, item_id: str) -> list[LabelRecord]:
        """Every label of `item_id`, oldest first."""
        ...

    def disputed(self, limit: int = 100) -> list[str]:
        """Items whose human labels disagree and that no review settled, oldest first."""
        ...

    def iter_labels(self, since_rowid: int = 0, limit: int | None = None) -> Iterator[LabelRecord]:
        """Labels stored after `since_rowid`, oldest first (at most `limit`)."""
        ...

    # -- processed items -----------------------------------------------------------

    def mark_seen(self, item_ids: Iterable[str], at: float | None = None) -> set[str]:
        """Record items as processed; return those that were not already."""
        ...

    def seen(self, item_ids: Iterable[str]) -> set[str]:
        """Which of `item_ids` are already recorded as processed (changes nothing)."""
        ...

    def prune_seen(self, *, keep_last: int | None = None, older_than: float | None = None) -> int:
        """Forget processed ids beyond the `keep_last` newest, or seen before `older_than`."""
        ...

    # -- decision log --------------------------------------------------------------

    def log_decisions(self, rows: Iterable[DecisionRow]) -> int:
        """Append decisions, ignoring items already logged; return how many were new."""
        ...

    def decision_for(self, item_id: str) -> DecisionRow | None:
        """The logged decision about `item_id`, if any."""
        ...

    def iter_decisions(
        self, since_rowid: int = 0, limit: int | None = None
    ) -> Iterator[tuple[int, DecisionRow]]:
        """``(rowid, decision)`` logged after `since_rowid`, oldest first."""
        ...

    def prune_decisions(self, older_than: float) -> int:
        """Forget decisions made before `older_than`; return how many."""
        ...

    # -- drift events --------------------------------------------------------------

    def log_drift(self, alert: DriftAlert) -> bool:
        """Record an alert; False if the same alert was already recorded."""
        ...

    def drift_events(self, since_rowid: int = 0, limit: int | None = None) -> list[DriftEvent]:
        """Alerts recorded after `since_rowid`, oldest first."""
        ...

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
        ...

    def load_model(self, name: str, version: str | None = None) -> tuple[bytes, dict[str, Any]]:
        """The blob and metadata of a version (the latest when None), after checking them."""
        ...

    def model_versions(self, name: str) -> list[ModelVersion]:
        """The saved versions of `name`, oldest first."""
        ...

    # -- small state ---------------------------------------------------------------

    def save_state(self, key: str, value: Mapping[str, Any]) -> None:
        """Replace the JSON state kept under `key`."""
        ...

    def load_state(self, key: str) -> dict[str, Any] | None:
        """The state kept under `key`, or None."""
        ...

    def states(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every state whose key starts with `prefix`, by key (one read)."""
        ...

    def save_budget_state(self, state: Mapping[str, Any]) -> None:
        """Replace the budget's state (a JSON object)."""
        ...

    def load_budget_state(self) -> dict[str, Any] | None:
        """The budget's last saved state, or None."""
        ...

    def close(self) -> None:
        """Release the store (further use is an error)."""
        ...

"""Running counts the API reports, read from the store as it grows.

- `LabelTally`: labels by annotator and by source, from the store's label log
  (and each new label to its `on_label` listeners);
- `DriftWatch`: drift alerts by kind, how many in all, and the newest ones.

Both read only what was added since their last call (by rowid), so a
call costs what changed; they see labels and alerts written by other processes
sharing the store file too. Neither is thread-safe: the API calls them under the
service lock.

>>> from stream_al.store import open_store
>>> store = open_store(":memory:")
>>> _ = store.add_label("7", "cat", annotator="ana", time=1.0)
>>> tally = LabelTally(store)
>>> tally.of("ana"), tally.of("bob"), tally.by_source()
(1, 0, {'human': 1})
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from stream_al.drift.alerts import DriftAlert
from stream_al.store.base import Store
from stream_al.store.records import LabelRecord

__all__ = ["ALERTS_KEPT", "DriftWatch", "LabelTally"]

#: How many of the newest alerts `DriftWatch` keeps (the dashboard lists them).
ALERTS_KEPT = 500


class LabelTally:
    """Labels per annotator (human ones) and per source.

    Parameters
    ----------
    store
        The store whose label log is counted.
    chunk
        Labels read per query.
    """

    def __init__(self, store: Store, chunk: int = 10_000) -> None:
        self.store = store
        self.chunk = chunk
        self._rowid = 0
        self._human: Counter[str] = Counter()
        self._sources: Counter[str] = Counter()
        #: Called with each label as it is read (e.g. `Reviews`' agreement and times).
        self.on_label: list[Callable[[LabelRecord], None]] = []

    def refresh(self) -> None:
        """Count the labels stored since the last call."""
        while True:
            batch = list(self.store.iter_labels(self._rowid, limit=self.chunk))
            for record in batch:
                self._sources[record.source] += 1
                if record.source == "human":
                    self._human[record.annotator] += 1
                self._rowid = max(self._rowid, record.rowid)
                for listener in self.on_label:
                    listener(record)
            if len(batch) < self.chunk:
                return

    def of(self, annotator: str) -> int:
        """Labels `annotator` gave (up to date)."""
        self.refresh()
        return self._human[annotator]

    def by_annotator(self) -> dict[str, int]:
        """Human labels by annotator (up to date)."""
        self.refresh()
        return dict(self._human)

    def by_source(self) -> dict[str, int]:
        """Labels by source (``human``, ``pseudo``), up to date."""
        self.refresh()
        return dict(self._sources)


class DriftWatch:
    """Drift and lag alerts recorded in the store: how many of each kind and in all, the newest.

    Parameters
    ----------
    store
        The store whose alerts are read.
    keep
        How many of the newest alerts to keep.
    chunk
        Alerts read per query.

    >>> from stream_al.store import MemoryStore
    >>> store = MemoryStore()
    >>> for k in range(3):
    ...     _ = store.log_drift(DriftAlert(kind="drift", severity="warning", detector="adwin",
    ...         source="labelled", statistic=0.1, position=k, time=float(k), message="m"))
    >>> watch = DriftWatch(store, keep=2)
    >>> [alert.position for alert in watch.recent()], watch.total, watch.by_kind()
    ([1, 2], 3, {'drift': 3})
    """

    def __init__(self, store: Store, keep: int = ALERTS_KEPT, chunk: int = 1000) -> None:
        self.store = store
        self.chunk = chunk
        #: Alerts recorded in all.
        self.total = 0
        self._rowid = 0
        self._kinds: Counter[str] = Counter()
        self._recent: deque[DriftAlert] = deque(maxlen=keep)

    def refresh(self) -> None:
        """Read the alerts recorded since the last call."""
        while True:
            batch = self.store.drift_events(self._rowid, limit=self.chunk)
            for event in batch:
                self._rowid = max(self._rowid, event.rowid)
                self._kinds[event.alert.kind] += 1
                self._recent.append(event.alert)
            self.total += len(batch)
            if len(batch) < self.chunk:
                return

    def by_kind(self) -> dict[str, int]:
        """Alerts recorded, by kind (up to date)."""
        self.refresh()
        return dict(self._kinds)

    def last(self) -> dict[str, Any] | None:
        """The last alert recorded (as JSON), or None."""
        self.refresh()
        return self._recent[-1].to_dict() if self._recent else None

    def recent(self) -> list[DriftAlert]:
        """The newest `keep` alerts, oldest first (up to date)."""
        self.refresh()
        return list(self._recent)

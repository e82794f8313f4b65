"""Running counts the API reports, read from the store as it grows.

- `LabelTally`: labels by annotator and by source, from the store's label log;
- `DriftWatch`: drift alerts by kind, and the last one.

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

from collections import Counter
from typing import Any

from stream_al.store.base import Store

__all__ = ["DriftWatch", "LabelTally"]


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

    def refresh(self) -> None:
        """Count the labels stored since the last call."""
        while True:
            batch = list(self.store.iter_labels(self._rowid, limit=self.chunk))
            for record in batch:
                self._sources[record.source] += 1
                if record.source == "human":
                    self._human[record.annotator] += 1
                self._rowid = max(self._rowid, record.rowid)
            if len(batch) < self.chunk:
                return

    def of(self, annotator: str) -> int:
        """Labels `annotator` gave (up to date)."""
        self.refresh()
        return self._human[annotator]

    def by_source(self) -> dict[str, int]:
        """Labels by source (``human``, ``pseudo``), up to date."""
        self.refresh()
        return dict(self._sources)


class DriftWatch:
    """Drift and lag alerts recorded in the store: how many of each kind, and the last."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rowid = 0
        self._kinds: Counter[str] = Counter()
        self._last: dict[str, Any] | None = None

    def refresh(self) -> None:
        """Read the alerts recorded since the last call."""
        for event in self.store.drift_events(self._rowid):
            self._rowid = max(self._rowid, event.rowid)
            self._kinds[event.alert.kind] += 1
            self._last = event.alert.to_dict()

    def by_kind(self) -> dict[str, int]:
        """Alerts recorded, by kind (up to date)."""
        self.refresh()
        return dict(self._kinds)

    def last(self) -> dict[str, Any] | None:
        """The last alert recorded (as JSON), or None."""
        self.refresh()
        return None if self._last is None else dict(self._last)

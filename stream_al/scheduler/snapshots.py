"""Metric snapshots: a JSON dict of metrics saved every period, the newest `keep` kept.

Snapshots go to the store's state table in a ring of `keep` slots (key
``<name>:<period mod keep>``), so their number is bounded without deleting
anything; `history` reads them back oldest first.

>>> from stream_al.store import MemoryStore
>>> store = MemoryStore()
>>> job = SnapshotJob(lambda: {"accuracy": 0.9}, store, interval=60.0, keep=2)
>>> for now in (0.0, 60.0, 120.0):
...     _ = job.run(now)
>>> [(s["period"], s["metrics"]) for s in job.history()]
[(1, {'accuracy': 0.9}), (2, {'accuracy': 0.9})]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stream_al.exceptions import ConfigError
from stream_al.scheduler.base import period_of
from stream_al.store.base import Store

__all__ = ["SnapshotJob"]


class SnapshotJob:
    """Save ``snapshot()`` once a period, keeping the newest `keep` snapshots.

    Parameters
    ----------
    snapshot
        Returns the metrics to save (JSON values), e.g. accuracy, labels spent,
        queue depth.
    store
        Where snapshots are kept.
    interval
        Seconds between snapshots.
    keep
        Snapshots kept (older ones are overwritten).
    name
        The job's name and the prefix of its state keys.
    """

    def __init__(
        self,
        snapshot: Callable[[], Mapping[str, Any]],
        store: Store,
        interval: float,
        keep: int = 1440,
        name: str = "metrics",
    ) -> None:
        if keep < 1:
            raise ConfigError(f"snapshots_keep must be at least 1, got {keep}")
        self.snapshot = snapshot
        self.store = store
        self.interval = interval
        self.keep = keep
        self.name = name

    def run(self, now: float) -> dict[str, Any]:
        period = period_of(now, self.interval)
        slot = period % self.keep
        doc = {"period": period, "time": now, "metrics": dict(self.snapshot())}
        self.store.save_state(f"{self.name}:{slot}", doc)
        return {"slot": slot}

    def history(self) -> list[dict[str, Any]]:
        """The kept snapshots, oldest first: ``{"period", "time", "metrics"}`` each."""
        found = (self.store.load_state(f"{self.name}:{slot}") for slot in range(self.keep))
        return sorted((doc for doc in found if doc is not None), key=lambda doc: doc["period"])

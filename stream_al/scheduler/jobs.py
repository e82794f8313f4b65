"""The maintenance jobs: lease expiry and TTL sweep, stale-data sweep, model checkpoints.

Each is a small object around an injected callable or the store, so it runs
the same under `JobScheduler.run_due` in a test and on APScheduler's thread.

>>> from stream_al.queue.task import ExpireReport
>>> job = ExpireJob(lambda: ExpireReport(expired=("a", "b")), interval=5.0)
>>> job.run(now=10.0), job.totals["expired"]
({'leases': 0, 'requeued': 0, 'expired': 2}, 2)
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stream_al.queue.task import ExpireReport
from stream_al.store.base import Store

__all__ = ["CheckpointJob", "ExpireJob", "PruneJob"]

logger = logging.getLogger(__name__)


@dataclass
class ExpireJob:
    """Expire leases and drop tasks past the item TTL (``AnnotationQueue.expire``).

    Parameters
    ----------
    expire
        The sweep, e.g. ``queue.expire``.
    interval
        Seconds between sweeps.
    name
        The job's name.

    Attributes
    ----------
    totals
        Leases expired, tasks requeued and tasks dropped since the process started.
    """

    expire: Callable[[], ExpireReport]
    interval: float
    name: str = "expire"
    totals: Counter[str] = field(default_factory=Counter)

    def run(self, now: float) -> dict[str, Any]:
        report = self.expire()
        counts = {
            "leases": len(report.leases),
            "requeued": len(report.requeued),
            "expired": len(report.expired),
        }
        self.totals.update(counts)
        if report:
            logger.info("scheduler.expire %s", " ".join(f"{k}={v}" for k, v in counts.items()))
        return counts


@dataclass
class PruneJob:
    """Forget old decisions and processed ids, so the store stays bounded.

    Parameters
    ----------
    store
        The store to sweep.
    interval
        Seconds between sweeps.
    decisions_keep_s
        Decisions older than this many seconds are forgotten; None keeps them.
    seen_keep_last
        Processed ids kept (the newest); None keeps them all.
    name
        The job's name.

    Examples
    --------
    >>> from stream_al.store import MemoryStore
    >>> from stream_al.store.records import DecisionRow
    >>> store = MemoryStore()
    >>> _ = store.log_decisions([DecisionRow("old", 0.0, 0.5, 0.4, True, "uncertain")])
    >>> _ = store.mark_seen(["a", "b", "c"])
    >>> PruneJob(store, 3600.0, decisions_keep_s=60.0, seen_keep_last=1).run(now=100.0)
    {'decisions': 1, 'seen': 2}
    """

    store: Store
    interval: float
    decisions_keep_s: float | None
    seen_keep_last: int | None
    name: str = "prune"

    def run(self, now: float) -> dict[str, Any]:
        decisions = seen = 0
        if self.decisions_keep_s is not None:
            decisions = self.store.prune_decisions(older_than=now - self.decisions_keep_s)
        if self.seen_keep_last is not None:
            seen = self.store.prune_seen(keep_last=self.seen_keep_last)
        if decisions or seen:
            logger.info("scheduler.prune decisions=%d seen=%d", decisions, seen)
        return {"decisions": decisions, "seen": seen}


@dataclass
class CheckpointJob:
    """Save a model checkpoint, if labels were learned since the last one.

    Parameters
    ----------
    checkpoint
        Saves the model and returns its version, e.g. ``LearnerService.checkpoint``.
    has_changes
        Whether the model learned anything since the last checkpoint.
    interval
        Seconds between two checks.
    name
        The job's name.

    Examples
    --------
    >>> saved = []
    >>> job = CheckpointJob(lambda: saved.append(1) or "7", lambda: not saved, 300.0)
    >>> job.run(now=0.0), job.run(now=300.0)
    ({'saved': True, 'version': '7'}, {'saved': False})
    """

    checkpoint: Callable[[], object]
    has_changes: Callable[[], bool]
    interval: float
    name: str = "checkpoint"

    def run(self, now: float) -> dict[str, Any]:
        if not self.has_changes():
            return {"saved": False}
        version = self.checkpoint()
        return {"saved": True, "version": str(version)}

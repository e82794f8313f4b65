"""Build the scheduled jobs of one process from the ``[scheduler]`` settings.

Each process passes what it holds: the queue role its ``queue.expire``, the
learner its checkpoint, the scorer its stopping criteria. The sweep of old
data always runs (a second process on the same file skips it: same name).

>>> from stream_al.store import MemoryStore
>>> jobs = build_jobs(SchedulerSettings(), MemoryStore(), snapshot=lambda: {"n": 1})
>>> [job.name for job in jobs]
['prune', 'metrics']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stream_al.config.scheduler import SchedulerSettings
from stream_al.exceptions import ConfigError
from stream_al.queue.task import ExpireReport
from stream_al.rules.stopping import StoppingCriteria
from stream_al.scheduler.base import Job
from stream_al.scheduler.jobs import CheckpointJob, ExpireJob, PruneJob
from stream_al.scheduler.snapshots import SnapshotJob
from stream_al.scheduler.stopping import StoppingJob
from stream_al.store.base import Store

__all__ = ["build_jobs"]


def build_jobs(
    settings: SchedulerSettings,
    store: Store,
    *,
    seen_keep_last: int | None = None,
    expire: Callable[[], ExpireReport] | None = None,
    checkpoint: Callable[[], object] | None = None,
    has_changes: Callable[[], bool] | None = None,
    snapshot: Callable[[], Mapping[str, Any]] | None = None,
    criteria: StoppingCriteria | None = None,
    spent: Callable[[], int] | None = None,
    estimate: Callable[[], tuple[int, float] | None] | None = None,
) -> list[Job]:
    """The jobs for what this process holds (see `stream_al.scheduler.jobs`).

    Parameters
    ----------
    settings
        Intervals and retention.
    store
        The store the jobs write to.
    seen_keep_last
        Processed ids to keep (``[store] seen_keep_last``); None keeps all.
    expire
        The queue's sweep (``queue.expire``); no expiry job without it.
    checkpoint, has_changes
        Save the model / whether it learned since the last save; both or neither.
    snapshot
        Returns the metrics to snapshot; no snapshot job without it.
    criteria, spent, estimate
        The stopping criteria, labels spent in all, and the unbiased
        ``(labels, accuracy)`` estimate; all three or none.
    """
    s = settings
    jobs: list[Job] = [PruneJob(store, s.prune_every_s, s.decisions_keep_s, seen_keep_last)]
    if expire is not None:
        jobs.append(ExpireJob(expire, s.expire_every_s))
    if (checkpoint is None) != (has_changes is None):
        raise ConfigError("a checkpoint job needs both checkpoint and has_changes")
    if checkpoint is not None and has_changes is not None:
        jobs.append(CheckpointJob(checkpoint, has_changes, s.checkpoint_every_s))
    if snapshot is not None:
        jobs.append(SnapshotJob(snapshot, store, s.snapshot_every_s, s.snapshots_keep))
    given = [x is not None for x in (criteria, spent, estimate)]
    if any(given) and not all(given):
        raise ConfigError("a stopping job needs criteria, spent and estimate together")
    if criteria is not None and spent is not None and estimate is not None:
        jobs.append(StoppingJob(criteria, store, spent, estimate, s.stopping_every_s))
    return jobs

"""Scheduled jobs: lease expiry, stale-data sweeps, checkpoints, metric snapshots, stopping.

`JobScheduler` runs `Job` objects on APScheduler's background thread (or,
in tests, when `JobScheduler.run_due` is called), under the lock of the
service loop, each at most once per period even across restarts: the
guarantee is written out in `stream_al.scheduler.job_scheduler`.

::

    StreamALError
    └── SchedulerError      a job is misconfigured, or the scheduler used out of order

>>> import threading
>>> from stream_al.store import MemoryStore
>>> store = MemoryStore()
>>> jobs = build_jobs(SchedulerSettings(), store, snapshot=lambda: {"accuracy": 0.9})
>>> scheduler = JobScheduler(store, threading.RLock(), jobs)
>>> [(run.name, run.status) for run in scheduler.run_due(now=3600.0)]
[('prune', 'ran'), ('metrics', 'ran')]
>>> [run.status for run in scheduler.run_due(now=3601.0)]
['skipped', 'skipped']
"""

from __future__ import annotations

from stream_al.config.scheduler import SchedulerSettings
from stream_al.scheduler.base import Job, JobRun, JobStatus, SchedulerError, period_of
from stream_al.scheduler.build import build_jobs
from stream_al.scheduler.job_scheduler import JobScheduler
from stream_al.scheduler.jobs import CheckpointJob, ExpireJob, PruneJob
from stream_al.scheduler.snapshots import SnapshotJob
from stream_al.scheduler.stopping import STOPPING_STATE, StoppingJob

__all__ = [
    "STOPPING_STATE",
    "CheckpointJob",
    "ExpireJob",
    "Job",
    "JobRun",
    "JobScheduler",
    "JobStatus",
    "PruneJob",
    "SchedulerError",
    "SchedulerSettings",
    "SnapshotJob",
    "StoppingJob",
    "build_jobs",
    "period_of",
]

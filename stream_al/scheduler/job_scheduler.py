"""`JobScheduler`: periodic jobs on APScheduler's thread, at most once per period.

The guarantee, for each job and each period ``[k·interval, (k+1)·interval)``:

1. A run is one store transaction: read the job's marker ``job:<name>`` (the
   start of the last period it completed); if that period is this one (or
   later), do nothing; otherwise run the job and write the new marker. The
   job's store effects and the marker commit together, or neither does.
2. So a job's store effects happen **at most once per period**: across
   restarts, and across processes sharing one SQLite file (the marker is read
   under the file's write lock). Periods are compared by their start time, so
   changing an interval between restarts does not run a job twice either.
   (A `MemoryStore` forgets its markers with the process: restarts need SQLite.)
3. A crash or an error mid-job rolls back its store effects and its marker:
   the period counts as not done. It runs again if the process is back
   within the same period; periods missed while down are not replayed (the
   next run catches up on its own, e.g. one sweep).
4. Effects outside the store are not rolled back: a model announced on the
   models topic, counters in memory. They may happen again when a failed run
   is retried in the same period. Memory that mirrors the store (the
   annotation queue) is rebuilt from the store on restart.
5. Every run holds the caller's lock, so runs never overlap the service
   loop's batch handling nor each other.

`start` runs the jobs on APScheduler's thread (`stream_al.scheduler.background`);
unit tests call `run_due` with a fake time instead.

>>> import threading
>>> from stream_al.store import MemoryStore
>>> from stream_al.scheduler.jobs import CheckpointJob
>>> saved = []
>>> job = CheckpointJob(lambda: saved.append(len(saved)) or len(saved), lambda: True, 60.0)
>>> scheduler = JobScheduler(MemoryStore(), threading.RLock(), [job])
>>> [run.status for t in (0.0, 30.0, 60.0) for run in scheduler.run_due(now=t)]
['ran', 'skipped', 'ran']
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from stream_al.clock import Clock, SystemClock
from stream_al.exceptions import ConfigError
from stream_al.scheduler.background import start_background
from stream_al.scheduler.base import (
    Job,
    JobRun,
    SchedulerError,
    marker_key,
    period_of,
    period_start,
)
from stream_al.store.base import Store

__all__ = ["JobScheduler"]

logger = logging.getLogger(__name__)


class JobScheduler:
    """Runs periodic jobs under a lock, each at most once per period.

    Parameters
    ----------
    store
        Where the jobs' markers (and effects) go; one transaction per run.
    lock
        Held during every run: the lock the service loop holds while it
        handles a batch (a `threading.RLock`).
    jobs
        The jobs; more may be added before `start`.
    clock
        The time source; `start` needs the system clock (the default).
    """

    def __init__(
        self,
        store: Store,
        lock: AbstractContextManager[Any],
        jobs: Iterable[Job] = (),
        *,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self._lock = lock
        self._clock: Clock = clock or SystemClock()
        self._jobs: dict[str, Job] = {}
        self._background: Any = None
        for job in jobs:
            self.add(job)

    @property
    def jobs(self) -> dict[str, Job]:
        """The jobs by name."""
        return dict(self._jobs)

    @property
    def running(self) -> bool:
        """Whether the background thread is started."""
        return self._background is not None

    def add(self, job: Job) -> None:
        """Schedule `job` too (before `start`)."""
        if self.running:
            raise SchedulerError(f"cannot add job {job.name!r} to a running scheduler")
        if job.name in self._jobs:
            raise SchedulerError(f"two jobs named {job.name!r}; give each a distinct name")
        if not job.interval > 0:
            raise ConfigError(f"job {job.name!r} needs a positive interval, got {job.interval}")
        self._jobs[job.name] = job

    def run_job(self, name: str, now: float | None = None) -> JobRun:
        """Run job `name` for the period of `now`, unless that period is done.

        Raises what the job raised, after rolling back its store effects.
        """
        job = self._jobs.get(name)
        if job is None:
            raise SchedulerError(f"no job named {name!r}; known: {', '.join(self._jobs)}")
        now = self._clock.now() if now is None else float(now)
        period, start = period_of(now, job.interval), period_start(now, job.interval)
        key = marker_key(name)
        with self._lock, self.store.transaction():
            last = self.store.load_state(key)
            if last is not None and float(last["start"]) >= start:
                return JobRun(name, period, "skipped")
            result = job.run(now)
            marker = {"period": period, "start": start, "interval": job.interval, "at": now}
            self.store.save_state(key, marker | {"result": result})
        logger.debug("scheduler.ran job=%s period=%d", name, period)
        return JobRun(name, period, "ran", result)

    def run_due(self, now: float | None = None) -> list[JobRun]:
        """Run every job whose current period is not done; a failure does not stop the rest."""
        now = self._clock.now() if now is None else float(now)
        return [self._attempt(name, now) for name in self._jobs]

    def _attempt(self, name: str, now: float) -> JobRun:
        try:
            return self.run_job(name, now)
        except Exception as error:
            period = period_of(now, self._jobs[name].interval)
            logger.exception("scheduler.failed job=%s period=%d error=%s", name, period, error)
            return JobRun(name, period, "failed", {"error": str(error)})

    def _fire(self, name: str) -> None:
        """APScheduler's callback: run `name` for the period of the clock's now."""
        self._attempt(name, self._clock.now())

    def start(self) -> None:
        """Run the jobs on a background thread, each in the middle of its periods."""
        if self.running:
            raise SchedulerError("the scheduler is already running; shut it down first")
        intervals = {name: job.interval for name, job in self._jobs.items()}
        background = start_background(intervals, self._fire, self._clock.now())
        self._background = background
        logger.info("scheduler.start jobs=%s", ",".join(self._jobs) or "-")

    def shutdown(self, wait: bool = True) -> None:
        """Stop the thread; `wait` for a running job to finish (do not hold the lock then)."""
        background, self._background = self._background, None
        if background is not None:
            background.shutdown(wait=wait)
            logger.info("scheduler.shutdown")

"""The real APScheduler thread: jobs fire on their own, once per period, and stop on shutdown."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from stream_al.scheduler import JobScheduler, SchedulerError, period_of
from stream_al.store.base import Store


@dataclass
class Ticks:
    """Counts its runs and sets `done` after `want` of them."""

    want: int
    interval: float = 0.05
    name: str = "tick"
    periods: list[int] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self, now: float) -> dict[str, Any]:
        self.periods.append(period_of(now, self.interval))
        if len(self.periods) >= self.want:
            self.done.set()
        return {}


def test_background_scheduler_runs_jobs_once_per_period(store: Store) -> None:
    job = Ticks(want=3)
    lock = threading.RLock()
    scheduler = JobScheduler(store, lock, [job])
    scheduler.start()
    try:
        assert job.done.wait(timeout=10), f"only {len(job.periods)} runs in 10 s"
        with pytest.raises(SchedulerError, match="already running"):
            scheduler.start()
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running
    assert len(set(job.periods)) == len(job.periods)  # never twice in a period
    assert store.load_state("job:tick") is not None
    scheduler.shutdown()  # idempotent


def test_background_runs_wait_for_the_service_loop(store: Store) -> None:
    job = Ticks(want=1)
    lock = threading.RLock()
    scheduler = JobScheduler(store, lock, [job])
    with lock:  # the service loop is handling a batch
        scheduler.start()
        assert not job.done.wait(timeout=0.2)
    try:
        assert job.done.wait(timeout=10)
    finally:
        scheduler.shutdown(wait=True)

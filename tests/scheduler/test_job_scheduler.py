"""`JobScheduler`: at most once per period, atomic with the store, under the caller's lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from stream_al.clock import FakeClock
from stream_al.exceptions import ConfigError
from stream_al.scheduler import JobScheduler, SchedulerError
from stream_al.store import open_store
from stream_al.store.base import Store


@dataclass
class Counting:
    """A job that writes one state per run (its store effect) and counts its runs."""

    store: Store
    interval: float = 60.0
    name: str = "count"
    fail: bool = False
    runs: list[float] = field(default_factory=list)

    def run(self, now: float) -> dict[str, Any]:
        self.runs.append(now)
        self.store.save_state(f"effect:{self.name}:{now}", {"now": now})
        if self.fail:
            raise RuntimeError("the job broke half-way")
        return {"n": len(self.runs)}


def test_runs_once_per_period(store: Store, clock: FakeClock) -> None:
    job = Counting(store)
    scheduler = JobScheduler(store, threading.RLock(), [job], clock=clock)
    statuses = []
    for t in (1_000.0, 1_010.0, 1_019.9, 1_020.0, 1_079.0, 1_080.5):
        clock.set(t)
        statuses += [run.status for run in scheduler.run_due()]
    assert statuses == ["ran", "skipped", "skipped", "ran", "skipped", "ran"]
    assert job.runs == [1_000.0, 1_020.0, 1_080.5]
    assert store.load_state("job:count") == {
        "period": 18,
        "start": 1_080.0,
        "interval": 60.0,
        "at": 1_080.5,
        "result": {"n": 3},
    }


def test_a_restart_does_not_run_a_period_twice(db_path: Path) -> None:
    first = open_store(db_path)
    job = Counting(first)
    assert JobScheduler(first, threading.RLock(), [job]).run_job("count", 120.0).status == "ran"
    first.close()

    again = open_store(db_path)  # the process restarted: new store, new scheduler, new job
    job = Counting(again)
    scheduler = JobScheduler(again, threading.RLock(), [job])
    assert scheduler.run_job("count", 150.0).status == "skipped"
    assert job.runs == []
    assert scheduler.run_job("count", 180.0).status == "ran"
    assert job.runs == [180.0]
    again.close()


def test_two_processes_on_one_file_run_a_period_once(db_path: Path) -> None:
    a, b = open_store(db_path), open_store(db_path)
    job_a, job_b = Counting(a), Counting(b)
    runs = [
        JobScheduler(a, threading.RLock(), [job_a]).run_job("count", 60.0).status,
        JobScheduler(b, threading.RLock(), [job_b]).run_job("count", 61.0).status,
    ]
    assert runs == ["ran", "skipped"]
    a.close()
    b.close()


def test_changing_the_interval_does_not_rerun_a_done_period(db_path: Path) -> None:
    store = open_store(db_path)
    JobScheduler(store, threading.RLock(), [Counting(store, interval=10.0)]).run_job("count", 105.0)
    store.close()
    store = open_store(db_path)
    job = Counting(store, interval=60.0)  # [60, 120) already had its run at 105
    scheduler = JobScheduler(store, threading.RLock(), [job])
    assert [scheduler.run_job("count", t).status for t in (110.0, 125.0)] == ["skipped", "ran"]
    store.close()


def test_a_failed_run_rolls_back_its_effects_and_is_retried(store: Store) -> None:
    job = Counting(store, fail=True)
    other = Counting(store, name="other")
    scheduler = JobScheduler(store, threading.RLock(), [job, other])
    runs = scheduler.run_due(now=60.0)
    assert [(r.name, r.status) for r in runs] == [("count", "failed"), ("other", "ran")]
    assert runs[0].result == {"error": "the job broke half-way"}
    assert store.load_state("effect:count:60.0") is None  # rolled back with the marker
    assert store.load_state("job:count") is None
    assert store.load_state("effect:other:60.0") == {"now": 60.0}
    job.fail = False
    assert scheduler.run_job("count", 61.0).status == "ran"  # same period: retried
    job.fail = True
    with pytest.raises(RuntimeError, match="broke"):
        scheduler.run_job("count", 120.0)


def test_jobs_run_under_the_callers_lock(store: Store) -> None:
    lock = threading.RLock()
    seen: list[bool] = []

    @dataclass
    class Probe:
        interval: float = 1.0
        name: str = "probe"

        def run(self, now: float) -> dict[str, Any]:
            other = threading.Thread(target=lambda: seen.append(lock.acquire(blocking=False)))
            other.start()
            other.join(timeout=5)
            return {}

    JobScheduler(store, lock, [Probe()]).run_job("probe", 0.0)
    assert seen == [False]  # another thread could not take the lock during the run


def test_misconfigured_jobs_are_refused(store: Store) -> None:
    scheduler = JobScheduler(store, threading.RLock(), [Counting(store)])
    with pytest.raises(SchedulerError, match="two jobs named 'count'"):
        scheduler.add(Counting(store))
    with pytest.raises(ConfigError, match="positive interval"):
        scheduler.add(Counting(store, interval=0.0, name="zero"))
    with pytest.raises(SchedulerError, match="no job named 'nope'; known: count"):
        scheduler.run_job("nope", 0.0)

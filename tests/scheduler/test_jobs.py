"""The jobs, on both stores: what each one changes, and that it changes it once a period."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stream_al.clock import FakeClock
from stream_al.exceptions import ConfigError
from stream_al.queue import AnnotationQueue
from stream_al.queue.task import ExpireReport, Task, TaskState
from stream_al.scheduler import (
    CheckpointJob,
    ExpireJob,
    JobScheduler,
    PruneJob,
    SchedulerSettings,
    SnapshotJob,
    build_jobs,
)
from stream_al.store import UnknownModelError, load_pickle, open_store, save_pickle
from stream_al.store.base import Store
from stream_al.store.records import DecisionRow


def test_expire_job_returns_leases_and_drops_old_tasks(store: Store, clock: FakeClock) -> None:
    queue = AnnotationQueue(
        capacity=10,
        half_life=60,
        lease_ttl=30,
        item_ttl=100,
        clock=clock,
        store=store.queue_store(),
    )
    queue.offer(Task("a", score=0.9, arrival=clock.now()))
    queue.offer(Task("b", score=0.5, arrival=clock.now()))
    queue.lease("ana", n=1)
    job = ExpireJob(queue.expire, interval=5.0)
    scheduler = JobScheduler(store, threading.RLock(), [job], clock=clock)
    clock.advance(31)
    assert scheduler.run_due()[0].result == {"leases": 1, "requeued": 1, "expired": 0}
    assert queue.state("a") is TaskState.QUEUED
    clock.advance(100)
    assert scheduler.run_due()[0].result == {"leases": 0, "requeued": 0, "expired": 2}
    assert scheduler.run_due()[0].status == "skipped"  # same period
    assert dict(job.totals) == {"leases": 1, "requeued": 1, "expired": 2}
    assert len(queue) == 0


def test_prune_job_forgets_old_decisions_and_surplus_seen_ids(store: Store) -> None:
    rows = [DecisionRow(f"d{t}", float(t), 0.5, 0.4, False, "below_threshold") for t in range(10)]
    store.log_decisions(rows)
    store.mark_seen([f"s{i}" for i in range(5)], at=0.0)
    job = PruneJob(store, interval=3600.0, decisions_keep_s=5.0, seen_keep_last=2)
    scheduler = JobScheduler(store, threading.RLock(), [job])
    assert scheduler.run_job("prune", now=12.0).result == {"decisions": 7, "seen": 3}
    assert [row.item_id for _, row in store.iter_decisions()] == ["d7", "d8", "d9"]
    assert store.seen([f"s{i}" for i in range(5)]) == {"s3", "s4"}


def test_prune_job_keeps_everything_when_told_to(store: Store) -> None:
    store.log_decisions([DecisionRow("old", 0.0, 0.5, 0.4, False, "below_threshold")])
    job = PruneJob(store, interval=60.0, decisions_keep_s=None, seen_keep_last=None)
    assert job.run(now=1e9) == {"decisions": 0, "seen": 0}
    assert store.decision_for("old") is not None


def test_checkpoint_job_saves_only_after_new_labels(store: Store) -> None:
    learned = [0]
    saved_at = [0]

    def checkpoint() -> str:
        version = str(len(store.model_versions("m")) + 1)
        save_pickle(store, "m", version, {"labels": learned[0]}, {})
        saved_at[0] = learned[0]
        return version

    job = CheckpointJob(checkpoint, lambda: learned[0] > saved_at[0], interval=300.0)
    scheduler = JobScheduler(store, threading.RLock(), [job])
    assert scheduler.run_job("checkpoint", 0.0).result == {"saved": False}
    learned[0] = 5
    assert scheduler.run_job("checkpoint", 10.0).status == "skipped"  # period already done
    assert scheduler.run_job("checkpoint", 300.0).result == {"saved": True, "version": "1"}
    assert scheduler.run_job("checkpoint", 600.0).result == {"saved": False}
    assert load_pickle(store, "m")[0] == {"labels": 5}


def test_a_checkpoint_that_fails_after_saving_leaves_no_version(store: Store) -> None:
    def checkpoint() -> str:
        save_pickle(store, "m", "1", {"w": 1}, {})
        raise OSError("announcing the version failed")

    scheduler = JobScheduler(
        store, threading.RLock(), [CheckpointJob(checkpoint, lambda: True, 60)]
    )
    assert scheduler.run_due(now=0.0)[0].status == "failed"
    with pytest.raises(UnknownModelError):
        store.load_model("m")


def test_snapshots_are_bounded_and_ordered(store: Store) -> None:
    accuracy = [0.5]
    job = SnapshotJob(lambda: {"accuracy": accuracy[0]}, store, interval=60.0, keep=3)
    scheduler = JobScheduler(store, threading.RLock(), [job])
    for minute in range(5):
        accuracy[0] = 0.5 + minute / 10
        scheduler.run_job("metrics", minute * 60.0 + 1)
        scheduler.run_job("metrics", minute * 60.0 + 2)  # skipped: one snapshot a period
    history = job.history()
    assert [s["period"] for s in history] == [2, 3, 4]
    assert [s["metrics"]["accuracy"] for s in history] == pytest.approx([0.7, 0.8, 0.9])


def test_snapshots_survive_a_restart(db_path: Path) -> None:
    store = open_store(db_path)
    SnapshotJob(lambda: {"labels": 3}, store, interval=60.0).run(now=60.0)
    store.close()
    store = open_store(db_path)
    assert SnapshotJob(lambda: {}, store, interval=60.0).history() == [
        {"period": 1, "time": 60.0, "metrics": {"labels": 3}}
    ]
    store.close()


def test_build_jobs_makes_the_jobs_a_process_can_run(store: Store) -> None:
    settings = SchedulerSettings(expire_every_s=2, checkpoint_every_s=30)
    jobs = build_jobs(
        settings,
        store,
        expire=ExpireReport,
        checkpoint=lambda: "1",
        has_changes=lambda: False,
        criteria=settings.criteria(),
        spent=lambda: 0,
        estimate=lambda: None,
    )
    assert [(job.name, job.interval) for job in jobs] == [
        ("prune", 3600.0),
        ("expire", 2.0),
        ("checkpoint", 30.0),
        ("stopping", 60.0),
    ]
    with pytest.raises(ConfigError, match="both checkpoint and has_changes"):
        build_jobs(settings, store, checkpoint=lambda: "1")

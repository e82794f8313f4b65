"""The stopping job: criteria fed once a period, their state kept across restarts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

from stream_al.drift.alerts import DriftAlert
from stream_al.rules.stopping import StoppingCriteria
from stream_al.scheduler import STOPPING_STATE, JobScheduler, StoppingJob
from stream_al.store import open_store
from stream_al.store.base import Store

DRIFT = DriftAlert(
    kind="drift",
    severity="critical",
    detector="adwin",
    source="labelled",
    statistic=0.3,
    position=900,
    time=0.0,
    message="error rate rose",
)


def _criteria() -> StoppingCriteria:
    return StoppingCriteria(max_labels=None, window=3, min_gain=0.01, min_labels=50)


def test_a_plateau_pauses_and_the_pause_survives_a_restart(db_path: Path) -> None:
    store = open_store(db_path)
    estimates = iter([(50, 0.80), (60, 0.801), (70, 0.802)])
    criteria = _criteria()
    job = StoppingJob(criteria, store, lambda: 70, lambda: next(estimates), interval=60.0)
    scheduler = JobScheduler(store, threading.RLock(), [job])
    results = [scheduler.run_job("stopping", t).result for t in (0.0, 60.0, 120.0)]
    assert results[-1] == {"paused": True, "reason": "plateau"}
    assert results[0] == {"paused": False, "reason": None}
    store.close()

    store = open_store(db_path)
    restored = _criteria()
    StoppingJob(restored, store, lambda: 70, lambda: None, interval=60.0)
    assert restored.reason == "plateau"
    store.close()


def test_a_drift_resumes_querying_durably(store: Store) -> None:
    criteria = _criteria()
    criteria.plateaued = True
    job = StoppingJob(criteria, store, lambda: 0, lambda: None, interval=60.0)
    job.on_drift(DRIFT)
    assert not criteria.paused
    assert store.load_state(STOPPING_STATE) == {"spent": 0, "plateaued": False, "history": []}


class FailingSave:
    """The store, except that saving the stopping state fails (a full disk, say)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def save_state(self, key: str, value: Any) -> None:
        if key == STOPPING_STATE:
            raise OSError("disk full")
        self._store.save_state(key, value)


def test_a_failed_save_leaves_the_criteria_as_they_were(store: Store) -> None:
    criteria = StoppingCriteria(max_labels=10)
    failing = cast(Store, FailingSave(store))
    job = StoppingJob(criteria, failing, lambda: 10, lambda: (100, 0.9), interval=60.0)
    run = JobScheduler(failing, threading.RLock(), [job]).run_due(now=0.0)[0]
    assert (run.status, run.result) == ("failed", {"error": "disk full"})
    assert not criteria.paused  # the update was undone with the transaction
    assert criteria.spent == 0
    assert store.load_state("job:stopping") is None

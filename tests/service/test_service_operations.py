"""Alerts and scheduled jobs of a service process (`start_operations`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.queue import Task
from stream_al.rules.stopping import PausableRule
from stream_al.service.operations import start_operations
from stream_al.service.wiring import build_roles, build_transport
from stream_al.transport.codec import encode_event
from stream_al.transport.memory import MemoryBroker


def _settings(tmp_path: Path, **alerts: object) -> Settings:
    return Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.1},
        api={"enabled": False},
        alerts={"sinks": ["topic"], **alerts},
        scheduler={"expire_every_s": 0.05, "snapshot_every_s": 0.05},
    )


def test_jobs_run_in_the_background_and_a_lag_alert_reaches_the_alerts_topic(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, lag_items=2, lag_seconds="none")
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    assert roles.queue is not None
    assert roles.scorer is not None
    alerts = broker.consumer([settings.kafka.topic("alerts")], "test")
    with roles.lock:
        for k in range(5):
            assert roles.queue.offer(Task(f"i{k}", 0.5, time.time(), None, ("a", "b"))).admitted
    ops = start_operations(settings, roles)
    try:
        assert isinstance(roles.scorer.rule, PausableRule)
        assert ops.scheduler is not None
        names = set(ops.scheduler.jobs)
        assert {"expire", "prune", "checkpoint", "metrics", "stopping", "lag"} <= names
        records = []
        deadline = time.monotonic() + 5.0
        while not records and time.monotonic() < deadline:
            records = alerts.poll(10, timeout_ms=100)
        assert records, "no labeling-lag alert within 5 s"
        alert = json.loads(records[0].value)
        assert alert["kind"] == "label_lag"
        assert "5" in alert["message"]
    finally:
        ops.close()
    assert ops.router.stats()["sent"]["label_lag"] == 1  # deduplicated by the cooldown
    assert roles.store is not None
    assert any(event.alert.kind == "label_lag" for event in roles.store.drift_events())
    roles.store.close()


def test_scorer_alerts_go_through_the_router(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    ops = start_operations(settings, roles)
    try:
        assert roles.scorer is not None
        assert roles.learner is not None
        assert roles.scorer.emit_alert == ops.router.emit
        assert roles.learner.emit_alert == ops.router.emit
        producer = broker.producer()
        for example in open_stream("synth:sea?n=200", seed=1):
            producer.send(settings.kafka.input_topic, encode_event(example))
        for consumer, handle in roles.loops:
            with roles.lock:
                handle(consumer.poll(500, timeout_ms=0))
        assert roles.scorer.position == 200
    finally:
        ops.close()
        assert roles.store is not None
        roles.store.close()

"""What a metric snapshot keeps (`metrics_snapshot`), the figures the operator dashboard plots."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.queue import Task
from stream_al.service.operations import metrics_snapshot
from stream_al.service.wiring import build_roles, build_transport
from stream_al.transport.codec import encode_event
from stream_al.transport.memory import MemoryBroker


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.1},
        api={"enabled": False},
    )


def test_a_snapshot_has_the_queue_lag_and_the_budget_share(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    assert roles.queue is not None
    assert roles.scorer is not None
    assert roles.store is not None
    try:
        producer = broker.producer()
        for example in open_stream("synth:sea?n=200", seed=1):
            producer.send(settings.kafka.input_topic, encode_event(example))
        for consumer, handle in roles.loops:
            with roles.lock:
                handle(consumer.poll(500, timeout_ms=0))
        with roles.lock:
            old = time.time() - 30.0  # older than the scorer's tasks, queued just now
            for k in range(3):
                assert roles.queue.offer(Task(f"old-{k}", 9.0, old, None, ("a", "b"))).admitted
            roles.queue.lease("ana", 1)
            stats = roles.queue.stats()
            budget = roles.scorer.rule.budget
            snap = metrics_snapshot(roles)()

        assert snap["queue_depth"] == stats.depth
        assert snap["leased"] == stats.leased >= 1
        assert snap["lag_items"] == stats.depth + stats.leased
        assert 30.0 <= snap["lag_seconds"] < 60.0  # the oldest task waits since `old`
        assert snap["seen"] == 200
        assert snap["budget"] == 0.1
        assert snap["spent"] == budget.spent > 0
        assert snap["spent_share"] == pytest.approx(budget.spent / budget.seen)
        for key in ("time", "labels", "labelled_accuracy", "unbiased_labels", "model_version"):
            assert key in snap  # the keys saved before stay
        assert snap["admission_rate"] == pytest.approx(budget.recent_rate)
        assert snap["pseudo_labels"] == 0  # nothing waited long enough for self-training
        assert 0.0 <= snap["label_free_accuracy"] <= 1.0
        assert snap["labeling_rate"] is not None  # paced: the learner is in this process
    finally:
        roles.store.close()


def test_without_a_queue_or_scorer_only_their_keys_are_missing(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    roles = build_roles(settings, build_transport(settings, MemoryBroker()), {"learner"})
    assert roles.store is not None
    try:
        snap = metrics_snapshot(roles)()
        assert not {"queue_depth", "lag_items", "lag_seconds", "seen", "budget"} & set(snap)
        assert snap["labels"] == 0
        assert snap["unbiased_accuracy"] is None
    finally:
        roles.store.close()

"""Separate roles (scorer, queue, learner) wired from settings, talking through topics."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.model.preprocessing import StandardiseOneHot
from stream_al.service.wiring import Roles, build_roles, build_transport, close_roles
from stream_al.transport.codec import encode_event, encode_label
from stream_al.transport.memory import MemoryBroker


def _pump(roles: Roles) -> int:
    handled = 0
    for consumer, handle in roles.loops:
        records = consumer.poll(500, timeout_ms=0)
        handle(records)
        handled += len(records)
    return handled


def test_scorer_queue_and_learner_as_separate_roles_with_model_hot_swap(tmp_path: Path) -> None:
    settings = Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.1},
    )
    broker = MemoryBroker()
    transport = build_transport(settings, broker)
    scorer = build_roles(settings, transport, {"scorer"})
    queue = build_roles(settings, transport, {"queue"})
    learner = build_roles(settings, transport, {"learner"})
    assert scorer.scorer is not None
    assert queue.queue is not None
    assert learner.learner is not None
    learner.learner.checkpoint_every = 50
    first_model = scorer.scorer.model

    producer = broker.producer()
    truth = {}
    for example in open_stream("synth:sea?n=4000", seed=2):
        producer.send(settings.kafka.input_topic, encode_event(example))
        truth[example.item.id] = example.label
    labels_topic = settings.kafka.topic("labels")
    while _pump(scorer) + _pump(queue) + _pump(learner):
        for lease in queue.queue.lease("oracle", n=100):
            producer.send(labels_topic, encode_label(lease.item_id, truth[lease.item_id], "o", 0.0))
            queue.queue.ack(lease.lease_id, "oracle")

    assert learner.learner.learner.labelled.n > 200
    assert learner.learner.version >= 4
    assert scorer.scorer.model_version == str(learner.learner.version)
    assert scorer.scorer.model is not first_model
    assert scorer.scorer.model.n_learned >= 200
    for roles in (scorer, queue, learner):
        assert roles.store is not None
        roles.store.close()


def test_a_learner_on_its_own_standardises_with_every_item_not_only_the_labelled(
    tmp_path: Path,
) -> None:
    settings = Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": ["False", "True"]},
        api={"enabled": False},
        lag={"forget": False},  # whole-stream statistics: the mean is exact
    )
    broker = MemoryBroker()
    learner = build_roles(settings, build_transport(settings, broker), {"learner"})
    assert learner.learner is not None
    producer = broker.producer()
    examples = list(open_stream("synth:sea?n=2000", seed=2))
    labelled = [e for e in examples if e.item.features["x0"] > 8.0]  # a biased few, as queries are
    for example in examples:
        producer.send(settings.kafka.input_topic, encode_event(example))
    for example in labelled:
        label = encode_label(example.item.id, example.label, "ana", 1.0, item=example.item)
        producer.send(settings.kafka.topic("labels"), label)
    while _pump(learner):
        pass

    assert learner.learner.model.n_learned == len(labelled)
    (scaler,) = [
        step
        for step in learner.learner.model.estimator.steps.values()  # type: ignore[attr-defined]
        if isinstance(step, StandardiseOneHot)
    ]
    every = statistics.fmean(float(e.item.features["x0"]) for e in examples)
    assert scaler.state()["n"]["x0"] == len(examples)
    assert scaler.state()["mean"]["x0"] == pytest.approx(every)  # about 5, not above 8
    assert learner.store is not None
    learner.store.close()


def test_a_restarted_service_goes_on_with_the_model_it_learned(tmp_path: Path) -> None:
    settings = Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.2},
        api={"enabled": False},
    )
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    assert roles.learner is not None
    assert roles.queue is not None
    producer = broker.producer()
    truth = {}
    for example in open_stream("synth:sea?n=400", seed=2):
        producer.send(settings.kafka.input_topic, encode_event(example))
        truth[example.item.id] = example.label
    labels_topic = settings.kafka.topic("labels")
    while _pump(roles):
        for lease in roles.queue.lease("oracle", n=20):
            producer.send(labels_topic, encode_label(lease.item_id, truth[lease.item_id], "o", 0.0))
            roles.queue.ack(lease.lease_id, "oracle")
    learned = roles.learner.model.n_learned
    assert 0 < learned < roles.learner.checkpoint_every  # no version was saved while it ran
    close_roles(roles)  # a clean stop saves what it learned

    again = build_roles(settings, build_transport(settings, MemoryBroker()), {"scorer", "learner"})
    try:
        assert again.learner is not None
        assert again.scorer is not None
        assert again.learner.model.n_learned == learned
        assert again.scorer.model is again.learner.model
        assert again.scorer.model_version == str(again.learner.version) == "1"
    finally:
        close_roles(again)

"""Separate roles (scorer, queue, learner) wired from settings, talking through topics."""

from __future__ import annotations

from pathlib import Path

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.service.wiring import Roles, build_roles, build_transport
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

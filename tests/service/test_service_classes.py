"""Classes in the service: from configuration, a file's header or the events; never learned
when a label's class is unknown, whoever produced the label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stream_al.classes import ClassBook, Status
from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.items import Item
from stream_al.service.wiring import Roles, build_roles, build_transport
from stream_al.service_cli import _replayed_classes
from stream_al.store import open_store
from stream_al.transport.codec import encode_event, encode_label
from stream_al.transport.dead_letter import read_dead_letter
from stream_al.transport.memory import MemoryBroker

ITEM = Item(id="a", event_time=1.0, features={"x0": 1.0, "x1": 2.0, "x2": 3.0})


def _settings(tmp_path: Path, **sections: Any) -> Settings:
    api = {"enabled": False, **sections.pop("api", {})}
    return Settings(store={"path": str(tmp_path / "s.db")}, api=api, **sections)


def _pump(roles: Roles) -> int:
    handled = 0
    for consumer, handle in roles.loops:
        records = consumer.poll(500, timeout_ms=0)
        handle(records)
        handled += len(records)
    return handled


def _label(item_id: str, label: object, **extra: Any) -> bytes:
    doc = json.loads(encode_label(item_id, "x", "elsewhere", 2.0, item=ITEM.replace(id=item_id)))
    return json.dumps({**doc, "label": label, **extra}).encode()


def _dead_letters(broker: MemoryBroker, settings: Settings) -> list[str]:
    return [read_dead_letter(r.value).error for r in broker.read(settings.kafka.topic("dlq"))]


def test_a_label_of_an_unknown_class_from_another_producer_is_dead_lettered(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, model={"classes": ["False", "True"]})
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"learner"})
    assert roles.learner is not None
    producer, topic = broker.producer(), settings.kafka.topic("labels")
    producer.send(topic, _label("a", "banana"))
    producer.send(topic, _label("b", True))  # the text of class "True": learned as "True"
    producer.send(topic, _label("c", "banana", hold="overlap"))  # held or not: not a class
    while _pump(roles):
        pass

    model = roles.learner.model
    assert model.n_learned == 1
    assert model.classes == ["False", "True"]  # "banana" never reached the model
    errors = _dead_letters(broker, settings)
    assert len(errors) == 2
    assert all("label 'banana' of item" in e and "not one of the classes" in e for e in errors)
    assert "'False', 'True'" in errors[0]
    assert roles.store is not None
    assert [r.label for r in roles.store.labels_for("b")] == ["True"]
    assert roles.store.labels_for("a") == []
    roles.store.close()


def test_with_no_class_known_nothing_is_learned_and_the_reason_says_who_fixes_it(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"learner"})
    assert roles.learner is not None
    broker.producer().send(settings.kafka.topic("labels"), _label("a", "UP"))
    while _pump(roles):
        pass

    assert roles.learner.model.n_learned == 0
    assert roles.learner.model.classes == []
    (error,) = _dead_letters(broker, settings)
    assert "no classes are known yet" in error
    assert "[model] classes" in error
    assert "POST /v1/classes" in error
    assert roles.store is not None
    roles.store.close()


def test_classes_detected_from_the_events_label_field_appear_in_tasks(tmp_path: Path) -> None:
    settings = _settings(tmp_path, fields={"label": "label"}, strategy={"budget": 0.2})
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue"})
    assert roles.queue is not None
    assert roles.classes is not None
    assert roles.classes.known == []
    producer = broker.producer()
    for example in open_stream("synth:sea?n=300", seed=2):
        producer.send(settings.kafka.input_topic, encode_event(example, include_label=True))
    while _pump(roles):
        pass

    assert sorted(roles.classes.known) == ["False", "True"]
    assert {c.source for c in roles.classes.snapshot().classes} == {"events"}
    leases = roles.queue.lease("ana", n=5)
    assert leases
    for lease in leases:
        assert sorted(lease.task.classes) == ["False", "True"]
    assert roles.store is not None
    roles.store.close()


def test_without_a_label_field_the_events_add_no_class(tmp_path: Path) -> None:
    settings = _settings(tmp_path, strategy={"budget": 0.2})  # [fields] label: none
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue"})
    assert roles.queue is not None
    assert roles.classes is not None
    for example in open_stream("synth:sea?n=100", seed=2):
        broker.producer().send(
            settings.kafka.input_topic, encode_event(example, include_label=True)
        )
    while _pump(roles):
        pass

    assert roles.classes.known == []
    (lease, *_) = roles.queue.lease("ana", n=5)
    assert lease.task.classes == ()
    assert roles.store is not None
    roles.store.close()


def test_a_class_accepted_in_the_queue_process_reaches_a_learner_in_another(
    tmp_path: Path,
) -> None:
    settings = _settings(
        tmp_path, model={"classes": ["False", "True"]}, api={"allow_new_classes": True}
    )
    broker = MemoryBroker()
    learner = build_roles(settings, build_transport(settings, broker), {"learner"})
    assert learner.learner is not None
    queue_store = open_store(settings.store.path)  # the queue process's own connection
    queue_side = ClassBook(queue_store)
    queue_side.propose("FLAT", by="ana", at=1.0, row=1)
    producer, topic = broker.producer(), settings.kafka.topic("labels")
    producer.send(topic, _label("a", "FLAT"))  # from another producer, no hold
    while _pump(learner):
        pass
    assert learner.learner.model.n_learned == 0  # held: its class waits for an admin
    assert _dead_letters(broker, settings) == []
    assert learner.store is not None
    assert [r.label for r in learner.store.labels_for("a")] == ["FLAT"]  # kept for later
    assert learner.learner.classes.check("FLAT").status is Status.PENDING

    queue_side.accept("FLAT", by="root", at=2.0)
    producer.send(topic, _label("a", "FLAT"))  # published again once accepted
    while _pump(learner):
        pass
    assert learner.learner.model.n_learned == 1
    assert "FLAT" in learner.learner.model.classes  # a model built for more than two
    queue_store.close()
    learner.store.close()


def test_a_replayed_files_header_gives_the_classes_unless_configured(tmp_path: Path) -> None:
    arff = tmp_path / "toy.arff"
    arff.write_text(
        "@relation toy\n@attribute x numeric\n@attribute class {UP,DOWN}\n@data\n1,UP\n2,DOWN\n"
    )
    assert _replayed_classes(str(arff), oracle=False) == ["UP", "DOWN"]
    csv = tmp_path / "toy.csv"
    csv.write_text("x,label\n1,b\n2,a\n3,b\n")
    assert _replayed_classes(str(csv), oracle=False) is None  # no header declares them
    assert _replayed_classes(str(csv), oracle=True) == ["a", "b"]  # the oracle's labels

    settings = _settings(tmp_path)
    roles = build_roles(settings, build_transport(settings), {"queue"}, ["UP", "DOWN"])
    assert roles.classes is not None
    assert roles.classes.known == ["UP", "DOWN"]
    assert {c.source for c in roles.classes.snapshot().classes} == {"file"}
    assert roles.store is not None
    roles.store.close()

    configured = _settings(tmp_path / "other", model={"classes": ["a", "b"]})
    (tmp_path / "other").mkdir()
    roles = build_roles(configured, build_transport(configured), {"queue"}, ["UP", "DOWN"])
    assert roles.classes is not None
    assert roles.classes.known == ["a", "b"]  # configuration is the authority
    assert roles.store is not None
    roles.store.close()

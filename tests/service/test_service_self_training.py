"""Self-training in the service: pseudo-labels learnt while labels lag, logged as such."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.items import Example
from stream_al.service.wiring import Roles, build_roles, build_transport
from stream_al.store.records import PSEUDO_ANNOTATOR
from stream_al.transport.codec import encode_event, encode_label
from stream_al.transport.memory import MemoryBroker

STREAM = "synth:stagger?n=1200"  # a concept a linear model learns from a few dozen labels


def _settings(tmp_path: Path, **lag: Any) -> Settings:
    return Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": open_stream(STREAM).info.classes},
        strategy={"budget": 0.1},
        api={"enabled": False},
        lag={"self_training_enabled": True, "min_lag_s": 0.0, **lag},
    )


def _run(roles: Roles) -> None:
    for consumer, handle in roles.loops:
        with roles.lock:
            handle(consumer.poll(1000, timeout_ms=0))


def _label(example: Example) -> bytes:
    return encode_label(example.item.id, example.label, "ana", 1.0, item=example.item)


def _label_one_in_100(settings: Settings, broker: MemoryBroker, n: int, *roles: Roles) -> None:
    """Send `n` items with a label for one in 100 of them (a 10% budget asks for 10)."""
    producer = broker.producer()
    examples = list(open_stream(f"synth:stagger?n={n}", seed=3))
    for start in range(0, n, 100):
        for example in examples[start : start + 100]:
            producer.send(settings.kafka.input_topic, encode_event(example))
        producer.send(settings.kafka.topic("labels"), _label(examples[start]))
        for each in roles:
            _run(each)


def _play(
    tmp_path: Path, broker: MemoryBroker | None = None, upto: int = 1200, **lag: Any
) -> Roles:
    """Score 400 items, label 150 of them, then score the rest up to `upto` while tasks wait."""
    settings = _settings(tmp_path, **lag)
    broker = broker or MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    examples = list(open_stream(STREAM, seed=3))
    producer = broker.producer()
    for example in examples[:400]:
        producer.send(settings.kafka.input_topic, encode_event(example))
    _run(roles)
    for example in examples[:150]:
        producer.send(settings.kafka.topic("labels"), _label(example))
    _run(roles)
    for example in examples[400:upto]:
        producer.send(settings.kafka.input_topic, encode_event(example))
    _run(roles)
    return roles


def test_confident_items_teach_the_model_and_are_logged_as_pseudo_labels(tmp_path: Path) -> None:
    roles = _play(tmp_path)
    assert roles.scorer is not None
    assert roles.learner is not None
    assert roles.store is not None
    try:
        st = roles.scorer.self_training
        assert st is not None
        assert st.count > 0
        labels = list(roles.store.iter_labels())
        pseudo = [r for r in labels if r.source == "pseudo"]
        human = [r for r in labels if r.source == "human"]
        assert len(pseudo) == st.count
        assert {r.annotator for r in pseudo} == {PSEUDO_ANNOTATOR}
        assert len(human) == 150  # pseudo-labels never pass for an annotator's
        assert roles.learner.learner.labelled.n == 150  # nor feed the accuracy estimates
        assert roles.scorer.model.n_learned == 150 + st.count
        figures = roles.scorer.lag_figures()
        assert figures["pseudo_labels"] == st.count
        assert figures["label_free_accuracy"] is not None
    finally:
        roles.store.close()


def test_no_pseudo_labels_while_labels_keep_up_or_when_switched_off(tmp_path: Path) -> None:
    for name, lag in (("keep-up", {"min_lag_s": 1e9}), ("off", {"self_training_enabled": False})):
        (tmp_path / name).mkdir()
        roles = _play(tmp_path / name, **lag)
        assert roles.scorer is not None
        assert roles.store is not None
        try:
            assert not [r for r in roles.store.iter_labels() if r.source == "pseudo"]
            assert roles.scorer.lag_figures()["pseudo_labels"] == 0
        finally:
            roles.store.close()


def test_a_scorer_without_the_learner_does_not_self_train(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    roles = build_roles(settings, build_transport(settings, MemoryBroker()), {"scorer", "queue"})
    assert roles.scorer is not None
    assert roles.store is not None
    try:
        assert roles.scorer.self_training is None
        assert roles.scorer.pacer is not None  # it paces on the learner's announcements
    finally:
        roles.store.close()


def test_a_scorer_on_its_own_paces_its_budget_on_the_learners_announcements(
    tmp_path: Path,
) -> None:
    """Split roles: the learner's label count, announced with each version, sets the budget."""
    settings = _settings(tmp_path, self_training_enabled=False, pace_window_items=200)
    broker = MemoryBroker()
    transport = build_transport(settings, broker)
    scorer_roles = build_roles(settings, transport, {"scorer"})
    learner_roles = build_roles(settings, transport, {"learner"})
    scorer, learner = scorer_roles.scorer, learner_roles.learner
    assert scorer is not None
    assert learner is not None
    learner.checkpoint_every = 5  # an announcement every 5 labels
    try:
        _label_one_in_100(settings, broker, 4000, scorer_roles, learner_roles)
        producer = broker.producer()
        _run(scorer_roles)  # hears the last announcement
        assert learner.version >= 7  # it announced
        assert scorer.model_version == str(learner.version)  # and the scorer swapped
        assert scorer.rule.budget.fraction == pytest.approx(0.015, rel=0.2)  # 1.5 x 1%
        # The annotators stop: no announcement comes, and the budget falls to its floor.
        for example in list(open_stream("synth:stagger?n=8000", seed=4))[4000:]:
            producer.send(settings.kafka.input_topic, encode_event(example))
        for _ in range(4):
            _run(scorer_roles)
        assert scorer.position == 8000
        assert scorer.pacer is not None
        assert scorer.pacer.throughput < 0.002
        assert scorer.rule.budget.fraction == pytest.approx(0.01)  # a tenth of the target
    finally:
        for roles in (scorer_roles, learner_roles):
            assert roles.store is not None
            roles.store.close()


def test_two_scorers_in_one_group_pace_on_the_whole_streams_throughput(tmp_path: Path) -> None:
    """Each scorer sees half the stream: the learner's count of all items, announced with its
    label count, keeps each from reading twice the annotators' throughput."""
    settings = _settings(tmp_path, self_training_enabled=False, pace_window_items=200)
    broker = MemoryBroker()
    broker.create_topic(settings.kafka.input_topic, 4)  # the user's topic: 4 partitions
    transport = build_transport(settings, broker)
    scorers = [build_roles(settings, transport, {"scorer"}) for _ in range(2)]
    learner_roles = build_roles(settings, transport, {"learner"})
    learner = learner_roles.learner
    assert learner is not None
    learner.checkpoint_every = 5
    try:
        _label_one_in_100(settings, broker, 6000, *scorers, learner_roles)
        for roles in scorers:
            _run(roles)  # hear the last announcement
        positions = [roles.scorer.position for roles in scorers if roles.scorer is not None]
        assert sum(positions) == 6000
        assert min(positions) > 1500  # both had a share of the partitions
        for roles in scorers:
            assert roles.scorer is not None
            assert roles.scorer.rule.budget.fraction == pytest.approx(0.015, rel=0.2)  # not 0.03
    finally:
        for roles in (*scorers, learner_roles):
            assert roles.store is not None
            roles.store.close()


def test_pseudo_labels_are_learnt_only_once_recorded(tmp_path: Path) -> None:
    """A batch whose store transaction fails is replayed: its pseudo-labels must not count twice."""
    broker = MemoryBroker()
    roles = _play(tmp_path, broker, upto=800)
    assert roles.scorer is not None
    assert roles.store is not None
    store = roles.store
    try:
        st = roles.scorer.self_training
        assert st is not None
        learned, chosen = roles.scorer.model.n_learned, st.count
        recorded = len(list(store.iter_labels()))

        def fail(*_: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        store.mark_seen = fail  # type: ignore[method-assign]
        producer = broker.producer()
        for example in list(open_stream(STREAM, seed=3))[800:]:
            producer.send(_settings(tmp_path).kafka.input_topic, encode_event(example))
        events, _ = roles.loops[0]  # the scorer's handler itself (its guard would retry)
        with pytest.raises(sqlite3.OperationalError):
            roles.scorer.handle(events.poll(1000, timeout_ms=0), events.commit)
        assert st.count > chosen  # chosen in this batch, so learnt had they been recorded
        assert roles.scorer.model.n_learned == learned
        assert len(list(store.iter_labels())) == recorded
    finally:
        store.close()


def test_in_one_process_annotators_behind_the_budget_start_the_rehearsal(tmp_path: Path) -> None:
    """The scorer's pacer tells the learner's rehearsal when labels come slower than asked."""
    settings = _settings(tmp_path, self_training_enabled=False, pace_window_items=200)
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    assert roles.learner is not None
    rehearsal = roles.learner.learner.rehearsal
    assert rehearsal is not None
    try:
        _label_one_in_100(settings, broker, 3000, roles)
        assert rehearsal.behind
        assert rehearsal.lagging  # though each label came back at once
        assert rehearsal.replayed > 0
    finally:
        assert roles.store is not None
        roles.store.close()

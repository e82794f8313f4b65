"""The scorer and learner services end to end: in-memory transport, a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stream_al.clock import FakeClock
from stream_al.datasets import open_stream
from stream_al.drift.monitor import DriftMonitor
from stream_al.lag.rehearsal import Rehearsal
from stream_al.model import make_model
from stream_al.queue import AnnotationQueue
from stream_al.rules import make_rule
from stream_al.service import LearnerService, LearnerTopics, QueueSink, Scorer, ScorerTopics
from stream_al.service.learner import load_model_version, queue_lookup
from stream_al.store import open_store
from stream_al.transport.codec import decode_item, encode_event, encode_label
from stream_al.transport.dead_letter import read_dead_letter
from stream_al.transport.memory import MemoryBroker

SCORER_TOPICS = ScorerTopics("sal.predictions", "sal.dlq", "sal.alerts")
LEARNER_TOPICS = LearnerTopics("sal.models", "sal.alerts", "sal.dlq")


class Loop:
    """Scorer, local queue and learner wired as `stream-al run` wires them."""

    def __init__(
        self,
        db: Path,
        broker: MemoryBroker,
        budget: float = 0.05,
        model_name: str = "logreg",
        rehearsal: Rehearsal | None = None,
    ) -> None:
        self.broker = broker
        self.clock = FakeClock(1_000.0)
        self.store = open_store(db)
        self.producer = broker.producer()
        self.queue = AnnotationQueue(
            capacity=100,
            half_life=600,
            lease_ttl=60,
            clock=self.clock,
            store=self.store.queue_store(),
        )
        model = make_model(model_name, classes=["False", "True"])
        self.scorer = Scorer(
            model,
            make_rule("auto", budget, seed=1),
            self.store,
            self.producer,
            QueueSink(self.queue),
            SCORER_TOPICS,
            clock=self.clock,
        )
        self.learner = LearnerService(
            model,
            self.store,
            self.producer,
            LEARNER_TOPICS,
            queue_lookup(self.store),
            monitor=DriftMonitor(label_free=None),
            checkpoint_every=20,
            clock=self.clock,
            rehearsal=rehearsal,
        )
        self.events = broker.consumer(["events"], "scorer")
        self.labels = broker.consumer(["sal.labels"], "learner")

    def pump(self) -> int:
        records = self.events.poll(200, timeout_ms=0)
        self.scorer.handle(records, self.events.commit)
        return len(records)

    def annotate(self, truth: dict[str, str], n: int = 10) -> None:
        for lease in self.queue.lease("oracle", n=n):
            self.producer.send(
                "sal.labels",
                encode_label(lease.item_id, truth[lease.item_id], "oracle", self.clock.now()),
                key=lease.item_id.encode(),
            )
            self.queue.ack(lease.lease_id, "oracle")

    def learn(self) -> int:
        records = self.labels.poll(500, timeout_ms=0)
        return self.learner.handle(records, self.labels.commit)


def _produce(broker: MemoryBroker, n: int) -> dict[str, str]:
    producer = broker.producer()
    truth = {}
    for example in open_stream(f"synth:sea?n={n}", seed=3):
        producer.send("events", encode_event(example), key=example.item.id.encode())
        truth[example.item.id] = example.label
    return truth


def test_items_reach_the_queue_labels_flow_back_and_the_model_version_advances(
    tmp_path: Path,
) -> None:
    broker = MemoryBroker()
    truth = _produce(broker, 4000)
    loop = Loop(tmp_path / "s.db", broker)
    while loop.pump():
        loop.clock.advance(5)
        loop.annotate(truth)
        loop.learn()
    loop.annotate(truth, n=1000)
    loop.learn()
    learned = loop.learner.learner.labelled.n
    assert learned == loop.scorer.rule.budget.spent > 150
    assert loop.learner.version >= learned // 20
    versions = [json.loads(r.value) for r in broker.read("sal.models")]
    assert versions[-1]["version"] == str(loop.learner.version)
    assert len(broker.read("sal.predictions")) == 4000
    assert broker.committed("scorer")[("events", 0)] == 4000
    assert loop.learner.learner.labelled.accuracy > 0.6
    model, _ = load_model_version(loop.store, "default")
    assert model.n_learned == versions[-1]["metrics"]["labels"] > learned - 20


def test_the_learner_rehearses_only_labels_that_come_back_late(tmp_path: Path) -> None:
    broker = MemoryBroker()
    truth = _produce(broker, 2000)
    fast, late = Rehearsal(min_lag=600), Rehearsal(min_lag=600)
    loop = Loop(tmp_path / "fast.db", broker, rehearsal=fast)
    while loop.pump():  # annotators answer within the minute
        loop.clock.advance(5)
        loop.annotate(truth)
        loop.learn()
    assert loop.learner.learner.labelled.n > 50
    assert fast.lag is not None
    assert fast.lag < 60
    assert fast.replayed == 0
    broker = MemoryBroker()
    truth = _produce(broker, 2000)
    loop = Loop(tmp_path / "late.db", broker, rehearsal=late)
    while loop.pump():  # nobody answers for two hours
        loop.clock.advance(5)
    loop.clock.advance(7200)
    loop.annotate(truth, n=1000)
    learned = loop.learn()
    assert learned > 50
    assert late.lag is not None
    assert late.lag >= 7200
    assert late.replayed > 5 * learned  # 8 replays per label once the lag is known
    assert loop.learner.learner.labelled.n == learned  # replays are not counted as labels
    # a restart takes back the memory and the lag saved with the last checkpoint
    loop.learner.checkpoint()
    again = Rehearsal(min_lag=600)
    Loop(tmp_path / "late.db", broker, rehearsal=again)
    assert len(again) == len(late) == min(500, learned)
    assert again.lag == late.lag
    assert again.lagging


def test_a_torch_model_is_checkpointed_as_tensors_and_loads_back_the_same(
    tmp_path: Path,
) -> None:
    pytest.importorskip("torch")
    broker = MemoryBroker()
    truth = _produce(broker, 1500)
    loop = Loop(tmp_path / "s.db", broker, model_name="torch_mlp")
    while loop.pump():
        loop.clock.advance(5)
        loop.annotate(truth)
        loop.learn()
    version = loop.learner.checkpoint()
    _, metadata = loop.store.load_model("default", version)
    assert metadata["format"] == "torch_state_dict"  # never a pickle
    model, loaded = load_model_version(loop.store, "default", version)
    assert loaded == version
    items = [e.item for e in open_stream("synth:sea?n=50", seed=9)]
    assert np.array_equal(
        model.predict_proba_many(items), loop.learner.model.predict_proba_many(items)
    )
    assert model.n_learned == loop.learner.learner.labelled.n > 50


def test_malformed_events_are_dead_lettered_and_processing_goes_on(tmp_path: Path) -> None:
    broker = MemoryBroker()
    producer = broker.producer()
    producer.send("events", b'{"id": "1", "time": 1, "x": 0.5}')
    producer.send("events", b"not json", key=b"k")
    producer.send("events", b'{"time": 2, "x": 0.1}')
    producer.send("events", b'{"id": "4", "time": 3, "x": 0.7}')
    loop = Loop(tmp_path / "s.db", broker)
    report = loop.scorer.handle(loop.events.poll(10, 0), loop.events.commit)
    assert report.dead_lettered == 2
    assert report.scored == 2
    letters = [read_dead_letter(r.value, r.key) for r in broker.read("sal.dlq")]
    assert letters[0].source.offset == 1
    assert letters[0].original == b"not json"
    assert "JSON" in letters[0].error
    assert "id" in letters[1].error
    assert broker.committed("scorer")[("events", 0)] == 4


def test_a_replayed_batch_neither_duplicates_nor_loses_queued_items(tmp_path: Path) -> None:
    broker = MemoryBroker()
    _produce(broker, 1500)
    db = tmp_path / "s.db"
    first = Loop(db, broker, budget=0.2)
    records = first.events.poll(1500, 0)
    # the batch's effects become durable, then the process dies before committing offsets
    first.scorer.handle(records, commit=lambda offsets: None)
    queued = {t.item_id for t in first.queue.lease("x", n=1000)}
    first.events.close()  # leaves the group without committing anything
    first.store.close()

    again = Loop(db, broker, budget=0.2)
    assert again.queue.depth + again.queue.leased_count == len(queued)
    report = again.scorer.handle(again.events.poll(1500, 0), again.events.commit)
    assert report.replayed == 1500
    assert report.queried == 0
    assert again.queue.depth + again.queue.leased_count == len(queued)
    assert again.scorer.rule.budget.spent == first.scorer.rule.budget.spent


@pytest.mark.parametrize(
    "bad", [b"{}", b'{"id": "zzz", "label": "True", "annotator": "a", "time": 1}']
)
def test_bad_or_unknown_labels_are_dead_lettered(tmp_path: Path, bad: bytes) -> None:
    broker = MemoryBroker()
    loop = Loop(tmp_path / "s.db", broker)
    broker.producer().send("sal.labels", bad)
    assert loop.learn() == 0
    assert len(broker.read("sal.dlq")) == 1


def test_a_label_delivered_twice_is_learned_once(tmp_path: Path) -> None:
    broker = MemoryBroker()
    truth = _produce(broker, 300)
    loop = Loop(tmp_path / "s.db", broker, budget=0.3)
    loop.pump()
    loop.annotate(truth, n=5)
    sent = broker.read("sal.labels")
    for record in sent:  # the annotator's client retried
        broker.producer().send("sal.labels", record.value, key=record.key)
    assert loop.learn() == len(sent)
    assert loop.learner.learner.labelled.n == len(sent)


def test_held_labels_are_logged_not_learned_and_the_settled_one_is_learned_once(
    tmp_path: Path,
) -> None:
    broker = MemoryBroker()
    truth = _produce(broker, 300)
    loop = Loop(tmp_path / "s.db", broker, budget=0.3)
    loop.pump()
    item_id = loop.queue.lease("ana")[0].item_id
    label = truth[item_id]

    def send(annotator: str, hold: str | None) -> None:
        doc = json.loads(encode_label(item_id, label, annotator, loop.clock.now()))
        if hold is not None:
            doc["hold"] = hold
        loop.producer.send("sal.labels", json.dumps(doc).encode(), key=item_id.encode())

    send("ana", "overlap")
    send("bob", "overlap")
    assert loop.learn() == 0  # held: logged only
    assert loop.learner.learner.labelled.n == 0
    send("review:auto", None)
    send("review:auto", None)  # published again after a retry
    assert loop.learn() == 1
    assert loop.learner.learner.labelled.n == 1
    log = {r.annotator: r.source for r in loop.store.labels_for(item_id)}
    assert log == {"ana": "human", "bob": "human", "review:auto": "review"}


def test_a_labelled_drift_rescores_the_queue_with_the_current_model(tmp_path: Path) -> None:
    from stream_al.drift.alerts import DriftAlert
    from stream_al.service.reactions import rescore_on_drift
    from stream_al.strategies.uncertainty import Margin

    broker = MemoryBroker()
    truth = _produce(broker, 600)
    loop = Loop(tmp_path / "s.db", broker, budget=0.3)
    loop.pump()
    tasks = {r.task.item_id: r.task for r in loop.store.queue_store().records()}
    assert len(tasks) > 20
    model = loop.scorer.model
    for item_id in tasks:  # the model changes a lot after the tasks were scored
        model.learn_one(decode_item(tasks[item_id].payload["item"]), truth[item_id])
    rescore_on_drift(loop.queue, model, Margin())(
        DriftAlert(
            kind="drift",
            severity="critical",
            detector="adwin",
            source="labelled",
            statistic=0.5,
            position=600,
            time=0.0,
            message="test",
        )
    )
    after = {r.task.item_id: r.task.score for r in loop.store.queue_store().records()}
    assert after.keys() == tasks.keys()
    changed = [i for i in tasks if after[i] != tasks[i].score and not tasks[i].payload["random"]]
    assert len(changed) > len(tasks) // 2

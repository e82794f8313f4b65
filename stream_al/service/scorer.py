"""The scorer: events in; predictions, annotation candidates and a decision log out.

`Scorer.handle` processes one polled batch. The order of its steps is the
delivery guarantee (at-least-once on the topics, exactly-once in the store):
nothing is committed before its effects are durable, and an item whose effects
are already durable is not decided twice when a batch is replayed after a crash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import orjson

from stream_al.classes import ClassBook
from stream_al.clock import Clock, SystemClock
from stream_al.items import Item, Label
from stream_al.lag.estimate import LabelFreeAccuracy
from stream_al.model.base import Model
from stream_al.queue import AnnotationQueue, Task, task_score
from stream_al.rules.base import Decision, DecisionRule
from stream_al.service.counters import StreamCounters, counters_key
from stream_al.step import ActiveLearningStep, Outcome
from stream_al.store.records import PSEUDO_ANNOTATOR, DecisionRow
from stream_al.transport.base import Offsets, Producer, Record, next_offsets
from stream_al.transport.codec import DEFAULT_FIELDS, FieldMap, decode_labelled_record
from stream_al.transport.dead_letter import dead_letter
from stream_al.transport.errors import MalformedEventError

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert
    from stream_al.drift.monitor import DriftMonitor
    from stream_al.lag.selftrain import SelfTraining
    from stream_al.lag.throughput import ThroughputPacer
    from stream_al.service.fallback import LagFallback
    from stream_al.store.base import Store

__all__ = ["BatchReport", "CandidateSink", "QueueSink", "Scorer", "ScorerTopics", "TopicSink"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScorerTopics:
    """Where the scorer writes: predictions, dead letters, alerts, and (remote queue) candidates."""

    predictions: str
    dlq: str
    alerts: str
    candidates: str | None = None


@dataclass
class BatchReport:
    """What one batch did."""

    records: int = 0
    scored: int = 0
    replayed: int = 0
    dead_lettered: int = 0
    queried: int = 0
    pseudo_labelled: int = 0
    #: Dead letters by the class of their reason.
    dead_letters: dict[str, int] = field(default_factory=dict)

    def counts(self) -> StreamCounters:
        """The batch's share of the scorer's counters."""
        return StreamCounters(
            scored=self.scored, duplicates=self.replayed, dead_lettered=dict(self.dead_letters)
        )


class CandidateSink(Protocol):
    """Where items chosen for labelling go.

    `in_store` says where an offer becomes durable: in the store transaction
    (a local queue), or on the broker once the producer is flushed (a topic).
    The scorer offers at the step that makes it durable.
    """

    in_store: bool

    def offer(self, tasks: Sequence[Task]) -> None:
        """Hand over the tasks of one batch."""
        ...


class QueueSink:
    """Offer candidates to an annotation queue in this process (its store is the scorer's)."""

    in_store = True

    def __init__(self, queue: AnnotationQueue) -> None:
        self.queue = queue

    def offer(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            self.queue.offer(task)


class TopicSink:
    """Send candidates to a topic, for a queue service in another process."""

    in_store = False

    def __init__(self, producer: Producer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

    def offer(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            self.producer.send(self.topic, encode_task(task), key=task.item_id.encode())


def encode_task(task: Task) -> bytes:
    """A candidates-topic value: the task as JSON."""
    doc = {
        "item_id": task.item_id,
        "score": task.score,
        "arrival": task.arrival,
        "classes": list(task.classes),
        "payload": task.payload,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_task(value: bytes) -> Task:
    """Read a candidates-topic value back."""
    doc = json.loads(value)
    return Task(doc["item_id"], doc["score"], doc["arrival"], doc.get("payload"), doc["classes"])


class Scorer:
    """Scores events, decides which to query, and records why.

    Parameters
    ----------
    model
        The model (swapped for a newer version with `swap_model`).
    rule
        The decision rule with its budget.
    store
        Durable state: decision log, seen items, budget state (and the local queue).
    producer
        For predictions, dead letters, alerts and remote candidates.
    sink
        Where chosen items go (`QueueSink` in one process, `TopicSink` otherwise).
    topics
        Topic names.
    field_map
        How to read events.
    monitor
        Label-free drift monitor on every item's uncertainty (optional).
    publish_predictions
        Whether to publish a prediction for every item.
    fallback
        What to do while labels lag: self-training on confident pseudo-labels
        (the model must be the learner's, in this process) and a budget paced
        to the annotators' throughput; none by default.
    classes
        The class set shared through the store: the classes a task offers.
        Call ``classes.detect(values)`` with the label values of events that
        carry one. None: the store's set, with the model's classes.
    """

    def __init__(
        self,
        model: Model,
        rule: DecisionRule,
        store: Store,
        producer: Producer,
        sink: CandidateSink,
        topics: ScorerTopics,
        *,
        field_map: FieldMap = DEFAULT_FIELDS,
        clock: Clock | None = None,
        monitor: DriftMonitor | None = None,
        model_version: str = "0",
        publish_predictions: bool = True,
        fallback: LagFallback | None = None,
        classes: ClassBook | None = None,
    ) -> None:
        if classes is None:
            classes = ClassBook(store)
            if model.classes:
                classes.seed(model.classes, "model")
        self.classes = classes
        self.store = store
        self.producer = producer
        self.sink = sink
        self.topics = topics
        self.field_map = field_map
        self.clock = clock or SystemClock()
        self.model_version = model_version
        self.publish_predictions = publish_predictions
        self.fallback = fallback
        saved = store.load_budget_state()
        if saved is not None:
            rule.budget.restore(saved)
        #: Score, decide, observe, watch: the loop's one step (`stream_al.step`).
        self.step = ActiveLearningStep(
            model,
            rule,
            monitor=monitor,
            self_training=fallback.self_training if fallback is not None else None,
            position=int(saved.get("seen", 0)) if saved is not None else 0,
        )
        self.step.on_alert.append(self._alerted)
        #: Where alerts go; the service sets an `AlertRouter`'s ``emit`` (dedupe, sinks).
        self.emit_alert: Callable[[DriftAlert], object] = self.send_alert
        #: What became of the records so far (saved with every batch).
        self.counters = StreamCounters.from_state(store.load_state(counters_key("scorer")))
        self._committed = (rule.budget.state(), self.position)

    @property
    def model(self) -> Model:
        """The model that scores (see `swap_model`)."""
        return self.step.model

    @property
    def rule(self) -> DecisionRule:
        """The decision rule with its budget."""
        return self.step.rule

    @rule.setter
    def rule(self, rule: DecisionRule) -> None:
        self.step.rule = rule

    @property
    def monitor(self) -> DriftMonitor | None:
        """The drift monitor of every item's uncertainty, if any."""
        return self.step.monitor

    @property
    def position(self) -> int:
        """Items scored so far."""
        return self.step.position

    @property
    def label_free(self) -> LabelFreeAccuracy:
        """Mean calibrated confidence of recent items: accuracy estimated without labels."""
        return self.step.label_free

    def swap_model(self, model: Model, version: str) -> None:
        """Score with `model` from the next batch on."""
        self.step.model = model
        self.model_version = version
        if self.monitor is not None:
            self.monitor.rebase_label_free()  # a new model means new uncertainties, not drift
        logger.info("model swapped version=%s", version)

    def handle(self, records: Sequence[Record], commit: Callable[[Offsets], None]) -> BatchReport:
        """Process one polled batch. The order of the steps is the delivery guarantee:

        1. Validate every record against the field map; a malformed one goes to
           the dead-letter topic with the reason and its source coordinates.
        2. Set aside items whose effects are already durable (a replay after a
           crash): they are neither decided nor queued again.
        3. Score the rest and decide, item by item, which to query.
        4. Publish predictions (and candidates, when the queue is remote).
        5. Flush the producer: dead letters, predictions and candidates are stored.
        6. In one store transaction: offer candidates to the local queue, log
           the decisions and the pseudo-labels chosen in step 3, save the
           budget state, mark the items seen.
        7. Learn the pseudo-labels (only once they are recorded) and commit
           the offsets of the whole batch.

        A crash before 6 replays the batch (duplicates on the topics, keyed by
        item id); a crash between 6 and 7 replays it as already seen. A batch
        that raises is retried by the service loop's `BatchGuard`, after
        `rewind`.
        """
        report = BatchReport(records=len(records))
        items = self._validate(records, report)  # 1
        fresh = self._unseen(items, report)  # 2
        chosen, rows, pseudo = self._decide(fresh)  # 3, 4
        report.scored, report.queried = len(fresh), len(chosen)
        report.pseudo_labelled = len(pseudo)
        self.producer.flush()  # 5
        now = self.clock.now()
        budget = self.rule.budget.state()
        with self.store.transaction():  # 6
            if self.sink.in_store:
                self.sink.offer(chosen)
            self.store.log_decisions(rows)
            for item, label in pseudo:
                self.store.add_label(item.id, label, PSEUDO_ANNOTATOR, now, "pseudo")
            self.store.save_budget_state(budget)
            counted = self.counters.plus(report.counts())
            self.store.save_state(counters_key("scorer"), counted.state())
            self.store.mark_seen([it.id for it in fresh])
        self.counters.add(report.counts())
        self._committed = (budget, self.position)
        self._learn_pseudo(pseudo)  # 7
        if records:
            commit(next_offsets(records))
        return report

    def rewind(self) -> None:
        """Forget the budget spent and the items counted by a batch that failed before
        its store transaction ended, so that its retry decides them afresh.

        The model's unsupervised statistics and the drift monitor keep what the
        failed attempt showed them (a retried item is observed twice).
        """
        budget, self.step.position = self._committed
        self.rule.budget.restore(budget)

    # -- steps ------------------------------------------------------------------------------
    def _validate(self, records: Sequence[Record], report: BatchReport) -> list[Item]:
        """The batch's valid items; the label values they carry (``[fields] label``) are
        offered to the class set."""
        items: list[Item] = []
        labels: list[Any] = []
        for record in records:
            try:
                item, label = decode_labelled_record(record, self.field_map)
            except MalformedEventError as exc:
                dead_letter(self.producer, self.topics.dlq, record, str(exc), kind=exc.kind)
                report.dead_lettered += 1
                report.dead_letters[exc.kind] = report.dead_letters.get(exc.kind, 0) + 1
                logger.warning("dead-lettered where=%s reason=%s", record.where, exc)
                continue
            items.append(item)
            if label is not None:
                labels.append(label)
        if labels:
            self.classes.detect(labels)
        return items

    def _unseen(self, items: list[Item], report: BatchReport) -> list[Item]:
        unique: dict[str, Item] = {}
        for item in items:
            unique.setdefault(item.id, item)
        seen = self.store.seen(unique)
        report.replayed = len(items) - len(unique) + len(seen)
        return [item for key, item in unique.items() if key not in seen]

    def _decide(
        self, items: list[Item]
    ) -> tuple[list[Task], list[DecisionRow], list[tuple[Item, Label]]]:
        if not items:
            return [], [], []
        step = self.step
        scored = step.score(items)
        proba, classes = scored.proba, scored.classes
        now = self.clock.now()
        if self.fallback is not None:  # the labels that came in while these items arrived
            self.fallback.pace(step.position, len(items))
        chosen: list[Task] = []
        rows: list[DecisionRow] = []
        decisions: list[Decision] = []
        for out in step.decide(scored):
            item, decision = items[out.row], out.decision
            rows.append(DecisionRow.from_decision(item.id, now, decision, self.model_version))
            decisions.append(decision)
            if decision.query:
                chosen.append(self._task(item, proba[out.row], classes, out, now))
        if self.publish_predictions:
            self._publish(items, proba, classes, decisions)
        if not self.sink.in_store:
            self.sink.offer(chosen)
        lag = self.fallback.lag() if self.self_training is not None and self.fallback else 0.0
        pseudo = step.finish(scored, len(items), lag)
        return chosen, rows, [(items[row], label) for row, label in pseudo]

    @property
    def self_training(self) -> SelfTraining | None:
        """Self-training on confident pseudo-labels, when the fallback has it."""
        return self.fallback.self_training if self.fallback is not None else None

    @property
    def pacer(self) -> ThroughputPacer | None:
        """The budget's pacer, when the fallback has one."""
        return self.fallback.pacer if self.fallback is not None else None

    def lag_figures(self) -> dict[str, float | None]:
        """Admission and labeling rates, label-free accuracy, pseudo-labels learnt."""
        st, pacer = self.self_training, self.pacer
        return {
            "admission_rate": self.rule.budget.recent_rate,
            "labeling_rate": pacer.throughput if pacer is not None else None,
            "label_free_accuracy": self.label_free.value,
            "pseudo_labels": st.count if st is not None else 0,
        }

    def _learn_pseudo(self, pseudo: list[tuple[Item, Label]]) -> None:
        if not pseudo:
            return
        st = self.self_training
        assert st is not None  # pseudo-labels come from it
        for item, label in pseudo:
            self.model.learn_one(item, label, st.weight)

    def _alerted(self, alert: DriftAlert) -> None:
        """A label-free drift alert (after the rule and self-training reacted): logged, sent."""
        self.store.log_drift(alert)
        self.emit_alert(alert)

    def send_alert(self, alert: DriftAlert) -> None:
        """Write `alert` to the alerts topic (the default `emit_alert`)."""
        self.producer.send(
            self.topics.alerts, json.dumps(alert.to_dict()).encode(), key=alert.kind.encode()
        )

    def _publish(
        self,
        items: Sequence[Item],
        proba: np.ndarray,
        classes: Sequence[Any],
        decisions: Sequence[Decision],
    ) -> None:
        """One prediction message per item (DESIGN: id, predicted class, probabilities,
        uncertainty, model version), keyed by item id."""
        names = [str(c) for c in classes]
        best = proba.argmax(axis=1).tolist() if names else [None] * len(items)
        rows = proba.tolist()
        send, topic, version = self.producer.send, self.topics.predictions, self.model_version
        for item, row, top, d in zip(items, rows, best, decisions, strict=True):
            doc = {
                "id": item.id,
                "prediction": None if top is None else classes[top],
                "probabilities": dict(zip(names, row, strict=False)),  # none: no class yet
                "uncertainty": d.score,
                "queried": d.query,
                "model_version": version,
            }
            send(topic, orjson.dumps(doc), key=item.id.encode())

    def _task(
        self, item: Item, proba: np.ndarray, classes: Sequence[Any], out: Outcome, now: float
    ) -> Task:
        best = int(np.argmax(proba)) if len(classes) else -1
        payload = {
            "item": item.to_json(),
            "prediction": classes[best] if best >= 0 else None,
            "confidence": float(proba[best]) if best >= 0 else None,
            "random": out.decision.random,
            "model_version": self.model_version,
            "position": out.position + 1,  # items scored when it was admitted: its lag in items
        }
        score = task_score(out.decision.score, out.decision.random)
        return Task(item.id, score, now, payload, self.classes.known)

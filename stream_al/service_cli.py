"""The service commands: `stream-al run`, `scorer`, `queue`, `learner` and `produce`.

`run` and `queue` hold the annotation queue and serve the annotation API
(`stream_al.api`) beside the service loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stream_al.items import Label
    from stream_al.queue import AnnotationQueue
    from stream_al.transport.base import Consumer, Producer

__all__ = ["register", "serve"]

logger = logging.getLogger("stream_al.service")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML configuration (every field overridable by STREAM_AL_*)"),
]

produce_app = typer.Typer(help="Replay a file or a synthetic drifting stream into a topic.")

ClientOption = Annotated[
    Literal["kafka-python", "confluent"],
    typer.Option(
        help="Kafka client library, as [kafka] client; confluent needs the confluent extra"
    ),
]


def serve(
    config: Path | None,
    roles: set[str],
    replay: str | None = None,
    rate: float | None = None,
    oracle: bool = False,
) -> None:
    """Run `roles` from the configuration until SIGINT / SIGTERM.

    The steps, so that the process is operable from its first second and stops
    cleanly at any point:

    1. Catch SIGINT and SIGTERM: from now on a signal sets the stop event,
       which ends every wait (the broker, a backoff, the loop).
    2. Build what needs no broker (store, queue, model, scorer, learner) and,
       in a process holding the queue, serve the annotation API (``[api]``)
       with ``/healthz`` answering 503 with what it waits for; start the
       alert routing and the scheduled jobs.
    3. Reach the broker, as long as it takes (``/healthz``: ``broker:
       unreachable since ...``), create the topics, subscribe the loops.
    4. Run the loops until stopped, then close everything (the API first).

    `replay` feeds a file or synthetic stream into the input topic, and `oracle`
    answers the local queue's tasks from its true labels (stand-ins for a
    producer and for annotators, for trying the service out).
    """
    from stream_al.config import load_settings
    from stream_al.service.wiring import (
        build_transport,
        close_roles,
        connect_roles,
        prepare_roles,
        run_roles,
        stop_on_signals,
    )
    from stream_al.transport.errors import BrokerUnavailableError

    settings = load_settings(config)
    # our transport logs outages once: kafka-python's own lines are silenced here, librdkafka's
    # go to DEBUG (stream_al.transport.confluent.events)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our jobs log what they did
    file_classes = None if replay is None else _replayed_classes(replay, oracle)
    with stop_on_signals() as stop:  # 1
        built = prepare_roles(settings, roles, stop=stop, file_classes=file_classes)  # 2
        try:
            if built.queue is not None and settings.api.enabled:
                from stream_al.api.embedded import start_api

                built.on_close.append(start_api(settings, built).stop)
            from stream_al.service.operations import start_operations

            built.on_close.append(start_operations(settings, built).close)
            transport = build_transport(settings, health=built.health, stop=stop)
            try:
                connect_roles(built, settings, transport, roles)  # 3
            except BrokerUnavailableError:
                if not stop.is_set():
                    raise
                logger.info("stopped before the broker answered")
                close_roles(built)
                return
            if replay is not None:
                _replay_in_background(
                    replay, transport.producer(), settings.kafka.input_topic, rate, stop
                )
            if oracle and replay is not None and built.queue is not None:
                built.ticks.append(
                    _oracle(
                        replay, built.queue, transport.producer(), settings.kafka.topic("labels")
                    )
                )
        except BaseException:
            close_roles(built)
            raise
        logger.info(
            "started roles=%s transport=%s store=%s",
            ",".join(sorted(roles)),
            "embedded"
            if settings.kafka.embedded
            else f"{','.join(settings.kafka.bootstrap_servers)} client={settings.kafka.client}",
            settings.store.path,
        )
        run_roles(  # 4
            built, stop, poll_ms=settings.scorer.poll_timeout_ms, batch=settings.scorer.batch_size
        )


def _replayed_classes(data: str, oracle: bool) -> list[Label] | None:
    """The classes of a replayed file: those its header declares (ARFF, synthetic streams);
    else, when the oracle answers from the file's labels, the values of those labels."""
    from stream_al.datasets import open_stream

    classes: list[Label] | None = None
    declared = open_stream(data).info.classes
    if declared is not None:
        classes = list(declared)
    elif oracle:
        from producers.labels import ground_truth

        classes = sorted(set(ground_truth(data).values()), key=str)
    return classes


def _replay_in_background(
    data: str, producer: Producer, topic: str, rate: float | None, stop: threading.Event
) -> None:
    from producers.replay import replay

    def work() -> None:
        sent = replay(data, producer, topic, rate=rate)
        logger.info("replay done sent=%d topic=%s", sent, topic)

    threading.Thread(target=work, name="replay", daemon=True).start()


def _oracle(
    data: str, queue: AnnotationQueue, producer: Producer, topic: str
) -> Callable[[], None]:
    """Answer queued tasks from the file's true labels (a stand-in for annotators).

    Run by the service loop between polls, on its thread: the queue is not thread-safe.
    """
    from producers.labels import ground_truth
    from stream_al.transport.codec import encode_label

    truth = ground_truth(data)

    def answer() -> None:
        leases = queue.lease("oracle", n=50)
        for lease in leases:
            value = encode_label(lease.item_id, truth[lease.item_id], "oracle", lease.leased_at)
            producer.send(topic, value, key=lease.item_id.encode())
        producer.flush()
        for lease in leases:
            queue.ack(lease.lease_id, "oracle")

    return answer


def register(app: typer.Typer) -> None:
    """Add the service commands to the `stream-al` app."""

    @app.command()
    def run(
        config: ConfigOption = None,
        replay: Annotated[
            str | None,
            typer.Option(help="Also replay this file/synth: stream into the input topic"),
        ] = None,
        rate: Annotated[
            float | None, typer.Option(help="Replay rate, events/s (default: as fast as possible)")
        ] = None,
        oracle: Annotated[
            bool, typer.Option(help="Answer queued tasks from the replayed file's labels")
        ] = False,
    ) -> None:
        """The service in one process: scorer, queue, learner and the annotation API."""
        serve(config, {"scorer", "queue", "learner"}, replay, rate, oracle)

    @app.command()
    def scorer(config: ConfigOption = None) -> None:
        """Score the input topic; candidates go to the candidates topic (one scorer a partition)."""
        serve(config, {"scorer"})

    @app.command("queue")
    def queue_role(config: ConfigOption = None) -> None:
        """Hold the annotation queue, fed by the candidates topic, and serve the annotation API."""
        serve(config, {"queue"})

    @app.command()
    def learner(config: ConfigOption = None) -> None:
        """Learn from the labels topic; publish model versions and drift alerts."""
        serve(config, {"learner"})

    app.add_typer(produce_app, name="produce")


@produce_app.command("replay")
def produce_replay(
    data: Annotated[str, typer.Option("--data", help="File or synth:NAME[?n=..] to replay")],
    topic: Annotated[str, typer.Option(help="Topic to write to")] = "events",
    bootstrap: Annotated[
        str, typer.Option(help="Kafka brokers, host:port[,host:port]")
    ] = "127.0.0.1:9092",
    rate: Annotated[
        float | None, typer.Option(help="Events per second (default: as fast as possible)")
    ] = None,
    with_labels: Annotated[bool, typer.Option(help="Include the true label in each event")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many events")] = None,
    seed: Annotated[int, typer.Option(help="Seed of synthetic streams")] = 0,
    client: ClientOption = "kafka-python",
) -> None:
    """Replay a CSV/ARFF/TSV file or a synthetic drifting stream into a Kafka topic."""
    from producers.replay import replay

    producer = _producer(client, bootstrap)
    try:
        sent = replay(
            data, producer, topic, rate=rate, include_label=with_labels, limit=limit, seed=seed
        )
    finally:
        producer.close()
    typer.echo(f"sent {sent} events to {topic}")


@produce_app.command("labels")
def produce_labels(
    data: Annotated[
        str, typer.Option("--data", help="The replayed file or synth: stream (ground truth)")
    ],
    source_topic: Annotated[
        str, typer.Option(help="Topic of records with an item id to answer")
    ] = "stream-al.candidates",
    labels_topic: Annotated[str, typer.Option(help="Where labels go")] = "stream-al.labels",
    id_field: Annotated[str, typer.Option(help="Field holding the item id")] = "item_id",
    bootstrap: Annotated[str, typer.Option(help="Kafka brokers")] = "127.0.0.1:9092",
    group: Annotated[str, typer.Option(help="Consumer group")] = "stream-al-oracle",
    idle_timeout: Annotated[float, typer.Option(help="Stop after this many idle seconds")] = 30.0,
    client: ClientOption = "kafka-python",
) -> None:
    """An oracle annotator for tests and benchmarks: answers with the ground-truth label."""
    from producers.labels import answer_labels, ground_truth

    consumer = _consumer(client, [source_topic], group, bootstrap)
    producer = _producer(client, bootstrap)
    try:
        n = answer_labels(
            consumer,
            producer,
            labels_topic,
            ground_truth(data),
            id_field=id_field,
            idle_timeout=idle_timeout,
        )
    finally:
        consumer.close()
        producer.close()
    typer.echo(f"answered {n} labels")


def _producer(client: str, bootstrap: str) -> Producer:
    """A Kafka producer of the `client` library, with its defaults."""
    if client == "confluent":
        from stream_al.transport.confluent import ConfluentRecordProducer

        return ConfluentRecordProducer(bootstrap)
    from stream_al.transport.kafka import KafkaRecordProducer

    return KafkaRecordProducer(bootstrap)


def _consumer(client: str, topics: Sequence[str], group: str, bootstrap: str) -> Consumer:
    """A Kafka group consumer of the `client` library, with its defaults."""
    if client == "confluent":
        from stream_al.transport.confluent import ConfluentRecordConsumer

        return ConfluentRecordConsumer(topics, group, bootstrap)
    from stream_al.transport.kafka import KafkaRecordConsumer

    return KafkaRecordConsumer(topics, group, bootstrap)

"""`ensure_topics` on confluent-kafka's `AdminClient`: create what is missing, leave the rest.

The same contract as the kafka-python `stream_al.transport.kafka.ensure_topics`,
written again on librdkafka's admin client rather than reused, so that the
``[kafka] client_options`` (librdkafka names: TLS checks, timeouts, client id)
apply to it as to the consumers and producers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from stream_al.transport.confluent.events import ClientEvents, build_client
from stream_al.transport.confluent.options import admin_config, probe_options
from stream_al.transport.errors import TopicError
from stream_al.transport.watch import BrokerWatch, wait_for_broker

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["ensure_topics"]

logger = logging.getLogger(__name__)


def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int = 1,
    compacted: Iterable[str] = (),
    client_options: Mapping[str, Any] | None = None,
    replication_factor: int = 1,
    connect_timeout: float | None = 60.0,
    health: Health | None = None,
    stop: threading.Event | None = None,
    request_timeout: float = 30.0,
) -> list[str]:
    """Create the topics of `names` that do not exist; return the names created.

    Parameters
    ----------
    bootstrap
        ``host:port[,host:port...]`` of the brokers.
    names
        Topics that must exist.
    partitions
        Partitions of each created topic (scorers in one group scale up to this).
    compacted
        Topics created with ``cleanup.policy=compact`` (the models topic: only
        the latest record per key matters).
    client_options
        librdkafka settings (TLS, SASL, timeouts...); those an admin client does
        not use are ignored by librdkafka.
    replication_factor
        Copies of each partition (1 for a single broker; 3 in production).
    connect_timeout
        Seconds to wait for an unreachable broker (None: as long as it takes).
    health, stop
        Told while the broker does not answer (``/healthz``); ends the wait when set.
    request_timeout
        Seconds the creation, and the wait for the new topics to show in the
        broker's metadata, may take.

    Raises
    ------
    TopicError
        The broker refused to create a topic (bad name, too many replicas...),
        or did not answer within `request_timeout`.
    """
    compact = set(compacted)
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    config = admin_config(bootstrap, client_options)
    who = f"client=admin bootstrap={bootstrap}"
    events = ClientEvents(who)
    watch = BrokerWatch(who, bootstrap, probe_options(config), health=health, stop=stop)
    watch.check()
    deadline = None if connect_timeout is None else time.monotonic() + connect_timeout
    wait_for_broker(watch, deadline, connect_timeout)
    admin = build_client(AdminClient, config | events.config(), who)
    new = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            config={"cleanup.policy": "compact"} if name in compact else {},
        )
        for name in wanted
    ]
    futures = admin.create_topics(
        new, request_timeout=request_timeout, operation_timeout=request_timeout
    )
    created, existing = [], []
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
            if error is not None and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                existing.append(name)
                continue
            reason = error.str() if error is not None else str(exc)
            raise TopicError(
                f"broker at {bootstrap} refused to create topic {name!r}: {reason}"
            ) from exc
        created.append(name)
    counts = _wait_for_metadata(admin, set(created), time.monotonic() + request_timeout)
    _check_partitions(counts, existing, partitions)
    if created:
        logger.info("topics created (names=%s partitions=%d)", created, partitions)
    return created


def _wait_for_metadata(admin: AdminClient, created: set[str], deadline: float) -> dict[str, int]:
    """Partitions per topic, once every created topic shows in the broker's metadata."""
    while True:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            metadata = admin.list_topics(timeout=min(5.0, remaining))
        except KafkaException as exc:
            raise TopicError(f"cannot read the topics' metadata: {exc}") from exc
        counts = {name: len(topic.partitions) for name, topic in metadata.topics.items()}
        missing = sorted(name for name in created if not counts.get(name))
        if not missing:
            return counts
        if time.monotonic() >= deadline:
            raise TopicError(
                f"topics {missing} were created but do not show in the broker's metadata "
                "yet; start again, or check the broker"
            )
        time.sleep(0.1)


def _check_partitions(counts: Mapping[str, int], names: list[str], wanted: int) -> None:
    """Warn about existing topics with fewer partitions than asked (fewer scorers can share)."""
    for name in names:
        count = counts.get(name, 0)
        if count < wanted:
            logger.warning(
                "topic exists with fewer partitions than configured; at most that many "
                "consumers of one group share it (topic=%s partitions=%d wanted=%d)",
                name,
                count,
                wanted,
            )

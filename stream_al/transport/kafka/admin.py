"""`ensure_topics`: create the topics stream-al needs, leaving existing ones alone."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from stream_al.transport.errors import TopicError
from stream_al.transport.kafka.watch import BrokerWatch, connect

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["ensure_topics"]

logger = logging.getLogger(__name__)

_CREATED, _EXISTS = 0, 36  # Kafka error codes: none, TOPIC_ALREADY_EXISTS


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
        kafka-python settings; the connection ones (TLS, SASL, timeouts) are used.
    replication_factor
        Copies of each partition (1 for a single broker; 3 in production).
    connect_timeout
        Seconds to wait for an unreachable broker (None: as long as it takes).
    health, stop
        Told while the broker does not answer (``/healthz``); ends the wait when set.

    Raises
    ------
    TopicError
        The broker refused to create a topic (bad name, too many replicas...).
    """
    compact = set(compacted)
    spec = {
        name: {
            "num_partitions": partitions,
            "replication_factor": replication_factor,
            "configs": {"cleanup.policy": "compact"} if name in compact else {},
        }
        for name in names
    }
    if not spec:
        return []
    known = set(KafkaAdminClient.DEFAULT_CONFIG)
    options = {k: v for k, v in (client_options or {}).items() if k in known}
    watch = BrokerWatch(
        f"client=admin bootstrap={bootstrap}", bootstrap, options, health=health, stop=stop
    )
    admin = connect(
        lambda: KafkaAdminClient(bootstrap_servers=bootstrap, **options), watch, connect_timeout
    )
    try:
        result = admin.create_topics(spec, raise_errors=False, wait_for_metadata=True)
        created, existing = _outcome(result)
        _check_partitions(admin, existing, partitions)
    except KafkaError as exc:
        raise TopicError(f"cannot create topics {sorted(spec)} at {bootstrap}: {exc}") from exc
    finally:
        admin.close()
    if created:
        logger.info("topics created (names=%s partitions=%d)", created, partitions)
    return created


def _outcome(result: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    created, existing = [], []
    for topic in result["topics"]:
        if topic["error_code"] == _CREATED:
            created.append(topic["name"])
        elif topic["error_code"] == _EXISTS:
            existing.append(topic["name"])
        else:
            raise TopicError(
                f"broker refused to create topic {topic['name']!r}: "
                f"{topic.get('error_message') or 'error code ' + str(topic['error_code'])}"
            )
    return created, existing


def _check_partitions(admin: KafkaAdminClient, names: list[str], wanted: int) -> None:
    """Warn about existing topics with fewer partitions than asked (fewer scorers can share)."""
    if not names:
        return
    try:
        described = admin.describe_topics(names)
    except ValueError as exc:
        # Tansu/Apache-Kafka difference: with kafka-python 3.0.12, describe_* calls can fail
        # with "15 is not a valid ACLOperation" on Tansu. The check is advisory: skip it.
        logger.debug("could not describe topics %s: %r", names, exc)
        return
    for topic in described:
        count = len(topic.get("partitions") or [])
        if count < wanted:
            logger.warning(
                "topic exists with fewer partitions than configured; at most that many "
                "consumers of one group share it (topic=%s partitions=%d wanted=%d)",
                topic["name"],
                count,
                wanted,
            )

"""kafka-python settings: our defaults, what callers may override, what they may not.

>>> options = consumer_options("g1", "127.0.0.1:9092", {"session_timeout_ms": 10000})
>>> options["enable_auto_commit"], options["session_timeout_ms"], options["heartbeat_interval_ms"]
(False, 10000, 1000)
>>> producer_options("127.0.0.1:9092", None)["enable_idempotence"]
False
>>> consumer_options("g1", "b:9092", {"enable_auto_commit": True})
Traceback (most recent call last):
...
stream_al.exceptions.ConfigError: client option enable_auto_commit is managed by stream-al ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stream_al.exceptions import ConfigError

__all__ = ["consumer_options", "producer_options", "redacted"]

CONSUMER_DEFAULTS: dict[str, Any] = {
    # Short sessions: a dead member's partitions move within seconds. Tansu also holds a
    # group join for half the session timeout, so Kafka's 45 s default stalls a first poll
    # ~22 s there. 6 s is Apache Kafka's group.min.session.timeout.ms, so it is accepted.
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
    "auto_offset_reset": "earliest",
    "client_id": "stream-al",
}
#: Never taken from the caller: offsets are committed by stream-al, explicitly.
CONSUMER_FIXED: dict[str, Any] = {"enable_auto_commit": False}

PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "linger_ms": 5,
    "batch_size": 262_144,
    # Not idempotent by default: on the Tansu test broker an idempotent producer stays
    # broken (UnknownError on InitProducerId) after a broker restart until it is recreated,
    # while a plain one recovers. Without idempotence a retried batch may be written twice
    # (at-least-once), which consumers absorb by deduplicating on the item id; one request
    # in flight per connection keeps retries from reordering records.
    "enable_idempotence": False,
    "max_in_flight_requests_per_connection": 1,
    # Records wait in the producer and are retried (in order) through an outage of up to a
    # day, instead of failing after kafka-python's default 2 minutes and being lost.
    "delivery_timeout_ms": 86_400_000,
    "max_block_ms": 10_000,
    "client_id": "stream-al",
}

_SECRET_WORDS = ("password", "secret", "token", "sasl_oauth")


def consumer_options(
    group_id: str, bootstrap: str, client_options: Mapping[str, Any] | None
) -> dict[str, Any]:
    """kafka-python consumer settings: our defaults, then the caller's, then the fixed ones."""
    return _merge(CONSUMER_DEFAULTS, client_options, CONSUMER_FIXED) | {
        "group_id": group_id,
        "bootstrap_servers": bootstrap,
    }


def producer_options(bootstrap: str, client_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """kafka-python producer settings: our defaults, then the caller's."""
    return _merge(PRODUCER_DEFAULTS, client_options, {}) | {"bootstrap_servers": bootstrap}


def redacted(options: Mapping[str, Any]) -> dict[str, Any]:
    """`options` with secret values masked, safe to log.

    >>> redacted({"sasl_plain_password": "hunter2", "acks": "all"})
    {'sasl_plain_password': '***', 'acks': 'all'}
    """
    return {
        key: "***" if any(word in key for word in _SECRET_WORDS) else value
        for key, value in options.items()
    }


def _merge(
    defaults: Mapping[str, Any], given: Mapping[str, Any] | None, fixed: Mapping[str, Any]
) -> dict[str, Any]:
    given = dict(given or {})
    for key in ("bootstrap_servers", "group_id", *fixed):
        if key in given and given[key] != fixed.get(key, object()):
            raise ConfigError(
                f"client option {key} is managed by stream-al and cannot be set in "
                "client_options; remove it (bootstrap and group have their own settings)"
            )
    return {**defaults, **given, **fixed}

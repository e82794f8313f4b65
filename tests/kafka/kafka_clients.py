"""The two Kafka client libraries of the transport, as the Kafka tests build them.

Every test of this folder runs once per library (the ``clients`` fixture in
conftest.py): ``kafka-python`` (`stream_al.transport.kafka`) and ``confluent``
(`stream_al.transport.confluent`, skipped when confluent-kafka is not installed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The values of ``[kafka] client``.
CLIENTS = ("kafka-python", "confluent")


@dataclass(frozen=True)
class Clients:
    """One library's consumer and producer classes and its `ensure_topics`."""

    name: str
    consumer: Callable[..., Any]
    producer: Callable[..., Any]
    ensure_topics: Callable[..., list[str]]


def clients_of(name: str) -> Clients:
    """The transport classes of library `name` (one of `CLIENTS`)."""
    if name == "confluent":
        module = importlib.import_module("stream_al.transport.confluent")
        return Clients(
            name,
            module.ConfluentRecordConsumer,
            module.ConfluentRecordProducer,
            module.ensure_topics,
        )
    module = importlib.import_module("stream_al.transport.kafka")
    return Clients(
        name, module.KafkaRecordConsumer, module.KafkaRecordProducer, module.ensure_topics
    )


def importable(name: str) -> bool:
    """Whether module `name` imports (an optional extra is installed)."""
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def settle(consumer: Any, timeout: float = 10.0) -> dict[Any, int]:
    """Poll until the broker has answered `consumer`'s commits; return what is still pending.

    The kafka-python consumer commits before returning; the confluent one sends
    commits without waiting and reads the answers in the next polls. Records
    polled meanwhile are dropped: call this when none are expected.
    """
    import time

    deadline = time.monotonic() + timeout
    while consumer.pending_offsets and time.monotonic() < deadline:
        consumer.poll(max_records=1, timeout_ms=100)
    pending: dict[Any, int] = consumer.pending_offsets
    return pending

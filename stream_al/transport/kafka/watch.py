"""kafka-python's side of `stream_al.transport.watch`: which errors pass, and `connect`.

`BrokerWatch` itself is shared by both Kafka backends and lives in
`stream_al.transport.watch`; it is re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from kafka.errors import KafkaError

from stream_al.transport.errors import TransportError
from stream_al.transport.watch import BrokerWatch, wait_for_broker

__all__ = ["BrokerWatch", "connect", "is_retriable"]

T = TypeVar("T")


def is_retriable(exc: BaseException) -> bool:
    """Whether a kafka-python error may go away by itself (outage, leader move...)."""
    return bool(getattr(exc, "retriable", False))


def connect(factory: Callable[[], T], watch: BrokerWatch, timeout: float | None) -> T:
    """Build a kafka-python client, waiting out an unreachable broker (forever if no `timeout`).

    The broker is probed before each try: a kafka-python 3.0.12 constructor that
    cannot bootstrap leaks its I/O thread, so trying blindly in a loop would leak
    one thread per retry.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    watch.check()
    while True:
        wait_for_broker(watch, deadline, timeout)
        try:
            return factory()
        except KafkaError as exc:
            if not is_retriable(exc):
                raise TransportError(f"cannot connect to {watch.bootstrap}: {exc}") from exc
            watch.failed(str(exc))

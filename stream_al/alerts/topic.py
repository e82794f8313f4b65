"""`TopicSink`: alerts as JSON records of the alerts topic, keyed by kind."""

from __future__ import annotations

import json

from stream_al.drift.alerts import DriftAlert
from stream_al.transport.base import Producer

__all__ = ["TopicSink", "encode_alert"]


def encode_alert(alert: DriftAlert) -> tuple[bytes, bytes]:
    """The record of `alert` on the alerts topic: ``(key, value)`` = kind, JSON of `to_dict`."""
    value = json.dumps(alert.to_dict(), allow_nan=False, separators=(",", ":"))
    return alert.kind.encode(), value.encode()


class TopicSink:
    """Send each alert to the alerts topic; the service flushes the producer.

    Parameters
    ----------
    producer
        The producer to send with (shared: `close` leaves it open).
    topic
        The alerts topic, e.g. ``stream-al.alerts``.

    Examples
    --------
    >>> from stream_al.transport.memory import MemoryBroker
    >>> broker = MemoryBroker()
    >>> sink = TopicSink(broker.producer(), "stream-al.alerts")
    >>> sink.send(DriftAlert(kind="drift", severity="warning", detector="adwin",
    ...     source="labelled", statistic=0.3, position=7, time=1.0, message="error rate rose"))
    >>> [(r.key, DriftAlert.from_dict(json.loads(r.value)).position)
    ...  for r in broker.read("stream-al.alerts")]
    [(b'drift', 7)]
    """

    name = "topic"

    def __init__(self, producer: Producer, topic: str) -> None:
        self._producer = producer
        self.topic = topic

    def send(self, alert: DriftAlert) -> None:
        """Send `alert` (asynchronously; durable after the producer's next flush)."""
        key, value = encode_alert(alert)
        self._producer.send(self.topic, value, key=key)

    def close(self, timeout: float | None = None) -> None:
        """Nothing to release: the producer belongs to the service."""

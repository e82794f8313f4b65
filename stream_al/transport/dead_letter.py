"""The dead-letter topic: records that could not be handled, kept with the reason.

A dead letter is produced with the original key, and a JSON value (DESIGN:
original bytes, error, source topic/partition/offset)::

    {"error": "malformed event: missing id field 'id'",
     "kind": "id",
     "source": {"topic": "events", "partition": 0, "offset": 41, "timestamp_ms": 1700000000000},
     "original_b64": "eyJ0aW1lIjogM30=",
     "original_text": "{\\"time\\": 3}",
     "failed_at": 1700000000.5}

``kind`` is the class of the reason (`stream_al.transport.errors.REASON_KINDS`);
``original_b64`` is the exact original value (authoritative, any bytes);
``original_text`` is the same value decoded as UTF-8 for people reading the
topic, and null when the value is not valid UTF-8.

>>> from stream_al.transport.memory import MemoryBroker
>>> broker = MemoryBroker()
>>> bad = Record("events", 0, 41, b"k1", b'{"time": 3}', 1_700_000_000_000)
>>> dead_letter(broker.producer(), "stream-al.dlq", bad, "missing id field 'id'")
>>> [letter] = broker.read("stream-al.dlq")
>>> letter.key
b'k1'
>>> parsed = read_dead_letter(letter.value)
>>> parsed.original == bad.value, parsed.source.where, parsed.error
(True, 'events[0]@41', "missing id field 'id'")
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass

from stream_al.transport.base import Producer, Record
from stream_al.transport.errors import MalformedEventError

__all__ = ["DeadLetter", "dead_letter", "read_dead_letter"]


@dataclass(frozen=True)
class DeadLetter:
    """A dead letter read back: the reason, where the record was, and its original bytes."""

    error: str
    source: Record
    original: bytes
    failed_at: float


def dead_letter(
    producer: Producer,
    dlq_topic: str,
    record: Record,
    error: str,
    now: float | None = None,
    kind: str = "shape",
) -> None:
    """Send `record` to `dlq_topic` with the `error` that stopped it (see the module docstring).

    Parameters
    ----------
    producer
        Where to send it; flush it before committing the record's offset.
    dlq_topic
        The dead-letter topic (``stream-al.dlq`` by default in the configuration).
    record
        The record that failed, as it was read.
    error
        What was wrong with it and, ideally, what to do.
    now
        Failure time in epoch seconds (default: now).
    kind
        The class of the reason (`stream_al.transport.errors.REASON_KINDS`).
    """
    try:
        text: str | None = record.value.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    envelope = {
        "error": error,
        "kind": kind,
        "source": {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "timestamp_ms": record.timestamp_ms,
        },
        "original_b64": base64.b64encode(record.value).decode("ascii"),
        "original_text": text,
        "failed_at": time.time() if now is None else now,
    }
    value = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    producer.send(dlq_topic, value, key=record.key)


def read_dead_letter(value: bytes, key: bytes | None = None) -> DeadLetter:
    """Parse a dead-letter value; `key` (the dead letter's key) is the original key."""
    try:
        envelope = json.loads(value)
        source = envelope["source"]
        original = base64.b64decode(envelope["original_b64"], validate=True)
        record = Record(
            str(source["topic"]),
            int(source["partition"]),
            int(source["offset"]),
            key,
            original,
            int(source["timestamp_ms"]),
        )
        return DeadLetter(str(envelope["error"]), record, original, float(envelope["failed_at"]))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise MalformedEventError(f"not a stream-al dead letter ({exc!r})") from exc

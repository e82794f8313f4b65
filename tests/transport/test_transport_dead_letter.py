"""The dead-letter envelope: original bytes and key, the error, and where the record was."""

from __future__ import annotations

import json

import pytest

from stream_al.transport import (
    MalformedEventError,
    MemoryBroker,
    Record,
    dead_letter,
    read_dead_letter,
)


@pytest.mark.parametrize("value", [b'{"time": 3}', b"\x00\xff binary", b""])
def test_envelope_round_trip(value: bytes) -> None:
    broker = MemoryBroker()
    record = Record("events", 4, 99, b"key-1", value, 1_234)
    dead_letter(broker.producer(), "dlq", record, "missing id field 'id'", now=10.0)
    [letter] = broker.read("dlq")
    parsed = read_dead_letter(letter.value, letter.key)
    assert letter.key == b"key-1"
    assert parsed.source == record
    assert parsed.original == value
    assert (parsed.error, parsed.failed_at) == ("missing id field 'id'", 10.0)


def test_envelope_is_readable_json() -> None:
    broker = MemoryBroker()
    dead_letter(broker.producer(), "dlq", Record("e", 0, 1, None, b"caf\xc3\xa9", 0), "bad")
    envelope = json.loads(broker.read("dlq")[0].value)
    assert envelope["original_text"] == "café"
    assert envelope["source"] == {"topic": "e", "partition": 0, "offset": 1, "timestamp_ms": 0}
    dead_letter(broker.producer(), "dlq", Record("e", 0, 2, None, b"\xff", 0), "bad")
    assert json.loads(broker.read("dlq")[1].value)["original_text"] is None


def test_reading_something_else_is_a_clear_error() -> None:
    with pytest.raises(MalformedEventError, match="not a stream-al dead letter"):
        read_dead_letter(b'{"error": "x"}')

"""The contract between stream-al and a log of records: `Record`, `Consumer`, `Producer`.

A log is a set of topics, each split into partitions of records numbered by
offset. Consumers in one group share the partitions of their topics and commit,
per partition, the offset of the *next* record to read, only after the effects of
the records before it are durable (DESIGN: "offsets are committed manually").
Three backends implement it: `stream_al.transport.memory` (one process, tests
and the embedded mode), `stream_al.transport.kafka` (kafka-python) and
`stream_al.transport.confluent` (confluent-kafka).

>>> records = [Record("events", 0, 7, None, b"{}", 0), Record("events", 0, 8, None, b"{}", 0),
...            Record("events", 1, 3, b"k", b"{}", 0)]
>>> next_offsets(records)
{TopicPartition(topic='events', partition=0): 9, TopicPartition(topic='events', partition=1): 4}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = [
    "Consumer",
    "Offsets",
    "Producer",
    "Record",
    "RevokeCallback",
    "TopicPartition",
    "next_offsets",
]


class TopicPartition(NamedTuple):
    """One partition of one topic; equal to the plain tuple ``(topic, partition)``."""

    topic: str
    partition: int


#: Offsets to commit: the next offset to read, per partition.
Offsets = Mapping[TopicPartition, int]

#: Called with the partitions about to be taken away (a rebalance, or `close`).
#: Flush what was done with their records and return the offsets now safe to
#: commit; the consumer commits them before the partitions move (None: nothing).
RevokeCallback = Callable[[list[TopicPartition]], Offsets | None]


@dataclass(frozen=True, slots=True)
class Record:
    """One record read from the log.

    Parameters
    ----------
    topic, partition, offset
        Where it is: its offset is its position in the partition.
    key
        The record key (None when produced without one).
    value
        The record bytes, undecoded.
    timestamp_ms
        When it was produced, in epoch milliseconds.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int

    @property
    def where(self) -> str:
        """``topic[partition]@offset``, for messages and logs."""
        return f"{self.topic}[{self.partition}]@{self.offset}"


def next_offsets(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """The offsets to commit once `records` are done: last offset + 1 per partition."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


class Consumer(Protocol):
    """Reads records of some topics as one member of a consumer group."""

    def poll(self, max_records: int = 500, timeout_ms: int = 1000) -> list[Record]:
        """Up to `max_records` records, waiting at most about `timeout_ms` for the first."""
        ...

    def commit(self, offsets: Offsets) -> None:
        """Commit, per partition, the next offset to read (last done + 1)."""
        ...

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now."""
        ...

    def close(self) -> None:
        """Leave the group (revoking partitions first) and release resources."""
        ...


class Producer(Protocol):
    """Appends records to topics."""

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Append one record (asynchronously: `flush` waits for it)."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record sent so far is stored (`timeout` in seconds)."""
        ...

    def close(self, timeout: float | None = None) -> None:
        """Flush, then release resources."""
        ...

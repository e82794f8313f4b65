"""The embedded transport: topics, partitions and consumer groups inside one process.

`MemoryBroker` keeps each partition as a list of records (bounded by
`retention`, oldest dropped first, like Kafka's retention; unbounded by default),
places keyed records by a hash of the key and unkeyed ones round-robin, and keeps
the committed offsets of each consumer group. Its consumers and producers
implement `stream_al.transport.base`, so `stream-al run` without a broker and the
unit tests use exactly the code paths that Kafka deployments use.

Groups rebalance eagerly, as Kafka's classic protocol does: when a member joins
or leaves, every member gives up its partitions at its next `poll` (calling its
`on_revoke` callback and committing what it returns) before the new owners
start reading them from the committed offsets.

>>> broker = MemoryBroker(partitions=2)
>>> producer = broker.producer()
>>> for i in range(4):
...     producer.send("events", f"event {i}".encode(), key=str(i).encode())
>>> consumer = broker.consumer(["events"], group_id="scorers")
>>> records = consumer.poll(max_records=10, timeout_ms=0)
>>> sorted(r.value for r in records)
[b'event 0', b'event 1', b'event 2', b'event 3']
>>> consumer.commit(next_offsets(records))
>>> consumer.close()
>>> sum(broker.committed("scorers").values())
4
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Literal

from stream_al.clock import Clock, SystemClock
from stream_al.transport.base import Offsets, Record, RevokeCallback, TopicPartition, next_offsets
from stream_al.transport.errors import TopicError, TransportError

__all__ = ["MemoryBroker", "MemoryConsumer", "MemoryProducer", "next_offsets"]

logger = logging.getLogger(__name__)

OffsetReset = Literal["earliest", "latest"]


class _Partition:
    """One partition: records from offset `start` on; None marks a compacted-away record."""

    def __init__(self, retention: int | None) -> None:
        self.records: deque[Record | None] = deque()
        self.start = 0
        self.retention = retention

    @property
    def end(self) -> int:
        return self.start + len(self.records)

    def append(self, record: Record) -> None:
        self.records.append(record)
        if self.retention is not None and len(self.records) > self.retention:
            self.records.popleft()
            self.start += 1

    def read(self, position: int, limit: int) -> tuple[list[Record], int]:
        """Up to `limit` records from `position` on, and the position after the last slot read."""
        records: list[Record] = []
        for record in itertools.islice(self.records, position - self.start, None):
            position += 1
            if record is not None:
                records.append(record)
                if len(records) >= limit:
                    break
        return records, position


class _Topic:
    def __init__(self, partitions: int, compacted: bool, retention: int | None) -> None:
        self.partitions = [_Partition(retention) for _ in range(partitions)]
        self.compacted = compacted
        self._latest: dict[bytes, int] = {}  # key -> offset, compacted topics only
        self._next = 0  # round-robin cursor for unkeyed records

    def place(self, key: bytes | None) -> int:
        if key is None:
            self._next = (self._next + 1) % len(self.partitions)
            return self._next
        return zlib.crc32(key) % len(self.partitions)

    def compact(self, partition: _Partition, key: bytes | None, offset: int) -> None:
        """Forget the earlier record with the same key (Kafka keeps only the latest per key)."""
        if not self.compacted or key is None:
            return
        previous = self._latest.get(key)
        self._latest[key] = offset
        if previous is not None and previous >= partition.start:
            partition.records[previous - partition.start] = None


class _Group:
    def __init__(self) -> None:
        self.members: list[MemoryConsumer] = []
        self.generation = 0
        self.target: dict[int, set[TopicPartition]] = {}
        self.owner: dict[TopicPartition, int] = {}
        self.committed: dict[TopicPartition, int] = {}


class MemoryBroker:
    """Topics, partitions and consumer groups in memory; thread-safe.

    Parameters
    ----------
    partitions
        Partitions of a topic created without saying (by a send or a subscription).
    retention
        Records kept per partition (None: all); older ones are dropped, and a
        consumer that had not read them yet is moved past them with a warning.
    clock
        Source of record timestamps.
    """

    def __init__(
        self, partitions: int = 1, retention: int | None = None, clock: Clock | None = None
    ) -> None:
        if partitions < 1:
            raise TopicError(f"a topic needs at least one partition, got {partitions}")
        if retention is not None and retention < 1:
            raise TopicError(f"retention must keep at least one record, got {retention}")
        self.default_partitions = partitions
        self.retention = retention
        self.clock: Clock = clock or SystemClock()
        self.lock = threading.Condition(threading.RLock())
        self._topics: dict[str, _Topic] = {}
        self._groups: dict[str, _Group] = {}
        self._member_ids = itertools.count()

    def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        compacted: bool = False,
        retention: int | None = None,
    ) -> None:
        """Create `name` unless it exists with the same number of partitions."""
        count = partitions or self.default_partitions
        with self.lock:
            existing = self._topics.get(name)
            if existing is None:
                keep = retention if retention is not None else self.retention
                self._topics[name] = _Topic(count, compacted, keep)
                self._rebalance_all()
            elif len(existing.partitions) != count:
                raise TopicError(
                    f"topic {name!r} exists with {len(existing.partitions)} partitions, "
                    f"not {count}; use another topic name"
                )

    def ensure_topics(
        self, names: Iterable[str], partitions: int = 1, compacted: Iterable[str] = ()
    ) -> None:
        """Create the topics that do not exist yet; existing ones are left as they are (the
        same call as the Kafka backend's: a user's topic keeps its partitions)."""
        compact = set(compacted)
        with self.lock:
            existing = set(self._topics)
        for name in names:
            if name not in existing:
                self.create_topic(name, partitions, compacted=name in compact)

    def topics(self) -> dict[str, int]:
        """Topic names and their partition counts."""
        with self.lock:
            return {name: len(topic.partitions) for name, topic in self._topics.items()}

    def producer(self) -> MemoryProducer:
        """A producer appending to this broker."""
        return MemoryProducer(self)

    def consumer(
        self,
        topics: Sequence[str],
        group_id: str,
        on_revoke: RevokeCallback | None = None,
        auto_offset_reset: OffsetReset = "earliest",
    ) -> MemoryConsumer:
        """A new member of `group_id` reading `topics`."""
        return MemoryConsumer(self, topics, group_id, on_revoke, auto_offset_reset)

    def read(self, topic: str) -> list[Record]:
        """Every record still kept in `topic`, partition by partition (for tests and tools)."""
        with self.lock:
            parts = self._topic(topic).partitions
            return [r for p in parts for r in p.read(p.start, len(p.records))[0]]

    def end_offsets(self, topic: str) -> dict[TopicPartition, int]:
        """The offset the next record of each partition will get."""
        with self.lock:
            parts = self._topic(topic).partitions
            return {TopicPartition(topic, i): p.end for i, p in enumerate(parts)}

    def committed(self, group_id: str) -> dict[TopicPartition, int]:
        """The offsets `group_id` committed, per partition."""
        with self.lock:
            return dict(self._group(group_id).committed)

    # -- used by producers and consumers, under the lock ------------------------------------

    def _topic(self, name: str) -> _Topic:
        if name not in self._topics:
            self.create_topic(name)
        return self._topics[name]

    def _group(self, group_id: str) -> _Group:
        return self._groups.setdefault(group_id, _Group())

    def _append(self, topic: str, value: bytes, key: bytes | None) -> Record:
        with self.lock:
            t = self._topic(topic)
            index = t.place(key)
            part = t.partitions[index]
            stamp = int(self.clock.now() * 1000)
            record = Record(topic, index, part.end, key, value, stamp)
            t.compact(part, key, record.offset)
            part.append(record)
            self.lock.notify_all()
            return record

    def _join(self, member: MemoryConsumer) -> None:
        group = self._group(member.group_id)
        group.members.append(member)
        for topic in member.topics:
            self._topic(topic)
        self._rebalance(group)

    def _leave(self, member: MemoryConsumer) -> None:
        group = self._group(member.group_id)
        group.members.remove(member)
        self._rebalance(group)

    def _rebalance_all(self) -> None:
        for group in self._groups.values():
            if group.members:
                self._rebalance(group)

    def _rebalance(self, group: _Group) -> None:
        """New targets: each topic's partitions dealt round-robin over its subscribers."""
        group.generation += 1
        group.target = {m.member_id: set() for m in group.members}
        topics = sorted({t for m in group.members for t in m.topics if t in self._topics})
        for topic in topics:
            subscribers = [m for m in group.members if topic in m.topics]
            for index in range(len(self._topics[topic].partitions)):
                member = subscribers[index % len(subscribers)]
                group.target[member.member_id].add(TopicPartition(topic, index))
        self.lock.notify_all()


class MemoryProducer:
    """Appends records to a `MemoryBroker` at once; `flush` has nothing to wait for."""

    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker
        self._closed = False

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Append one record to `topic` (created with the broker's defaults if new)."""
        if self._closed:
            raise TransportError(f"send to {topic!r} after the producer was closed")
        self._broker._append(topic, bytes(value), key)

    def flush(self, timeout: float | None = None) -> None:
        """Nothing to wait for: `send` stores records immediately."""

    def close(self, timeout: float | None = None) -> None:
        """Refuse further sends."""
        self._closed = True


class MemoryConsumer:
    """One member of a consumer group of a `MemoryBroker`.

    Parameters
    ----------
    broker
        The broker to read from.
    topics
        Topics to read (created with the broker's defaults if new).
    group_id
        The group; its members share the partitions and its committed offsets.
    on_revoke
        Called with the partitions this member is about to give up; returns the
        offsets to commit before they move (see `RevokeCallback`).
    auto_offset_reset
        Where to start on a partition the group never committed.
    """

    def __init__(
        self,
        broker: MemoryBroker,
        topics: Sequence[str],
        group_id: str,
        on_revoke: RevokeCallback | None = None,
        auto_offset_reset: OffsetReset = "earliest",
    ) -> None:
        self.topics = frozenset(topics)
        self.group_id = group_id
        self._broker = broker
        self._on_revoke = on_revoke
        self._reset = auto_offset_reset
        self._positions: dict[TopicPartition, int] = {}
        self._generation = -1
        self._cursor = 0
        self._closed = False
        with broker.lock:
            self.member_id = next(broker._member_ids)
            broker._join(self)

    def poll(self, max_records: int = 500, timeout_ms: int = 1000) -> list[Record]:
        """Up to `max_records` records from the assigned partitions, waiting up to `timeout_ms`."""
        if self._closed:
            raise TransportError(f"poll after the consumer of group {self.group_id!r} was closed")
        deadline = time.monotonic() + timeout_ms / 1000
        with self._broker.lock:
            while True:
                self._sync()
                records = self._fetch(max_records)
                remaining = deadline - time.monotonic()
                if records or remaining <= 0:
                    return records
                self._broker.lock.wait(remaining)

    def commit(self, offsets: Offsets) -> None:
        """Commit the next offset to read of partitions this member holds."""
        with self._broker.lock:
            group = self._broker._group(self.group_id)
            for tp, offset in offsets.items():
                tp = TopicPartition(*tp)
                if tp not in self._positions:
                    logger.warning(
                        "offset not committed: partition no longer held "
                        "(group=%s topic=%s partition=%d offset=%d)",
                        self.group_id,
                        tp.topic,
                        tp.partition,
                        offset,
                    )
                    continue
                group.committed[tp] = offset

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now."""
        with self._broker.lock:
            return set(self._positions)

    def close(self) -> None:
        """Give up the partitions (calling `on_revoke`) and leave the group."""
        if self._closed:
            return
        with self._broker.lock:
            self._revoke()
            self._broker._leave(self)
            self._closed = True

    # -- under the broker lock ---------------------------------------------------------------

    def _sync(self) -> None:
        """Catch up with the group: give everything up after a rebalance, claim free targets."""
        group = self._broker._group(self.group_id)
        if self._generation != group.generation:
            self._revoke()
            self._generation = group.generation
        for tp in sorted(group.target.get(self.member_id, set()) - self._positions.keys()):
            if group.owner.get(tp) is None:
                group.owner[tp] = self.member_id
                self._positions[tp] = self._start(tp, group.committed.get(tp))

    def _start(self, tp: TopicPartition, committed: int | None) -> int:
        if committed is not None:
            return committed
        partition = self._broker._topics[tp.topic].partitions[tp.partition]
        return partition.start if self._reset == "earliest" else partition.end

    def _revoke(self) -> None:
        held = sorted(self._positions)
        if not held:
            return
        if self._on_revoke is not None:
            offsets = self._on_revoke(held)
            if offsets:
                self.commit(offsets)
        group = self._broker._group(self.group_id)
        for tp in held:
            group.owner.pop(tp, None)
        self._positions.clear()
        self._broker.lock.notify_all()

    def _fetch(self, max_records: int) -> list[Record]:
        """Read partitions in turn, starting one further each call so none starves."""
        held = sorted(self._positions)
        records: list[Record] = []
        for step in range(len(held)):
            if len(records) >= max_records:
                break
            tp = held[(self._cursor + step) % len(held)]
            partition = self._broker._topics[tp.topic].partitions[tp.partition]
            position = self._positions[tp]
            if position < partition.start:
                logger.warning(
                    "records dropped by retention before they were read "
                    "(group=%s topic=%s partition=%d lost=%d)",
                    self.group_id,
                    tp.topic,
                    tp.partition,
                    partition.start - position,
                )
                position = partition.start
            batch, self._positions[tp] = partition.read(position, max_records - len(records))
            records.extend(batch)
        self._cursor += 1
        return records

"""The in-memory broker: partitioning, groups, commits, rebalances, retention, compaction."""

from __future__ import annotations

import logging
import threading

import pytest

from stream_al.clock import FakeClock
from stream_al.transport import (
    MemoryBroker,
    Record,
    TopicError,
    TopicPartition,
    TransportError,
    next_offsets,
)


def fill(broker: MemoryBroker, topic: str, n: int, keyed: bool = True) -> None:
    producer = broker.producer()
    for i in range(n):
        producer.send(topic, f"v{i}".encode(), key=f"k{i}".encode() if keyed else None)


def drain(consumer: object, limit: int = 10_000) -> list[Record]:
    records: list[Record] = []
    while batch := consumer.poll(max_records=100, timeout_ms=0):  # type: ignore[attr-defined]
        records.extend(batch)
        assert len(records) <= limit
    return records


def test_same_key_same_partition_and_unkeyed_round_robin() -> None:
    broker = MemoryBroker(partitions=3)
    producer = broker.producer()
    for _ in range(5):
        producer.send("t", b"x", key=b"user-1")
    for _ in range(6):
        producer.send("t", b"y")
    records = broker.read("t")
    assert len({r.partition for r in records if r.key == b"user-1"}) == 1
    unkeyed = [r.partition for r in records if r.key is None]
    assert sorted(unkeyed) == [0, 0, 1, 1, 2, 2]


def test_offsets_are_positions_and_timestamps_come_from_the_clock() -> None:
    clock = FakeClock(50.0)
    broker = MemoryBroker(clock=clock)
    producer = broker.producer()
    producer.send("t", b"a")
    clock.advance(1.5)
    producer.send("t", b"b")
    records = broker.read("t")
    assert [(r.offset, r.timestamp_ms) for r in records] == [(0, 50_000), (1, 51_500)]
    assert broker.end_offsets("t") == {TopicPartition("t", 0): 2}


def test_new_member_resumes_from_committed_offsets() -> None:
    broker = MemoryBroker(partitions=2)
    fill(broker, "t", 20)
    first = broker.consumer(["t"], "g")
    records = drain(first)
    done = [r for r in records if r.offset < 3]  # the first 3 of each partition
    first.commit(next_offsets(done))
    first.close()
    second = broker.consumer(["t"], "g")
    rest = drain(second)
    assert sorted(r.value for r in rest) == sorted(r.value for r in records if r.offset >= 3)


def test_groups_are_independent_and_latest_skips_the_past() -> None:
    broker = MemoryBroker()
    fill(broker, "t", 5)
    assert len(drain(broker.consumer(["t"], "g1"))) == 5
    assert len(drain(broker.consumer(["t"], "g2"))) == 5
    late = broker.consumer(["t"], "g3", auto_offset_reset="latest")
    assert drain(late) == []
    fill(broker, "t", 2)
    assert [r.offset for r in drain(late)] == [5, 6]


def test_two_members_split_partitions_and_revoke_before_moving() -> None:
    broker = MemoryBroker(partitions=4)
    fill(broker, "t", 40)
    done: list[Record] = []
    revoked: list[list[TopicPartition]] = []

    def on_revoke(partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        revoked.append(partitions)
        return next_offsets(r for r in done if (r.topic, r.partition) in partitions)

    a = broker.consumer(["t"], "g", on_revoke=on_revoke)
    done.extend(a.poll(max_records=8, timeout_ms=0))
    b = broker.consumer(["t"], "g")
    assert b.poll(timeout_ms=0) == []  # a still holds everything until it polls
    done.extend(a.poll(max_records=100, timeout_ms=0))  # a revokes, commits, takes its share
    assert revoked == [[TopicPartition("t", p) for p in range(4)]]
    done.extend(drain(a))
    b_records = drain(b)
    assert a.assignment().isdisjoint(b.assignment())
    assert len(a.assignment() | b.assignment()) == 4
    values = [r.value for r in done + b_records]
    assert sorted(values) == sorted(f"v{i}".encode() for i in range(40))


def test_a_member_leaving_hands_its_partitions_over() -> None:
    broker = MemoryBroker(partitions=2)
    a, b = broker.consumer(["t"], "g"), broker.consumer(["t"], "g")
    a.poll(timeout_ms=0)
    b.poll(timeout_ms=0)
    assert len(a.assignment()) == len(b.assignment()) == 1
    b.close()
    a.poll(timeout_ms=0)
    assert a.assignment() == {TopicPartition("t", 0), TopicPartition("t", 1)}
    with pytest.raises(TransportError, match="closed"):
        b.poll()


def test_commit_of_a_partition_not_held_is_refused_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = MemoryBroker()
    consumer = broker.consumer(["t"], "g")
    consumer.commit({TopicPartition("other", 0): 5})
    assert broker.committed("g") == {}
    assert "no longer held" in caplog.text


def test_poll_waits_for_a_record_from_another_thread() -> None:
    broker = MemoryBroker()
    consumer = broker.consumer(["t"], "g")
    timer = threading.Timer(0.05, lambda: broker.producer().send("t", b"late"))
    timer.start()
    records = consumer.poll(timeout_ms=5000)
    timer.join()
    assert [r.value for r in records] == [b"late"]


def test_retention_drops_oldest_and_warns_the_late_reader(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    broker = MemoryBroker(retention=5)
    consumer = broker.consumer(["t"], "g")
    assert consumer.poll(timeout_ms=0) == []  # joined: its position is offset 0
    fill(broker, "t", 12)
    records = drain(consumer)
    assert [r.offset for r in records] == [7, 8, 9, 10, 11]
    assert "lost=7" in caplog.text


def test_compacted_topic_keeps_the_latest_record_per_key() -> None:
    broker = MemoryBroker()
    broker.create_topic("models", compacted=True)
    producer = broker.producer()
    for version in range(3):
        producer.send("models", f"m1 v{version}".encode(), key=b"m1")
    producer.send("models", b"m2 v0", key=b"m2")
    assert [r.value for r in broker.read("models")] == [b"m1 v2", b"m2 v0"]
    assert [r.value for r in drain(broker.consumer(["models"], "g"))] == [b"m1 v2", b"m2 v0"]


def test_topic_partition_counts_are_checked() -> None:
    broker = MemoryBroker()
    broker.ensure_topics(["a", "b"], partitions=3, compacted=["b"])
    broker.ensure_topics(["a"], partitions=3)  # same shape: fine
    assert broker.topics() == {"a": 3, "b": 3}
    with pytest.raises(TopicError, match="exists with 3 partitions"):
        broker.create_topic("a", partitions=2)


def test_closed_producer_refuses_sends() -> None:
    producer = MemoryBroker().producer()
    producer.close()
    with pytest.raises(TransportError, match="closed"):
        producer.send("t", b"x")

"""The Kafka backends against a real broker: commits, groups, outages, dead letters, topics.

Every test but the probe's runs once per client library (the ``clients`` fixture).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTopicPartition
from kafka_clients import Clients, importable, settle
from tansu_broker import TansuBroker, unique

from stream_al.transport import (
    Consumer,
    DeliveryError,
    Record,
    TopicPartition,
    dead_letter,
    next_offsets,
    read_dead_letter,
)
from stream_al.transport.probe import probe

TopicFactory = Callable[..., str]


def produce(clients: Clients, bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = clients.producer(bootstrap)
    for value in values:
        producer.send(topic, value, key=value)
    producer.close(timeout=30)


def consume(consumer: Consumer, count: int, timeout: float = 30.0) -> list[Record]:
    """Poll until `count` records arrived (or fail after `timeout` seconds).

    Tansu/Apache-Kafka difference: Tansu holds every group join for half the session
    timeout (3 s with our 6 s default), so a new member's first records take ~3 s;
    tests poll against a deadline instead of expecting records on the first poll.
    """
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < count:
        assert time.monotonic() < deadline, f"only {len(records)} of {count} records arrived"
        records.extend(consumer.poll(max_records=count - len(records), timeout_ms=500))
    return records


def test_round_trip_and_resume_from_committed_offset(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory, group_id: str
) -> None:
    name = topic(partitions=2)
    values = [f"event-{i}".encode() for i in range(40)]
    produce(clients, kafka_bootstrap, name, values)

    first = clients.consumer([name], group_id, kafka_bootstrap)
    read = consume(first, 40)
    done_offsets: dict[TopicPartition, int] = {}
    for partition in (0, 1):  # "process" the first half of each partition
        in_order = sorted((r for r in read if r.partition == partition), key=lambda r: r.offset)
        done_offsets.update(next_offsets(in_order[: len(in_order) // 2]))
    first.commit(done_offsets)
    assert settle(first) == {}  # the broker accepted the commit
    first.close()

    second = clients.consumer([name], group_id, kafka_bootstrap)
    rest = consume(second, 40 - sum(done_offsets.values()))
    assert not second.poll(timeout_ms=1000)  # nothing beyond the rest
    second.close()

    start = {tp.partition: offset for tp, offset in done_offsets.items()}
    expected = {r.value for r in read if r.offset >= start[r.partition]}
    assert sorted(r.value for r in rest) == sorted(expected)
    assert {r.key for r in read} == set(values)  # keys round-trip
    assert len(done_offsets) == 2  # both partitions had records


def test_two_consumers_share_partitions_and_commit_on_revoke(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory, group_id: str
) -> None:
    name = topic(partitions=4)
    total = 600
    values = [f"v{i}".encode() for i in range(total)]
    produce(clients, kafka_bootstrap, name, values)
    seen: dict[str, list[Record]] = {"a": [], "b": []}
    assignments: dict[str, set[TopicPartition]] = {}
    revoked: dict[str, list[list[TopicPartition]]] = {"a": [], "b": []}
    a_started, stop = threading.Event(), threading.Event()

    def member(label: str) -> None:
        done: list[Record] = []

        def on_revoke(partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
            revoked[label].append(partitions)
            return next_offsets(
                r for r in done if TopicPartition(r.topic, r.partition) in partitions
            )

        consumer = clients.consumer([name], group_id, kafka_bootstrap, on_revoke=on_revoke)
        while not stop.is_set():
            # Slow readers (~100 records/s) so that b joins while a is mid-stream. Offsets
            # are committed only on revoke: the hook alone must prevent duplicates.
            batch = consumer.poll(max_records=10, timeout_ms=200)
            done.extend(batch)
            seen[label].extend(batch)
            if len(seen["a"]) >= 50:
                a_started.set()
            if batch:
                time.sleep(0.1)
            assignments[label] = consumer.assignment()
        consumer.close()

    first = threading.Thread(target=member, args=("a",))
    second = threading.Thread(target=member, args=("b",))
    first.start()
    assert a_started.wait(30), "the first member read nothing"
    revokes_before_b = len(revoked["a"])
    second.start()
    deadline = time.monotonic() + 40
    while len(seen["a"]) + len(seen["b"]) < total and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for thread in (first, second):
        thread.join(timeout=20)

    counts = Counter(r.value for r in seen["a"] + seen["b"])
    assert set(counts) == set(values)
    assert max(counts.values()) == 1, "a record was read twice"
    assert seen["b"], "the second member never read anything"
    assert len(revoked["a"]) > revokes_before_b, "a's on_revoke was not called on the rebalance"
    assert assignments["a"].isdisjoint(assignments["b"])
    assert len(assignments["a"] | assignments["b"]) == 4


def test_broker_pause_loses_and_duplicates_nothing(
    clients: Clients,
    kafka_bootstrap: str,
    topic: TopicFactory,
    group_id: str,
    broker_control: TansuBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="stream_al.transport")
    name = topic(partitions=2)
    total = 1500
    received: list[Record] = []
    produced_all = threading.Event()

    def run_producer() -> None:
        producer = clients.producer(kafka_bootstrap, stall_after=1.0, probe_timeout=1.0)
        for i in range(total):
            producer.send(name, f"e{i}".encode(), key=str(i).encode())
            time.sleep(0.008)  # ~125/s: the pause falls in the middle of the stream
        producer.flush()
        producer.close()
        produced_all.set()

    def run_consumer() -> None:
        consumer = clients.consumer(
            [name], group_id, kafka_bootstrap, idle_probe_after=1.0, probe_timeout=1.0
        )
        deadline = time.monotonic() + 60
        while len(received) < total and time.monotonic() < deadline:
            batch = consumer.poll(max_records=100, timeout_ms=300)
            received.extend(batch)
            if batch:
                consumer.commit(next_offsets(batch))
        consumer.close()

    threads = [threading.Thread(target=run_producer), threading.Thread(target=run_consumer)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    with broker_control.paused():
        time.sleep(7)
    for thread in threads:
        thread.join(timeout=70)

    assert produced_all.is_set()
    counts = Counter(r.value for r in received)
    assert len(counts) == total, f"{total - len(counts)} records lost"
    assert max(counts.values()) == 1, "records duplicated"
    lines = [r.getMessage() for r in caplog.records]
    for client in ("client=producer", "client=consumer"):
        down = [line for line in lines if "unreachable" in line and client in line]
        up = [line for line in lines if "reachable again" in line and client in line]
        assert len(down) == 1, down
        assert len(up) == 1, up


def test_a_commit_made_during_an_outage_is_committed_once_the_broker_is_back(
    clients: Clients,
    kafka_bootstrap: str,
    topic: TopicFactory,
    group_id: str,
    broker_control: TansuBroker,
) -> None:
    name = topic()
    produce(clients, kafka_bootstrap, name, [f"r{i}".encode() for i in range(10)])
    consumer = clients.consumer([name], group_id, kafka_bootstrap, probe_timeout=0.5)
    records = consume(consumer, 10)
    with broker_control.paused():
        consumer.commit(next_offsets(records[:6]))
        assert consumer.pending_offsets == {TopicPartition(name, 0): 6}  # not confirmed
    assert settle(consumer, timeout=30) == {}  # kept, then confirmed once the broker answers
    consumer.close()
    reader = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group_id)  # independent
    try:
        committed = reader.committed(KafkaTopicPartition(name, 0))
    finally:
        reader.close()
    assert committed == 6


def test_a_record_too_large_is_refused_with_a_delivery_error(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory
) -> None:
    name = topic()
    producer = clients.producer(kafka_bootstrap)
    with pytest.raises(DeliveryError, match=r"was refused: .*(too large|larger than)"):
        producer.send(name, b"x" * 2_000_000)  # over both clients' 1 MB request limit
    producer.send(name, b"fits")  # the producer goes on
    producer.close(timeout=30)


def test_dead_letter_round_trip(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory, group_id: str
) -> None:
    source, dlq = topic(), topic()
    produce(clients, kafka_bootstrap, source, [b"\xff not json"])
    consumer = clients.consumer([source], group_id, kafka_bootstrap)
    [bad] = consume(consumer, 1)
    producer = clients.producer(kafka_bootstrap)
    dead_letter(producer, dlq, bad, "not valid UTF-8 JSON")
    producer.flush(timeout=30)
    consumer.commit(next_offsets([bad]))
    consumer.close()
    producer.close()

    reader = clients.consumer([dlq], unique("dlq-reader"), kafka_bootstrap)
    [letter] = consume(reader, 1)
    reader.close()
    parsed = read_dead_letter(letter.value, letter.key)
    assert letter.key == bad.key
    assert parsed.original == bad.value
    assert parsed.error == "not valid UTF-8 JSON"
    assert (parsed.source.topic, parsed.source.partition, parsed.source.offset) == (
        bad.topic,
        bad.partition,
        bad.offset,
    )


def test_ensure_topics_creates_once(clients: Clients, kafka_bootstrap: str) -> None:
    events, models = unique("events"), unique("models")
    created = clients.ensure_topics(
        kafka_bootstrap, [events, models], partitions=3, compacted={models}
    )
    assert sorted(created) == sorted([events, models])
    assert clients.ensure_topics(kafka_bootstrap, [events, models], partitions=3) == []
    reader = KafkaConsumer(bootstrap_servers=kafka_bootstrap)  # kafka-python, reading metadata
    try:
        partitions = {
            name: len(reader.partitions_for_topic(name) or ()) for name in (events, models)
        }
    finally:
        reader.close()
    assert partitions == {events: 3, models: 3}
    if importable("confluent_kafka"):  # kafka-python cannot describe topics on Tansu
        policies = cleanup_policies(kafka_bootstrap, [events, models])
        assert policies[models] == "compact"
        assert policies.get(events, "delete") == "delete"  # Tansu lists only what was set


def cleanup_policies(bootstrap: str, names: list[str]) -> dict[str, str]:
    """The topics' ``cleanup.policy`` where set, read with confluent-kafka's admin client.

    kafka-python 3.0.12 cannot describe on Tansu (TEST_BROKER.md: ACLOperation 15).
    """
    from confluent_kafka.admin import AdminClient, ConfigResource

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.describe_configs([ConfigResource("topic", name) for name in names])
    policies = {}
    for resource, future in futures.items():
        entry = future.result(timeout=10).get("cleanup.policy")
        if entry is not None and entry.value is not None:
            policies[resource.name] = entry.value
    return policies


def test_probe_tells_a_live_broker_from_a_paused_one(
    kafka_bootstrap: str, broker_control: TansuBroker
) -> None:
    assert probe(kafka_bootstrap) is None
    with broker_control.paused():
        assert probe(kafka_bootstrap, timeout=0.5) is not None
    assert probe(kafka_bootstrap) is None

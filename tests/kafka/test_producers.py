"""The producers against a real broker: paced and unpaced replay, the oracle label producer,
and ``stream-al produce``; each once per client library (the ``clients`` fixture)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

from kafka_clients import Clients
from tansu_broker import unique

from producers.labels import answer_labels, ground_truth
from producers.replay import replay
from stream_al.transport import Record, decode_event, decode_label, next_offsets

TopicFactory = Callable[..., str]


def read_all(
    clients: Clients, bootstrap: str, topic: str, count: int, timeout: float = 30.0
) -> list[Record]:
    consumer = clients.consumer([topic], unique("reader"), bootstrap)
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        records.extend(consumer.poll(max_records=1000, timeout_ms=500))
    extra = consumer.poll(timeout_ms=500)
    consumer.close()
    return records + extra


def test_replay_at_a_fixed_rate_takes_about_the_expected_time(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory
) -> None:
    name = topic(partitions=2)
    producer = clients.producer(kafka_bootstrap)
    started = time.monotonic()
    sent = replay("synth:sea?n=150", producer, name, rate=100.0)
    elapsed = time.monotonic() - started
    producer.close()
    assert sent == 150
    assert 1.2 <= elapsed <= 6.0  # 149 intervals of 10 ms; loose: shared CI machines
    records = read_all(clients, kafka_bootstrap, name, 150)
    assert sorted(int(decode_event(r.value).id) for r in records) == list(range(150))


def test_replay_as_fast_as_possible_sends_everything(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory
) -> None:
    name = topic(partitions=3)
    producer = clients.producer(kafka_bootstrap)
    sent = replay("synth:agrawal?n=5000", producer, name, include_label=True, id_prefix="run1-")
    producer.close()
    records = read_all(clients, kafka_bootstrap, name, 5000)
    ids = [json.loads(r.value)["id"] for r in records]
    assert sent == 5000
    assert sorted(ids) == sorted(f"run1-{i}" for i in range(5000))
    assert all(r.key == json.loads(r.value)["id"].encode() for r in records[:100])


def test_label_producer_answers_from_the_ground_truth(
    clients: Clients, kafka_bootstrap: str, topic: TopicFactory, group_id: str
) -> None:
    predictions, labels = topic(partitions=2), topic()
    source = "synth:stagger?n=200"
    truth = ground_truth(source, seed=5)
    producer = clients.producer(kafka_bootstrap)
    asked = [str(i) for i in range(0, 200, 4)]
    for item_id in asked:
        producer.send(predictions, json.dumps({"id": item_id, "class": "0"}).encode())
    producer.flush()

    consumer = clients.consumer([predictions], group_id, kafka_bootstrap)
    answered = answer_labels(consumer, producer, labels, truth, annotator="oracle", max_labels=50)
    consumer.close()
    producer.close()

    records = read_all(clients, kafka_bootstrap, labels, 50)
    got = {decode_label(r.value).id: decode_label(r.value).label for r in records}
    assert answered == 50
    assert got == {item_id: truth[item_id] for item_id in asked}
    assert next_offsets(records)  # labels are keyed records in the labels topic


def test_the_produce_command_takes_the_client(
    client: str, clients: Clients, kafka_bootstrap: str, topic: TopicFactory
) -> None:
    name = topic(partitions=2)
    command = [sys.executable, "-m", "stream_al", "produce", "replay", "--data", "synth:sea?n=300"]
    command += ["--topic", name, "--bootstrap", kafka_bootstrap, "--client", client]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sent 300 events" in done.stdout
    records = read_all(clients, kafka_bootstrap, name, 300)
    assert sorted(int(decode_event(r.value).id) for r in records) == list(range(300))

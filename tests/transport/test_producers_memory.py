"""The producers against the in-memory broker: pacing, event shape, drift logs, the oracle."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from producers.labels import answer_labels, ground_truth
from producers.replay import replay
from producers.synthetic import drift_positions, replay_synthetic
from stream_al.clock import FakeClock
from stream_al.transport import FieldMap, MemoryBroker, decode_event, decode_label


def test_paced_replay_sleeps_its_way_to_the_rate() -> None:
    clock = FakeClock(0.0)
    broker = MemoryBroker()
    sent = replay(
        "synth:sea?n=101",
        broker.producer(),
        "events",
        rate=20.0,
        clock=clock.now,
        sleep=clock.advance,
    )
    assert sent == 101
    assert clock.now() == pytest.approx(5.0)  # 100 intervals of 50 ms


def test_unpaced_replay_never_sleeps() -> None:
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds}s")

    assert replay("synth:sea?n=300", MemoryBroker().producer(), "events", sleep=no_sleep) == 300


def test_events_follow_the_field_map_and_carry_the_label_when_asked() -> None:
    broker = MemoryBroker()
    fields = FieldMap(id="event_id", time="ts", label="truth")
    replay(
        "synth:stagger?n=5", broker.producer(), "e", field_map=fields, include_label=True, seed=2
    )
    events = [json.loads(r.value) for r in broker.read("e")]
    truth = ground_truth("synth:stagger?n=5", seed=2)
    assert [e["event_id"] for e in events] == ["0", "1", "2", "3", "4"]
    assert [e["ts"] for e in events] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert {e["event_id"]: e["truth"] for e in events} == truth
    assert decode_event(broker.read("e")[0].value, fields).features.keys() == {
        "size",
        "color",
        "shape",
    }


def test_wall_clock_time_prefix_and_limit() -> None:
    broker = MemoryBroker()
    sent = replay(
        "synth:sea?n=50", broker.producer(), "e", with_event_time=False, id_prefix="r2-", limit=7
    )
    events = [json.loads(r.value) for r in broker.read("e")]
    assert sent == 7
    assert [e["id"] for e in events] == [f"r2-{i}" for i in range(7)]
    assert all(e["time"] > 1_600_000_000 for e in events)
    assert [r.key for r in broker.read("e")][:2] == [b"r2-0", b"r2-1"]


def test_replay_of_a_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "toy.csv"  # type: ignore[operator]
    path.write_text("x,colour,class\n0.5,red,yes\n1.5,blue,no\n")
    broker = MemoryBroker()
    assert replay(path, broker.producer(), "e", include_label=True) == 2
    assert json.loads(broker.read("e")[1].value) == {
        "id": "1",
        "time": 1.0,
        "x": 1.5,
        "colour": "blue",
        "label": "no",
    }


def test_synthetic_replay_logs_its_drift_points(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="producers")
    broker = MemoryBroker()
    sent = replay_synthetic("sea", broker.producer(), "e", n=300, params={"position": "100,200"})
    assert sent == 300
    assert drift_positions("synth:sea?n=300&position=100,200") == [100, 200]
    reached = [r.getMessage() for r in caplog.records if "drift point reached" in r.getMessage()]
    assert [m.split("position=")[1].split()[0] for m in reached] == ["100", "200"]


def test_oracle_answers_known_ids_and_skips_the_rest_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = MemoryBroker(partitions=2)
    producer = broker.producer()
    for value in (b'{"id": "3"}', b"not json", b'{"id": "nope"}', b'{"no_id": 1}', b'{"id": 4}'):
        producer.send("candidates", value)
    truth = ground_truth("synth:sea?n=10", seed=1)
    consumer = broker.consumer(["candidates"], "oracle")
    answered = answer_labels(
        consumer, producer, "labels", truth, annotator="bot", idle_timeout=0.0, now=lambda: 9.0
    )
    labels = sorted((decode_label(r.value) for r in broker.read("labels")), key=lambda x: x.id)
    assert answered == 2
    assert [(x.id, x.label, x.annotator, x.time) for x in labels] == [
        ("3", truth["3"], "bot", 9.0),
        ("4", truth["4"], "bot", 9.0),
    ]
    assert caplog.text.count("record skipped") == 3
    assert sum(broker.committed("oracle").values()) == 5  # everything read is committed


def test_oracle_stops_on_request() -> None:
    broker = MemoryBroker()
    stop = threading.Event()
    stop.set()
    consumer = broker.consumer(["candidates"], "oracle")
    assert answer_labels(consumer, broker.producer(), "labels", {}, stop=stop) == 0

"""LogSink levels and fields; TopicSink records read back by a consumer of the memory broker."""

from __future__ import annotations

import json
import logging

import pytest
from alert_support import make_alert

from stream_al.alerts import AlertRouter, LogSink, TopicSink
from stream_al.clock import FakeClock
from stream_al.drift.alerts import DriftAlert
from stream_al.transport.memory import MemoryBroker

TOPIC = "stream-al.alerts"


@pytest.mark.parametrize(
    ("severity", "level"), [("warning", logging.WARNING), ("critical", logging.CRITICAL)]
)
def test_log_sink_logs_at_the_level_of_the_severity(
    severity: str, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="stream_al.alerts.log"):
        LogSink().send(make_alert(position=12, severity=severity))  # type: ignore[arg-type]
    (record,) = caplog.records
    assert record.levelno == level
    message = record.getMessage()
    for field in (f"severity={severity}", "detector=adwin", "source=labelled", "position=12"):
        assert field in message


def test_topic_sink_sends_the_alert_json_keyed_by_kind() -> None:
    broker = MemoryBroker()
    consumer = broker.consumer([TOPIC], group_id="alert-readers")
    sink = TopicSink(broker.producer(), TOPIC)
    drift, lag = make_alert(position=5), make_alert(position=9, kind="label_lag")
    sink.send(drift)
    sink.send(lag)
    records = consumer.poll(max_records=10, timeout_ms=0)
    consumer.close()
    assert sorted(record.key or b"" for record in records) == [b"drift", b"label_lag"]
    read = {DriftAlert.from_dict(json.loads(record.value)) for record in records}
    assert read == {drift, lag}


def test_a_closed_producer_fails_the_topic_sink_but_not_the_router() -> None:
    broker = MemoryBroker()
    producer = broker.producer()
    producer.close()
    log = LogSink()
    router = AlertRouter([TopicSink(producer, TOPIC), log], cooldown_s=0.0, clock=FakeClock())
    assert router.emit(make_alert()) is True  # the log sink took it
    assert router.stats()["sink_errors"] == {"topic": 1, "log": 0}

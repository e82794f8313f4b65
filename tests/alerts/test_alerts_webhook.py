"""WebhookSink against a real HTTP receiver on 127.0.0.1: body, retries, outages, never blocking."""

from __future__ import annotations

import logging
import time
from collections import deque

import pytest
from alert_support import Receiver, free_port, make_alert, wait_until

from stream_al.alerts import WebhookSink
from stream_al.drift.alerts import DriftAlert
from stream_al.exceptions import AlertError


def sink_for(url: str, **options: float) -> WebhookSink:
    settings: dict[str, float] = {"timeout_s": 2.0, "retries": 3, "backoff_s": 0.01}
    settings.update(options)
    return WebhookSink(
        url,
        timeout_s=settings["timeout_s"],
        retries=int(settings["retries"]),
        backoff_s=settings["backoff_s"],
        max_pending=int(settings.get("max_pending", 100)),
        max_backoff_s=settings.get("max_backoff_s", 0.2),
    )


def test_body_is_slack_compatible_json_with_the_alert(receiver: Receiver) -> None:
    sink = sink_for(receiver.url)
    alert = make_alert(position=1040, severity="critical")
    sink.send(alert)
    assert wait_until(lambda: sink.sent == 1)
    sink.close(timeout=2.0)
    assert receiver.content_types == ["application/json"]
    (body,) = receiver.bodies
    assert isinstance(body["text"], str)
    assert "CRITICAL" in body["text"]
    assert alert.message in body["text"]
    assert DriftAlert.from_dict(body["alert"]) == alert


def test_two_server_errors_then_ok_is_delivered_once_after_two_retries(
    receiver: Receiver,
) -> None:
    receiver.statuses = deque([500, 500])
    sink = sink_for(receiver.url)
    sink.send(make_alert())
    assert wait_until(lambda: sink.sent == 1)
    sink.close(timeout=2.0)
    assert (sink.retried, sink.failed, receiver.requests) == (2, 0, 3)
    assert receiver.bodies[0] == receiver.bodies[2]


def test_receiver_down_then_started_gets_the_alert_after_recovery() -> None:
    down = Receiver(port=free_port())  # nothing listens there yet
    sink = sink_for(down.url, retries=30, backoff_s=0.02, max_backoff_s=0.1)
    try:
        sink.send(make_alert(position=7))
        assert wait_until(lambda: sink.retried >= 2), "connection refused should be retried"
        assert sink.sent == 0
        down.start()
        assert wait_until(lambda: sink.sent == 1)
        assert sink.failed == 0
        assert [body["alert"]["position"] for body in down.bodies] == [7]
    finally:
        sink.close(timeout=1.0)
        down.stop()


def test_send_never_waits_for_a_slow_receiver(receiver: Receiver) -> None:
    receiver.hold, receiver.hold_s = True, 1.0  # each request sleeps 1 s
    sink = sink_for(receiver.url, timeout_s=0.2, retries=0)
    sink.send(make_alert(position=1))
    assert wait_until(lambda: receiver.requests == 1)
    started = time.perf_counter()
    sink.send(make_alert(position=2))  # while the receiver sleeps on the first one
    assert time.perf_counter() - started < 0.05
    assert wait_until(lambda: sink.failed == 2, timeout=3.0)
    assert sink.sent == 0
    sink.close(timeout=1.0)


def test_a_full_queue_drops_the_oldest_alerts(receiver: Receiver) -> None:
    receiver.hold = True
    sink = sink_for(receiver.url, max_pending=2)
    sink.send(make_alert(position=1))
    assert wait_until(lambda: receiver.requests == 1)  # 1 is in flight, not queued
    for position in (2, 3, 4, 5):
        sink.send(make_alert(position=position))
    assert (sink.dropped, sink.stats()["pending"]) == (2, 2)
    receiver.release.set()
    assert wait_until(lambda: sink.sent == 3)
    sink.close(timeout=2.0)
    assert [body["alert"]["position"] for body in receiver.bodies] == [1, 4, 5]


def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.statuses = deque([400])
    sink = sink_for(receiver.url, retries=5)
    sink.send(make_alert())
    assert wait_until(lambda: sink.failed == 1)
    sink.close(timeout=2.0)
    assert (sink.sent, sink.retried, receiver.requests) == (0, 0, 1)


def test_retries_end_after_the_limit(receiver: Receiver) -> None:
    receiver.statuses = deque([503] * 10)
    sink = sink_for(receiver.url, retries=2)
    sink.send(make_alert())
    assert wait_until(lambda: sink.failed == 1)
    sink.close(timeout=2.0)
    assert (sink.sent, sink.retried, receiver.requests) == (0, 2, 3)


def test_too_many_requests_waits_what_retry_after_asks(receiver: Receiver) -> None:
    receiver.statuses, receiver.headers = deque([429]), {"Retry-After": "0"}
    # a 5 s backoff would outlast the wait below: the 0 s of Retry-After must win
    sink = sink_for(receiver.url, backoff_s=5.0, max_backoff_s=10.0)
    sink.send(make_alert())
    assert wait_until(lambda: sink.sent == 1, timeout=2.0)
    sink.close(timeout=1.0)
    assert (sink.retried, receiver.requests) == (1, 2)


def test_close_delivers_what_is_queued_then_refuses_sends(receiver: Receiver) -> None:
    sink = sink_for(receiver.url)
    for position in (1, 2, 3):
        sink.send(make_alert(position=position))
    sink.close(timeout=5.0)
    assert sink.sent == 3
    with pytest.raises(AlertError, match="closed"):
        sink.send(make_alert())


def test_close_is_bounded_when_the_receiver_hangs(receiver: Receiver) -> None:
    receiver.hold = True
    sink = sink_for(receiver.url, timeout_s=5.0)
    for position in (1, 2, 3):
        sink.send(make_alert(position=position))
    assert wait_until(lambda: receiver.requests == 1)
    started = time.perf_counter()
    sink.close(timeout=0.1)
    assert time.perf_counter() - started < 1.0
    assert sink.dropped == 2  # the two never tried; the one in flight ends on its own


def test_logs_name_the_host_but_never_the_url_token(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses = deque([403])
    sink = sink_for(receiver.url)
    with caplog.at_level(logging.DEBUG, logger="stream_al.alerts"):
        sink.send(make_alert())
        assert wait_until(lambda: sink.failed == 1)
        sink.close(timeout=2.0)
    assert "webhook gave up host=127.0.0.1" in caplog.text
    assert "status=403" in caplog.text
    assert "secret-token" not in caplog.text


@pytest.mark.parametrize(
    ("url", "options", "problem"),
    [
        ("ftp://hooks.example.com/x", {}, "http:// or https://"),
        ("not a url", {}, "http:// or https://"),
        ("https://hooks.example.com/x", {"timeout_s": 0.0}, "timeout_s"),
        ("https://hooks.example.com/x", {"retries": -1}, "retries"),
        ("https://hooks.example.com/x", {"max_pending": 0}, "max_pending"),
    ],
)
def test_bad_arguments_are_refused_by_name(
    url: str, options: dict[str, float], problem: str
) -> None:
    with pytest.raises(AlertError, match=problem) as info:
        sink_for(url, **options)
    assert url not in str(info.value)

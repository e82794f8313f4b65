"""AlertRouter on a fake clock: repeats held back per kind, failing sinks isolated."""

from __future__ import annotations

import logging

import pytest
from alert_support import make_alert

from stream_al.alerts import DEFAULT_COOLDOWN_S, AlertRouter
from stream_al.clock import FakeClock
from stream_al.drift.alerts import DriftAlert
from stream_al.exceptions import AlertError


class Collect:
    """A sink that keeps what it is sent."""

    def __init__(self, name: str = "collect") -> None:
        self.name = name
        self.alerts: list[DriftAlert] = []
        self.closed = False

    def send(self, alert: DriftAlert) -> None:
        self.alerts.append(alert)

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


class Broken(Collect):
    """A sink whose every call fails."""

    def send(self, alert: DriftAlert) -> None:
        raise ConnectionError("sink is down")

    def close(self, timeout: float | None = None) -> None:
        raise ConnectionError("sink is down")


def test_a_repeat_inside_the_cooldown_is_suppressed_and_counted(clock: FakeClock) -> None:
    sink = Collect()
    router = AlertRouter([sink], cooldown_s=60.0, clock=clock)
    assert router.emit(make_alert(position=1)) is True
    clock.advance(59.0)
    assert router.emit(make_alert(position=2)) is False  # same kind, detector, source
    clock.advance(1.0)
    assert router.emit(make_alert(position=3)) is True  # the window is over
    assert [alert.position for alert in sink.alerts] == [1, 3]
    stats = router.stats()
    assert stats["sent"] == {"drift": 2, "label_lag": 0, "stream_failure": 0}
    assert stats["suppressed"] == {"drift": 1, "label_lag": 0, "stream_failure": 0}


def test_a_suppressed_repeat_does_not_extend_the_window(clock: FakeClock) -> None:
    router = AlertRouter([Collect()], cooldown_s=10.0, clock=clock)
    router.emit(make_alert())
    for _ in range(3):
        clock.advance(4.0)
        router.emit(make_alert())
    assert router.stats()["sent"]["drift"] == 2  # t=0 and t=12, not held back forever


def test_different_detectors_and_kinds_are_not_repeats(clock: FakeClock) -> None:
    sink = Collect()
    router = AlertRouter([sink], cooldown_s=300.0, clock=clock)
    assert router.emit(make_alert(detector="adwin"))
    assert router.emit(make_alert(detector="page_hinkley"))
    assert router.emit(make_alert(kind="label_lag", detector="lag_watch"))
    assert len(sink.alerts) == 3


def test_each_kind_has_its_own_cooldown(clock: FakeClock) -> None:
    router = AlertRouter([Collect()], cooldown_s={"drift": 10.0, "label_lag": 100.0}, clock=clock)
    lag = make_alert(kind="label_lag", detector="lag_watch")
    router.emit(make_alert())
    router.emit(lag)
    clock.advance(50.0)
    assert router.emit(make_alert()) is True
    assert router.emit(lag) is False
    clock.advance(50.0)
    assert router.emit(lag) is True


def test_a_kind_left_out_of_the_mapping_gets_the_default(clock: FakeClock) -> None:
    router = AlertRouter([Collect()], cooldown_s={"drift": 5.0}, clock=clock)
    assert router.cooldown_s == {
        "drift": 5.0,
        "label_lag": DEFAULT_COOLDOWN_S,
        "stream_failure": DEFAULT_COOLDOWN_S,
    }


def test_a_more_severe_repeat_goes_through(clock: FakeClock) -> None:
    sink = Collect()
    router = AlertRouter([sink], cooldown_s=300.0, clock=clock)
    router.emit(make_alert(severity="warning"))
    assert router.emit(make_alert(severity="critical")) is True
    assert router.emit(make_alert(severity="warning")) is False
    assert router.emit(make_alert(severity="critical")) is False
    assert [alert.severity for alert in sink.alerts] == ["warning", "critical"]


def test_a_failing_sink_does_not_stop_the_others_nor_raise(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = Collect("first"), Collect("second")
    router = AlertRouter([first, Broken("broken"), second], cooldown_s=0.0, clock=clock)
    with caplog.at_level(logging.ERROR, logger="stream_al.alerts.router"):
        assert router.emit(make_alert(position=3)) is True
    assert len(first.alerts) == len(second.alerts) == 1
    assert router.stats()["sink_errors"] == {"first": 0, "broken": 1, "second": 0}
    assert "alert sink failed sink=broken kind=drift" in caplog.text
    assert "ConnectionError: sink is down" in caplog.text


def test_when_no_sink_takes_an_alert_no_window_opens(clock: FakeClock) -> None:
    router = AlertRouter([Broken("broken")], cooldown_s=300.0, clock=clock)
    assert router.emit(make_alert()) is False
    assert router.emit(make_alert()) is False  # tried again, not suppressed
    assert router.stats()["sink_errors"] == {"broken": 2}
    assert router.stats()["suppressed"]["drift"] == 0


def test_close_closes_every_sink_even_after_a_failure(clock: FakeClock) -> None:
    sinks = [Broken("broken"), Collect("after")]
    AlertRouter(sinks, clock=clock).close(timeout=0.1)
    assert sinks[1].closed


@pytest.mark.parametrize(
    "cooldown", [-1.0, float("inf"), {"drift": -5.0}, {"flood": 10.0}], ids=str
)
def test_bad_cooldowns_are_refused(cooldown: float | dict[str, float]) -> None:
    with pytest.raises(AlertError, match="cooldown_s"):
        AlertRouter([], cooldown_s=cooldown)  # type: ignore[arg-type]

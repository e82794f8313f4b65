"""Backoff delays and the outage state machine, on a fake clock."""

from __future__ import annotations

import logging
import random

import pytest

from stream_al.clock import FakeClock
from stream_al.exceptions import ConfigError
from stream_al.transport import Backoff, Outage
from stream_al.transport.pacing import Pacer


def test_backoff_grows_is_bounded_and_jitters_within_its_spread() -> None:
    backoff = Backoff(initial=1.0, maximum=10.0, jitter=0.2, rng=random.Random(4))
    delays = [backoff.next_delay() for _ in range(12)]
    bases = [1, 2, 4, 8] + [10] * 8
    assert all(0.8 * b <= d <= min(10.0, 1.2 * b) for d, b in zip(delays, bases, strict=True))
    assert len(set(delays)) > 6  # jittered, not constant


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ConfigError):
        Backoff(initial=5.0, maximum=1.0)
    with pytest.raises(ConfigError):
        Backoff(jitter=1.0)


def test_outage_logs_once_per_state_change(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock(0.0)
    outage = Outage("client=test", Backoff(initial=1.0, jitter=0.0), clock=clock.now)
    for _ in range(5):
        clock.advance(outage.failed("refused"))
    assert outage.recovered() == pytest.approx(1 + 2 + 4 + 8 + 16)
    outage.recovered()  # already reachable: nothing more to say
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert warnings == [
        "broker unreachable, retrying in 1.0s (client=test reason='refused')",
        "broker reachable again after 31.0s (client=test)",
    ]
    assert outage.outages == 1
    assert outage.failed("again") == 1.0  # a new outage starts from the initial delay


def test_pacer_holds_the_rate_with_few_sleeps() -> None:
    clock = FakeClock(0.0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    pacer = Pacer(rate=10_000.0, clock=clock.now, sleep=sleep)
    for _ in range(20_001):
        pacer.wait()
    assert clock.now() == pytest.approx(2.0, rel=0.01)
    assert len(sleeps) < 500  # a sleep per ~50 sends, not per send
    with pytest.raises(ConfigError):
        Pacer(rate=0)

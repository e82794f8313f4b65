"""LagWatch: a label_lag alert above a limit, critical at twice it, silent otherwise."""

from __future__ import annotations

import pytest

from stream_al.alerts import LagWatch
from stream_al.exceptions import AlertError


@pytest.mark.parametrize(
    ("age_s", "items", "severity"),
    [
        (0.0, 0, None),
        (3600.0, 5000, None),  # at the limits: not above them
        (3601.0, 10, "warning"),
        (10.0, 5001, "warning"),
        (7199.0, 9999, "warning"),
        (7200.0, 10, "critical"),
        (10.0, 10_000, "critical"),
    ],
)
def test_severity_follows_the_worse_of_the_two_limits(
    age_s: float, items: int, severity: str | None
) -> None:
    alert = LagWatch(limit_items=5000, limit_seconds=3600.0).check(age_s, items, 42, now=9.0)
    assert (None if alert is None else alert.severity) == severity


def test_the_alert_says_what_waits_and_the_limits() -> None:
    alert = LagWatch(limit_items=5000, limit_seconds=3600.0).check(
        oldest_waiting_age_s=5400.0, waiting_items=6000, position=123, now=77.0
    )
    assert alert is not None
    assert (alert.kind, alert.source, alert.detector) == ("label_lag", "queue", "lag_watch")
    assert (alert.position, alert.time, alert.statistic) == (123, 77.0, 1.5)
    for words in ("5400 s", "limit 3600 s", "6000 tasks", "limit 5000"):
        assert words in alert.message


def test_a_limit_set_to_none_never_fires() -> None:
    by_age = LagWatch(limit_items=None, limit_seconds=60.0)
    assert by_age.check(30.0, 10**9, 0, now=0.0) is None
    alert = by_age.check(90.0, 1, 0, now=0.0)
    assert alert is not None
    assert "no limit" in alert.message
    assert LagWatch(limit_items=None, limit_seconds=None).check(1e9, 10**9, 0, now=0.0) is None


def test_negative_numbers_and_bad_limits_are_refused() -> None:
    with pytest.raises(AlertError, match="negative"):
        LagWatch().check(-1.0, 0, 0, now=0.0)
    with pytest.raises(AlertError, match="limit_items"):
        LagWatch(limit_items=0)
    with pytest.raises(AlertError, match="limit_seconds"):
        LagWatch(limit_seconds=0.0)

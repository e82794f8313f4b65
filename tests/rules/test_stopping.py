"""Stopping criteria: a label cap and an accuracy plateau pause querying; a drift resumes it."""

from __future__ import annotations

import pytest

from stream_al.drift.alerts import DriftAlert
from stream_al.exceptions import ConfigError
from stream_al.rules.stopping import StoppingCriteria


def _alert(kind: str = "drift", source: str = "labelled") -> DriftAlert:
    return DriftAlert(
        kind=kind,  # type: ignore[arg-type]
        severity="critical",
        detector="adwin",
        source=source,  # type: ignore[arg-type]
        statistic=0.3,
        position=900,
        time=0.0,
        message="error rate rose",
    )


def _feed(criteria: StoppingCriteria, snapshots: list[tuple[int, float]]) -> list[bool]:
    return [criteria.update(spent=n, estimate=(n, a)) for n, a in snapshots]


def test_a_learning_model_keeps_querying() -> None:
    criteria = StoppingCriteria(window=3, min_gain=0.01, min_labels=0)
    paused = _feed(criteria, [(n, 0.6 + n / 1000) for n in range(10, 200, 10)])
    assert not any(paused)
    assert criteria.reason is None


def test_a_plateau_pauses_after_a_full_window() -> None:
    criteria = StoppingCriteria(window=4, min_gain=0.01, min_labels=0)
    flat = [(100, 0.850), (110, 0.853), (120, 0.849), (130, 0.855)]
    assert _feed(criteria, flat) == [False, False, False, True]
    assert criteria.reason == "plateau"


def test_noise_upwards_counts_as_gain() -> None:
    criteria = StoppingCriteria(window=3, min_gain=0.01, min_labels=0)
    assert _feed(criteria, [(1, 0.80), (2, 0.82), (3, 0.80)]) == [False, False, False]


def test_no_plateau_is_judged_before_min_labels() -> None:
    criteria = StoppingCriteria(window=2, min_gain=0.01, min_labels=200)
    assert _feed(criteria, [(100, 0.8), (150, 0.8), (200, 0.8)]) == [False, False, False]
    assert criteria.update(spent=0, estimate=(250, 0.8))


def test_snapshots_without_new_labels_are_skipped() -> None:
    """An idle stream is not a plateau: time alone adds no evidence."""
    criteria = StoppingCriteria(window=2, min_gain=0.01, min_labels=0)
    assert _feed(criteria, [(100, 0.8)] * 10) == [False] * 10
    assert criteria.state()["history"] == [[100, 0.8]]


def test_the_label_cap_pauses_everything_and_a_drift_does_not_lift_it() -> None:
    criteria = StoppingCriteria(max_labels=50, window=None)
    assert not criteria.update(spent=49)
    assert criteria.update(spent=50)
    assert criteria.reason == "label_cap"
    criteria.on_drift(_alert())
    assert criteria.paused
    assert criteria.update(spent=0)  # a budget that forgot its count does not reopen the cap


def test_a_drift_resumes_a_plateau_and_forgets_its_history() -> None:
    criteria = StoppingCriteria(window=2, min_gain=0.01, min_labels=0)
    assert _feed(criteria, [(10, 0.9), (20, 0.9)])[-1]
    criteria.on_drift(_alert(source="label_free"))
    assert not criteria.paused
    assert criteria.state()["history"] == []
    assert not criteria.update(spent=30, estimate=(30, 0.7))  # one snapshot: no window yet


def test_a_label_lag_alert_does_not_resume() -> None:
    criteria = StoppingCriteria(window=2, min_gain=0.01, min_labels=0)
    _feed(criteria, [(10, 0.9), (20, 0.9)])
    criteria.on_drift(_alert(kind="label_lag"))
    assert criteria.reason == "plateau"


def test_a_pause_is_sticky_until_a_drift() -> None:
    criteria = StoppingCriteria(window=2, min_gain=0.01, min_labels=0)
    assert _feed(criteria, [(10, 0.8), (20, 0.8), (30, 0.95)]) == [False, True, True]


def test_state_round_trips_and_the_cap_follows_the_new_setting() -> None:
    criteria = StoppingCriteria(max_labels=100, window=3, min_gain=0.01, min_labels=0)
    _feed(criteria, [(40, 0.7), (120, 0.7), (130, 0.7)])
    assert criteria.reason == "label_cap"
    raised_cap = StoppingCriteria(max_labels=1000, window=3, min_gain=0.01, min_labels=0)
    raised_cap.restore(criteria.state())
    assert raised_cap.reason == "plateau"
    assert raised_cap.state() == criteria.state()
    no_plateau = StoppingCriteria(max_labels=1000, window=None)
    no_plateau.restore(criteria.state())
    assert not no_plateau.paused


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_labels": -1}, "max_labels"),
        ({"window": 1}, "at least 2"),
        ({"min_gain": -0.1}, "min_gain"),
        ({"min_gain": float("nan")}, "min_gain"),
        ({"min_labels": -5}, "min_labels"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StoppingCriteria(**kwargs)  # type: ignore[arg-type]

"""SelfTraining: the four guards (calibrated threshold, class balance, rate, drift pause)."""

from __future__ import annotations

import numpy as np
import pytest

from stream_al.drift.alerts import DriftAlert
from stream_al.exceptions import ConfigError
from stream_al.lag import SelfTraining

CLASSES = ["a", "b"]


def _trained(**kwargs: object) -> SelfTraining:
    """A policy whose human labels show the model right whenever it was at least 0.9 sure."""
    st = SelfTraining(min_lag=100, min_support=20, **kwargs)  # type: ignore[arg-type]
    for k in range(400):
        confident = k % 2 == 0
        st.on_label(0.95 if confident else 0.6, confident or k % 4 == 1, "a" if k % 3 else "b")
    return st


def _sure(n: int, column: int = 0) -> np.ndarray:
    proba = np.full((n, 2), 0.02)
    proba[:, column] = 0.98
    return proba


def test_only_items_above_the_calibrated_threshold_are_pseudo_labelled() -> None:
    st = _trained(max_rate=1.0)
    proba = np.array([[0.97, 0.03], [0.6, 0.4], [0.55, 0.45], [0.04, 0.96]])
    assert st.select(0, lag=500, proba=proba, classes=CLASSES) == [(0, "a"), (3, "b")]
    assert st.count == 2
    assert dict(st.by_class) == {"a": 1, "b": 1}


def test_nothing_while_labels_keep_up_or_before_any_calibration() -> None:
    assert _trained().select(0, lag=50, proba=_sure(10), classes=CLASSES) == []
    fresh = SelfTraining(min_lag=100)
    assert fresh.select(0, lag=10_000, proba=_sure(10), classes=CLASSES) == []


def test_the_rate_cap_bounds_pseudo_labels_per_item() -> None:
    st = _trained(max_rate=0.1, class_slack=10.0)
    chosen = 0
    for start in range(0, 10_000, 100):
        chosen += len(st.select(start, lag=500, proba=_sure(100), classes=CLASSES))
    assert 900 <= chosen <= 1002  # 0.1 per item, plus the few saved up at the start


def test_a_class_cannot_flood_the_pseudo_labels() -> None:
    st = _trained(max_rate=1.0, class_slack=1.5)
    chosen = st.select(0, lag=500, proba=_sure(1000, column=1), classes=CLASSES)
    # human labels are one third "b": "b" may take at most half of the recent pseudo-labels
    assert 0 < len(chosen) < 10
    mixed = np.vstack([_sure(100, 0), _sure(900, 1)])  # the model sees "b" nine times in ten
    more = st.select(1000, lag=500, proba=mixed, classes=CLASSES)
    labels = [label for _, label in more]
    assert labels.count("a") == 100
    assert labels.count("b") <= labels.count("a") + 10  # "b" kept near half of them


def _alert(severity: str, position: int) -> DriftAlert:
    return DriftAlert(
        kind="drift",
        severity=severity,
        detector="adwin",
        source="labelled",
        statistic=0.2,
        position=position,
        time=0.0,
        message="m",
    )


def test_a_drift_alarm_pauses_and_forgets() -> None:
    st = _trained(max_rate=1.0, drift_pause=1000)
    assert st.select(20, lag=500, proba=_sure(4), classes=CLASSES)
    st.on_drift(100, _alert("warning", 100))  # a label-free warning counts by default
    assert st.paused(500)
    assert st.select(500, lag=500, proba=_sure(4), classes=CLASSES) == []
    assert len(st.calibrator) == 0  # the old reliability is gone: labels must rebuild it
    assert st.select(1200, lag=500, proba=_sure(4), classes=CLASSES) == []


def test_only_the_chosen_severities_pause() -> None:
    st = _trained(max_rate=1.0, drift_pause=1000, pause_on=("critical",))
    st.on_drift(10, _alert("warning", 10))
    assert not st.paused(20)
    assert st.select(20, lag=500, proba=_sure(4), classes=CLASSES)
    st.on_drift(100, _alert("critical", 100))
    assert st.paused(500)


@pytest.mark.parametrize(
    "kwargs",
    [{"precision": 0.3}, {"weight": 0.0}, {"max_rate": 2.0}, {"class_slack": 0.5}, {"min_lag": -1}],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        SelfTraining(**kwargs)  # type: ignore[arg-type]

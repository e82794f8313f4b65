"""The drift monitor: alerts, cooldown, dedupe, reactions, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from stream_al.clock import FakeClock
from stream_al.drift import (
    LABEL_FREE_DETECTORS,
    LABELLED_DETECTORS,
    DriftAlert,
    DriftDetector,
    DriftMonitor,
    RiverDetector,
    UncertaintyKS,
    make_detector,
)
from stream_al.exceptions import DriftError


class Scripted(DriftDetector):
    """Fires on every update with a value of at least 1; counts resets."""

    statistic_name = "last value"

    def __init__(self, name: str) -> None:
        self.name = name
        self.last = math.nan
        self.resets = 0

    def update(self, x: float) -> None:
        self.last = x

    @property
    def drift_detected(self) -> bool:
        return self.last >= 1.0

    @property
    def statistic(self) -> float:
        return self.last

    def reset(self) -> None:
        self.resets += 1
        self.last = math.nan


@pytest.fixture
def monitor(clock: FakeClock) -> DriftMonitor:
    return DriftMonitor(
        labelled=Scripted("errors"),
        label_free=Scripted("scores"),
        cooldown_items=100,
        clock=clock,
        history=5,
    )


def test_no_alert_without_drift(monitor: DriftMonitor) -> None:
    assert monitor.update_error(1, error=False) is None
    assert monitor.update_score(1, 0.3) is None
    assert list(monitor.alerts) == []
    assert monitor.last_alert is None


def test_labelled_alert_fields(monitor: DriftMonitor, clock: FakeClock) -> None:
    clock.advance(5.0)
    alert = monitor.update_error(250, error=True)
    assert alert is not None
    assert (alert.kind, alert.severity, alert.source) == ("drift", "critical", "labelled")
    assert (alert.detector, alert.statistic, alert.position) == ("errors", 1.0, 250)
    assert alert.time == 1005.0
    assert "errors" in alert.message
    assert "item 250" in alert.message
    assert "error rate" in alert.message
    assert monitor.last_alert is alert


def test_label_free_alert_is_a_warning(monitor: DriftMonitor) -> None:
    alert = monitor.update_score(7, 1.5)
    assert alert is not None
    assert (alert.severity, alert.source, alert.detector) == ("warning", "label_free", "scores")
    assert "uncertainty distribution" in alert.message


def test_detector_is_reset_after_every_detection(monitor: DriftMonitor) -> None:
    labelled = monitor.labelled
    assert isinstance(labelled, Scripted)
    monitor.update_error(10, error=True)
    monitor.update_error(20, error=True)  # suppressed, still reset
    assert labelled.resets == 2
    assert not labelled.drift_detected


def test_cooldown_dedupes_per_source(monitor: DriftMonitor) -> None:
    assert monitor.update_error(1000, error=True) is not None
    assert monitor.update_error(1050, error=True) is None
    assert monitor.update_error(1099, error=True) is None
    assert monitor.n_suppressed == 2
    # The other source has its own cooldown.
    assert monitor.update_score(1060, 2.0) is not None
    # The cooldown counts from the last alert raised, not the last detection.
    assert monitor.update_error(1100, error=True) is not None
    assert monitor.drift_positions == [1000, 1060, 1100]


def test_zero_cooldown_raises_every_detection(clock: FakeClock) -> None:
    monitor = DriftMonitor(labelled=Scripted("e"), label_free=None, cooldown_items=0, clock=clock)
    for position in (5, 5, 6):
        assert monitor.update_error(position, error=True) is not None
    assert len(monitor.alerts) == 3


def test_reactions_run_in_order_with_the_alert(monitor: DriftMonitor) -> None:
    seen: list[tuple[str, int]] = []
    monitor.on_alert.append(lambda alert: seen.append(("boost", alert.position)))
    monitor.on_alert.append(lambda alert: seen.append(("rescore", alert.position)))
    monitor.update_error(300, error=True)
    monitor.update_error(301, error=True)  # suppressed: no reaction
    assert seen == [("boost", 300), ("rescore", 300)]


def test_failing_reaction_propagates_after_recording(monitor: DriftMonitor) -> None:
    def broken(alert: DriftAlert) -> None:
        raise RuntimeError("webhook down")

    monitor.on_alert.append(broken)
    with pytest.raises(RuntimeError, match="webhook down"):
        monitor.update_error(42, error=True)
    assert monitor.drift_positions == [42]


def test_history_is_bounded(monitor: DriftMonitor) -> None:
    for k in range(8):
        monitor.update_error(1000 * (k + 1), error=True)
    assert len(monitor.alerts) == 5
    assert monitor.drift_positions == [4000, 5000, 6000, 7000, 8000]


def test_alert_round_trips_through_json(monitor: DriftMonitor) -> None:
    alert = monitor.update_error(12, error=True)
    assert alert is not None
    text = json.dumps(alert.to_dict(), allow_nan=False)
    assert DriftAlert.from_dict(json.loads(text)) == alert
    assert set(alert.to_dict()) == {
        "kind",
        "severity",
        "detector",
        "source",
        "statistic",
        "position",
        "time",
        "message",
    }


def test_non_finite_statistic_becomes_null() -> None:
    alert = DriftAlert(
        kind="drift",
        severity="warning",
        detector="x",
        source="label_free",
        statistic=math.nan,
        position=0,
        time=0.0,
        message="m",
    )
    record = alert.to_dict()
    assert record["statistic"] is None
    json.dumps(record, allow_nan=False)
    assert math.isnan(DriftAlert.from_dict(record).statistic)


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "flood"), ("severity", "info"), ("source", "both"), ("position", -1)],
)
def test_alert_validates_its_fields(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "kind": "drift",
        "severity": "critical",
        "detector": "adwin",
        "source": "labelled",
        "statistic": 0.1,
        "position": 3,
        "time": 1.0,
        "message": "m",
        field: value,
    }
    with pytest.raises(DriftError, match=field):
        DriftAlert(**fields)  # type: ignore[arg-type]


def test_from_dict_names_the_missing_fields() -> None:
    with pytest.raises(DriftError, match="lacks severity, detector, source, statistic"):
        DriftAlert.from_dict({"kind": "drift"})


def test_label_lag_kind_is_accepted() -> None:
    alert = DriftAlert(
        kind="label_lag",
        severity="warning",
        detector="lag",
        source="labelled",
        statistic=3600.0,
        position=10,
        time=0.0,
        message="labels are an hour behind",
    )
    assert alert.to_dict()["kind"] == "label_lag"


def test_detectors_by_name_and_by_instance() -> None:
    monitor = DriftMonitor()
    assert isinstance(monitor.labelled, RiverDetector)
    assert monitor.labelled.name == "adwin"
    assert isinstance(monitor.label_free, UncertaintyKS)
    custom = make_detector("page_hinkley", mode="both")  # any detector may watch scores
    monitor = DriftMonitor(labelled="hddm_w", label_free=custom)
    assert monitor.labelled.name == "hddm_w"
    assert monitor.label_free is custom


@pytest.mark.parametrize(
    ("labelled", "label_free", "listed"),
    [
        ("adwn", "uncertainty_ks", LABELLED_DETECTORS),
        ("uncertainty_ks", None, LABELLED_DETECTORS),
        ("adwin", "ddm", LABEL_FREE_DETECTORS),
    ],
)
def test_wrong_names_list_the_valid_ones(
    labelled: str, label_free: str | None, listed: tuple[str, ...]
) -> None:
    with pytest.raises(DriftError) as caught:
        DriftMonitor(labelled=labelled, label_free=label_free)
    for name in listed:
        assert name in str(caught.value)


@pytest.mark.parametrize(("cooldown", "history"), [(-1, 10), (10, 0)])
def test_bad_settings(cooldown: int, history: int) -> None:
    with pytest.raises(DriftError):
        DriftMonitor(cooldown_items=cooldown, history=history)


def test_without_label_free_detector_scores_are_ignored() -> None:
    monitor = DriftMonitor(label_free=None)
    assert monitor.update_score(0, 0.5) is None
    monitor.rebase_label_free()  # nothing to rebase, no error


def test_rebase_starts_a_new_reference() -> None:
    monitor = DriftMonitor(label_free=UncertaintyKS(window=100))
    for position in range(150):
        monitor.update_score(position, 0.2)
    assert isinstance(monitor.label_free, UncertaintyKS)
    assert monitor.label_free.ready
    monitor.rebase_label_free()
    assert not monitor.label_free.ready


def test_end_to_end_with_real_detectors(clock: FakeClock) -> None:
    # Every item scored, one in ten labelled; the concept changes at item 4000.
    rng = np.random.default_rng(11)
    monitor = DriftMonitor(clock=clock)
    for position in range(8000):
        shifted = position >= 4000
        monitor.update_score(position, rng.beta(5, 2) if shifted else rng.beta(2, 5))
        if position % 10 == 0:
            monitor.update_error(position, bool(rng.random() < (0.5 if shifted else 0.1)))
        clock.advance(0.001)
    by_source = {alert.source: alert for alert in monitor.alerts}
    assert len(monitor.alerts) == 2
    assert 4000 <= by_source["label_free"].position < 4300
    assert 4000 <= by_source["labelled"].position < 4000 + 10 * 150
    assert by_source["labelled"].time > by_source["label_free"].time > 1000.0

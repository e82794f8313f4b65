"""The decayed priority and its re-sort-free ordering key."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_al.exceptions import ConfigError
from stream_al.priority import DecayedPriority, decayed_priority

scores = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
times = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
half_lives = st.floats(min_value=0.1, max_value=1e4)


def test_priority_halves_every_half_life() -> None:
    p = DecayedPriority(half_life=30.0)
    assert p.priority(0.8, arrival=10.0, t=10.0) == pytest.approx(0.8)
    assert p.priority(0.8, arrival=10.0, t=40.0) == pytest.approx(0.4)
    assert p.priority(0.8, arrival=10.0, t=70.0) == pytest.approx(0.2)


def test_at_recovers_the_priority_from_the_key() -> None:
    p = DecayedPriority(half_life=30.0, origin=1_700_000_000.0)
    key = p.key(0.8, arrival=1_700_000_010.0)
    assert p.at(key, 1_700_000_070.0) == pytest.approx(0.2, rel=1e-12)


def test_zero_score_has_the_lowest_key_and_zero_priority() -> None:
    p = DecayedPriority(half_life=1.0)
    zero = p.key(0.0, arrival=1e6)
    assert zero == -math.inf
    assert zero < p.key(1e-300, arrival=-1e6)
    assert p.at(zero, 0.0) == 0.0


def test_at_saturates_instead_of_overflowing() -> None:
    p = DecayedPriority(half_life=1.0)
    assert p.at(p.key(1.0, arrival=1e6), 0.0) == math.inf


@pytest.mark.parametrize("half_life", [0.0, -1.0, math.inf, math.nan])
def test_half_life_must_be_positive_and_finite(half_life: float) -> None:
    with pytest.raises(ConfigError, match="half_life"):
        DecayedPriority(half_life)


@pytest.mark.parametrize("score", [-0.1, math.nan, math.inf])
def test_bad_scores_are_refused(score: float) -> None:
    with pytest.raises(ValueError, match="score"):
        DecayedPriority(1.0).key(score, arrival=0.0)


def test_bad_arrival_is_refused() -> None:
    with pytest.raises(ValueError, match="arrival"):
        DecayedPriority(1.0).key(1.0, arrival=math.nan)


@settings(max_examples=300)
@given(half_lives, scores, times, scores, times, times)
def test_key_order_is_current_priority_order_at_any_time(
    half_life: float, s1: float, a1: float, s2: float, a2: float, t: float
) -> None:
    p = DecayedPriority(half_life)
    k1, k2 = p.key(s1, a1), p.key(s2, a2)
    p1, p2 = decayed_priority(s1, a1, t, half_life), decayed_priority(s2, a2, t, half_life)
    if min(p1, p2) == 0.0 or math.isinf(max(p1, p2)):
        return  # underflow or overflow: the key still orders, the float priorities cannot
    if k1 > k2:
        assert p1 >= p2 * (1 - 1e-9)
    elif k2 > k1:
        assert p2 >= p1 * (1 - 1e-9)


@settings(max_examples=200)
@given(half_lives, st.floats(min_value=1e-6, max_value=1e6), times, times)
def test_at_matches_the_formula(half_life: float, score: float, arrival: float, t: float) -> None:
    p = DecayedPriority(half_life, origin=arrival)
    expected = decayed_priority(score, arrival, t, half_life)
    if expected == 0.0 or math.isinf(expected) or expected < 1e-300:
        return
    assert p.at(p.key(score, arrival), t) == pytest.approx(expected, rel=1e-9)

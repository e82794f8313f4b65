"""The budget never overspends over any window, and the threshold holds its rate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_al.budget import Budget, QuantileThreshold
from stream_al.exceptions import ConfigError


@settings(max_examples=60, deadline=None)
@given(
    fraction=st.floats(0.005, 0.5),
    burst=st.floats(1.0, 30.0),
    wants=st.lists(st.booleans(), min_size=50, max_size=1500),
)
def test_no_window_spends_more_than_burst_plus_rate(
    fraction: float, burst: float, wants: list[bool]
) -> None:
    budget = Budget(fraction, burst=burst)
    spent = []
    for want in wants:
        budget.tick()
        ok = want and budget.can_spend()
        if ok:
            budget.spend()
        spent.append(ok)
    cumulative = np.concatenate([[0], np.cumsum(spent)])
    n = len(spent)
    for length in {1, 10, 100, n}:
        if length > n:
            continue
        windows = cumulative[length:] - cumulative[:-length]
        assert windows.max() <= burst + fraction * length + 1e-9
    assert budget.tokens >= 0.0


def test_savings_fund_a_burst() -> None:
    budget = Budget(0.1, burst=5)
    for _ in range(100):
        budget.tick()
    assert budget.savings == pytest.approx(5.0)
    spent = 0
    while budget.can_spend():
        budget.spend()
        spent += 1
    assert spent == 5


def test_paced_rate_rises_when_underspending_and_falls_when_overspending() -> None:
    under = Budget(0.1, window=100)
    over = Budget(0.1, window=100, burst=100, initial=100)
    for i in range(400):
        under.tick()
        over.tick()
        if i % 3 == 0:
            over.spend()
    assert under.paced(0.1) > 0.1
    assert over.paced(0.1) < 0.1


@pytest.mark.parametrize(("fraction", "kwargs"), [(0.0, {}), (1.5, {}), (0.1, {"window": 1})])
def test_bad_budgets_name_the_problem(fraction: float, kwargs: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match="budget"):
        Budget(fraction, **kwargs)


def test_quantile_threshold_admits_its_share_of_a_stationary_stream() -> None:
    rng = np.random.default_rng(0)
    q = QuantileThreshold(rate=0.05, window=500)
    admitted = sum(q.admit(float(s)) for s in rng.random(20_000))
    assert 0.04 * 20_000 < admitted < 0.07 * 20_000


def test_quantile_threshold_follows_a_shifting_distribution() -> None:
    rng = np.random.default_rng(1)
    q = QuantileThreshold(rate=0.1, window=300)
    low = [q.admit(float(s)) for s in rng.random(3000) * 0.2]
    high = [q.admit(float(s)) for s in 0.8 + rng.random(3000) * 0.2]
    assert 0.07 < np.mean(low[300:]) < 0.14
    assert 0.07 < np.mean(high[300:]) < 0.14

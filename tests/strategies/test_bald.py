"""BALD and predictive variance score epistemic uncertainty from sampled predictions."""

from __future__ import annotations

import numpy as np
import pytest

from stream_al.exceptions import StrategyError
from stream_al.rules import RULES, make_rule
from stream_al.strategies.bald import BALD
from stream_al.strategies.base import Scored
from stream_al.strategies.committee import disagreement
from stream_al.strategies.uncertainty import entropy
from stream_al.strategies.variance import PredictiveVariance


def _batch(members: np.ndarray | None, proba: np.ndarray | None = None) -> Scored:
    if proba is None:
        assert members is not None
        proba = members.mean(axis=0)
    return Scored(
        items=[None] * len(proba),
        proba=proba,
        classes=["a", "b", "c"][: proba.shape[1]],
        member_proba=members,
    )


def _samples() -> np.ndarray:
    """Three items, 4 samples: sure agreement, agreement on an even split, disagreement."""
    agree_sure = [[0.98, 0.02]] * 4
    agree_unsure = [[0.5, 0.5]] * 4
    disagree = [[0.98, 0.02], [0.02, 0.98], [0.95, 0.05], [0.05, 0.95]]
    return np.array([agree_sure, agree_unsure, disagree]).transpose(1, 0, 2)  # (m, n, k)


@pytest.mark.parametrize("strategy", [BALD(), PredictiveVariance()])
def test_high_where_samples_disagree_and_zero_where_they_agree(strategy: object) -> None:
    scores = strategy.score(_batch(_samples()))  # type: ignore[attr-defined]
    assert scores.shape == (3,)
    assert scores[0] == pytest.approx(0.0, abs=1e-9)
    assert scores[1] == pytest.approx(0.0, abs=1e-9)  # noisy, not unknown: nothing to learn
    assert scores[2] > 0.7


def test_bald_is_not_entropy_an_even_split_all_agree_on_is_not_informative() -> None:
    members = _samples()
    assert entropy(members.mean(axis=0))[1] == pytest.approx(1.0)
    assert BALD().score(_batch(members))[1] == pytest.approx(0.0, abs=1e-9)


def test_bald_is_the_normalised_mutual_information() -> None:
    rng = np.random.default_rng(0)
    members = rng.dirichlet([0.5, 0.5, 0.5], size=(10, 50))  # (m, n, k)
    mean = members.mean(axis=0)
    h_mean = -(mean * np.log(mean)).sum(axis=-1)
    mean_h = -(members * np.log(members)).sum(axis=-1).mean(axis=0)
    expected = (h_mean - mean_h) / np.log(3)
    np.testing.assert_allclose(BALD().score(_batch(members)), expected, atol=1e-6)
    np.testing.assert_array_equal(BALD().score(_batch(members)), disagreement(members))


def test_variance_grows_with_the_spread_and_stays_in_the_unit_interval() -> None:
    rng = np.random.default_rng(1)
    members = rng.dirichlet([0.3, 0.3], size=(20, 200))
    scores = PredictiveVariance().score(_batch(members))
    assert ((scores >= 0) & (scores <= 1)).all()
    split = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    half = np.array([[[0.75, 0.25]], [[0.25, 0.75]]])
    assert PredictiveVariance().score(_batch(split))[0] == pytest.approx(1.0)
    assert PredictiveVariance().score(_batch(half))[0] == pytest.approx(0.25)


def test_one_class_or_one_sample_scores_zero() -> None:
    one_class = np.ones((4, 3, 1))
    one_sample = np.array([[[0.2, 0.8], [0.6, 0.4]]])
    for strategy in (BALD(), PredictiveVariance()):
        np.testing.assert_array_equal(strategy.score(_batch(one_class)), np.zeros(3))
    np.testing.assert_array_equal(PredictiveVariance().score(_batch(one_sample)), np.zeros(2))


@pytest.mark.parametrize(
    ("strategy", "name"), [(BALD(), "bald"), (PredictiveVariance(), "variance")]
)
def test_without_members_the_error_says_which_models_have_them(strategy: object, name: str) -> None:
    batch = _batch(None, proba=np.array([[0.5, 0.5]]))
    with pytest.raises(StrategyError, match=rf"the {name} strategy needs .*torch_mlp"):
        strategy.score(batch)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["bald", "variance"])
def test_the_rules_are_registered_and_need_members(name: str) -> None:
    assert name in RULES
    rule = make_rule(name, 0.1, seed=0)
    assert rule.strategy.needs_members
    decisions = list(rule.decide(_batch(_samples())))
    assert len(decisions) == 3

"""`PausableRule` around every rule goes through the decision-rule checks, in each state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stream_al.items import Item
from stream_al.rules import RULES, Decision, make_rule
from stream_al.rules.stopping import PausableRule, StoppingCriteria
from stream_al.strategies.base import Scored

STATES = ["querying", "plateau", "capped"]
CAP = 25


def _needs_members(name: str) -> bool:
    """Whether the rule's strategy scores per-member probabilities (committee, bald, ...)."""
    return make_rule(name, 0.05).strategy.needs_members


def _stream(n: int, members: bool, seed: int = 0) -> Scored:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.beta(2, 2, n // 2) * 0.5 + 0.5, rng.beta(8, 1, n - n // 2)])
    proba = np.c_[p, 1 - p]
    member_proba = None
    if members:
        first = np.clip(proba[None, :, :1] + rng.normal(0, 0.1, (3, n, 1)), 0.0, 1.0)
        member_proba = np.concatenate([first, 1 - first], axis=2)
    items = [Item(id=str(i), event_time=float(i), features={"x": float(p[i])}) for i in range(n)]
    return Scored(items=items, proba=proba, classes=["a", "b"], member_proba=member_proba)


def _rule(name: str, state: str, budget: float = 0.05, seed: int = 0) -> PausableRule:
    criteria = StoppingCriteria(max_labels=CAP if state == "capped" else None, window=2)
    if state == "plateau":
        criteria.plateaued = True
    return PausableRule(make_rule(name, budget, seed=seed), criteria)


def _run(
    name: str, state: str, n: int = 6000, seed: int = 0
) -> tuple[PausableRule, list[Decision]]:
    rule = _rule(name, state, seed=seed)
    return rule, list(rule.decide(_stream(n, members=_needs_members(name))))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("name", list(RULES))
def test_never_spends_beyond_the_budget(name: str, state: str) -> None:
    rule, decisions = _run(name, state)
    spent = sum(d.query for d in decisions)
    assert spent == rule.budget.spent
    assert spent <= rule.budget.burst + rule.budget.fraction * len(decisions)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("name", list(RULES))
def test_is_deterministic_and_explains_itself(name: str, state: str) -> None:
    _, first = _run(name, state, n=2000, seed=7)
    _, again = _run(name, state, n=2000, seed=7)
    assert [d.query for d in first] == [d.query for d in again]
    for d in first:
        assert d.reason
        assert 0.0 <= d.score <= 1.0
        assert math.isnan(d.threshold) or math.isfinite(d.threshold)
        assert d.query or not d.random


@pytest.mark.parametrize("name", list(RULES))
def test_while_querying_it_decides_as_the_wrapped_rule(name: str) -> None:
    _, wrapped = _run(name, "querying", n=3000)
    bare = make_rule(name, 0.05, seed=0).decide(_stream(3000, members=_needs_members(name)))

    def what(d: Decision) -> tuple[bool, str, bool, float]:
        return d.query, d.reason, d.random, d.score

    assert [what(d) for d in wrapped] == [what(d) for d in bare]


@pytest.mark.parametrize("name", list(RULES))
def test_a_plateau_keeps_only_the_random_share(name: str) -> None:
    _, decisions = _run(name, "plateau")
    queried = [d for d in decisions if d.query]
    assert all(d.random for d in queried)
    if name in ("auto", "random", "split"):  # rules with a random share
        assert queried
    assert any(d.reason == "paused_plateau" for d in decisions) or name == "random"


@pytest.mark.parametrize("name", [n for n in RULES if n != "fixed_uncertainty"])
def test_a_label_cap_is_never_overshot(name: str) -> None:
    _, decisions = _run(name, "capped")
    assert sum(d.query for d in decisions) == CAP
    last = max(i for i, d in enumerate(decisions) if d.query)
    assert any(d.reason == "paused_label_cap" for d in decisions[last + 1 :])


def test_decide_is_lazy() -> None:
    rule = _rule("auto", "plateau")
    decisions = rule.decide(_stream(100, members=False))
    for _ in range(10):
        next(decisions)
    assert rule.budget.seen == 10


def test_a_drift_resumes_and_reaches_the_wrapped_rule() -> None:
    rule = _rule("auto", "plateau")
    rule.on_drift(object())
    assert not rule.criteria.paused
    assert rule.rule._boost_left > 0  # type: ignore[attr-defined]

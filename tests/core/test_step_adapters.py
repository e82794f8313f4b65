"""The scorer and `simulate` are adapters of one step: same stream, same seeds, same decisions.

Every strategy runs with every model through the service's scorer (embedded
transport, SQLite store, events encoded and decoded as on a topic) and through
`simulate`, with no label coming back in either (so the model only observes),
and the two must take exactly the same decisions. A pair that cannot work (a
committee strategy with a model without members) must fail the same way in
both, before the first item.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.drift.monitor import DriftMonitor
from stream_al.exceptions import StrategyError
from stream_al.model import make_model
from stream_al.model.factory import MODELS
from stream_al.rules import RULES, make_rule
from stream_al.rules.base import DecisionRule
from stream_al.service.wiring import build_roles, build_transport, close_roles
from stream_al.simulate import simulate
from stream_al.strategies.base import Scored
from stream_al.transport.codec import encode_event
from stream_al.transport.memory import MemoryBroker

N = 300
STREAM = f"synth:sea?n={N}"
CLASSES = ["False", "True"]
TORCH = importlib.util.find_spec("torch") is not None

Decisions = list[tuple[bool, str, float | None]]


def _record(rule: DecisionRule, into: Decisions) -> None:
    """Keep every decision `rule` takes (its query, reason and score)."""
    decide = rule.decide

    def recorded(batch: Scored) -> Iterator[Any]:
        for decision in decide(batch):
            score = decision.score if math.isfinite(decision.score) else None  # nan != nan
            into.append(
                (decision.query, decision.reason, None if score is None else round(score, 9))
            )
            yield decision

    rule.decide = recorded  # type: ignore[method-assign]


def _settings(tmp_path: Path, model: str, strategy: str) -> Settings:
    return Settings(
        store={"path": str(tmp_path / f"{model}-{strategy}.db")},
        fields={"time": "time"},
        model={"name": model, "classes": CLASSES},
        strategy={"name": strategy, "budget": 0.1, "seed": 3},
        api={"enabled": False},
        lag={"pace_budget": False},
    )


def _through_the_scorer(settings: Settings) -> Decisions | str:
    broker = MemoryBroker()
    try:
        roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue"})
    except StrategyError:
        return "StrategyError"
    decisions: Decisions = []
    try:
        assert roles.scorer is not None
        _record(roles.scorer.rule, decisions)
        producer = broker.producer()
        for example in open_stream(STREAM, seed=5):
            producer.send(settings.kafka.input_topic, encode_event(example))
        events, _ = roles.loops[0]
        records = events.poll(N, timeout_ms=0)
        assert len(records) == N
        roles.scorer.handle(records, events.commit)  # not through the guard: errors surface
    finally:
        close_roles(roles)
    return decisions


def _through_simulate(settings: Settings) -> Decisions | str:
    model = make_model(
        settings.model.name,
        classes=CLASSES,
        seed=settings.strategy.seed,
        halflife=settings.lag.input_halflife(),
    )
    rule = make_rule(settings.strategy.name, settings.strategy.budget, seed=settings.strategy.seed)
    drift = settings.drift
    monitor = DriftMonitor(drift.labelled, drift.label_free, drift.cooldown_items)
    decisions: Decisions = []
    _record(rule, decisions)
    examples = open_stream(STREAM, seed=5)
    try:
        simulate(examples, model, rule, label_delay=10 * N, monitor=monitor, chunk=N)
    except StrategyError:
        return "StrategyError"
    return decisions


PAIRS = [
    pytest.param(model, strategy, id=f"{model}-{strategy}")
    for model in MODELS
    for strategy in RULES
    if TORCH or not model.startswith("torch")
]


@pytest.mark.parametrize(("model", "strategy"), PAIRS)
def test_the_scorer_and_simulate_decide_alike(tmp_path: Path, model: str, strategy: str) -> None:
    settings = _settings(tmp_path, model, strategy)
    served = _through_the_scorer(settings)
    simulated = _through_simulate(settings)
    assert served == simulated
    if served != "StrategyError":
        assert len(served) == N
        assert any(query for query, _, _ in served)


def test_the_committee_pair_runs_in_the_service() -> None:
    """The pair that stopped the service on its first batch ("the model has no members")."""
    assert ("bagging", "committee") in {(p.values[0], p.values[1]) for p in PAIRS}

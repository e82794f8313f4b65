"""Rehearsal: recent human labels replayed while labels come back late."""

from __future__ import annotations

from typing import Any

import pytest
from river import linear_model

from stream_al.datasets import open_stream
from stream_al.exceptions import ConfigError
from stream_al.items import Item, Label
from stream_al.lag.options import LagOptions
from stream_al.lag.rehearsal import Rehearsal
from stream_al.learner import Learner
from stream_al.model import RiverModel
from stream_al.model.factory import make_model
from stream_al.rules import make_rule
from stream_al.simulate import simulate


class _Recorder:
    """A model that only records what it was taught."""

    classes = ("a", "b")

    def __init__(self) -> None:
        self.steps: list[tuple[str, Label, float]] = []

    def learn_one(self, item: Item, label: Label, weight: float = 1.0) -> None:
        self.steps.append((item.id, label, weight))


def _item(i: int) -> Item:
    return Item(id=str(i), event_time=float(i), features={"v": float(i % 2)})


def test_nothing_is_replayed_while_labels_come_back_fast() -> None:
    model, r = _Recorder(), Rehearsal(replays=4, memory=10, min_lag=100)
    for i in range(50):
        model.learn_one(_item(i), "a")
        assert r.after(model, _item(i), "a", lag=99) == 0  # type: ignore[arg-type]
    assert len(model.steps) == 50
    assert r.replayed == 0
    assert not r.lagging
    assert len(r) == 10  # the memory is bounded, whatever came through


def test_while_lagging_each_label_is_followed_by_replays_at_a_lower_weight() -> None:
    model, r = _Recorder(), Rehearsal(replays=3, weight=0.5, memory=5, min_lag=100, seed=1)
    for i in range(20):
        r.after(model, _item(i), "b", weight=2.0, lag=1000)  # type: ignore[arg-type]
    # the first label has nothing to replay, the second one thing, then 3 each
    assert r.replayed == len(model.steps) == 0 + 1 + 2 + 17 * 3
    assert {w for _, _, w in model.steps} == {1.0}  # 2.0 x 0.5
    late = [int(i) for i, _, _ in model.steps[-3:]]
    assert all(14 <= i <= 18 for i in late)  # drawn from the last 5 labels only


def test_the_gate_follows_a_smoothed_lag_not_one_late_label() -> None:
    r = Rehearsal(min_lag=250, smoothing=0.1)
    model = _Recorder()
    for i in range(30):
        r.after(model, _item(i), "a", lag=10)  # type: ignore[arg-type]
    r.after(model, _item(30), "a", lag=1000)  # type: ignore[arg-type]
    assert not r.lagging  # 10 + 0.1 x 990 = 109
    for i in range(31, 60):
        r.after(model, _item(i), "a", lag=1000)  # type: ignore[arg-type]
    assert r.lagging
    r.after(model, _item(60), "a", lag=None)  # type: ignore[arg-type]  # unknown: no change
    assert r.lagging


def test_an_unknown_lag_never_starts_rehearsal() -> None:
    model, r = _Recorder(), Rehearsal(min_lag=0)
    for i in range(10):
        r.after(model, _item(i), "a", lag=None)  # type: ignore[arg-type]
    assert r.lag is None
    assert r.replayed == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"replays": 0}, "replays"),
        ({"memory": 0}, "memory"),
        ({"weight": 0.0}, "weight"),
        ({"smoothing": 1.5}, "smoothing"),
        ({"min_lag": -1}, "min_lag"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        Rehearsal(**kwargs)


def test_the_learner_rehearses_human_labels_and_leaves_own_replay_models_alone() -> None:
    model = RiverModel(linear_model.LogisticRegression(), classes=["a", "b"])
    learner = Learner(model, rehearsal=Rehearsal(replays=2, min_lag=10))
    for i in range(5):
        learner.learn(_item(i), "a" if i % 2 else "b", position=i, lag=50)
    assert learner.rehearsal is not None
    assert learner.rehearsal.replayed == 0 + 1 + 2 + 2 + 2
    assert learner.labelled.n == 5  # replays are not tests: the estimates count each label once

    class OwnReplay(_Recorder):
        replay = object()

    assert Learner(OwnReplay(), rehearsal=Rehearsal()).rehearsal is None  # type: ignore[arg-type]


def _run(
    delay: int,
    rehearse: bool,
    seed: int,
    self_training: bool = False,
    rehearsal: Rehearsal | None = None,
    capacity: float = 0.025,
) -> dict[str, Any]:
    stream = open_stream("synth:hyperplane?n=12000&mag_change=0", seed=seed)
    rule = make_rule("auto", 0.05, seed=seed)
    options = LagOptions(capacity=capacity, rehearse=rehearse, self_training=self_training)
    team, st, pacer = options.build(rule.budget)
    return simulate(
        stream,
        make_model("logreg", classes=stream.info.classes, seed=seed),
        rule,
        label_delay=delay,
        annotators=team,
        self_training=st,
        pacer=pacer,
        warmup=3000,
        seed=seed,
        rehearsal=rehearsal if rehearsal is not None else options.rehearsal(seed),
    ).to_dict()


def test_in_a_simulation_rehearsal_waits_for_lagging_labels() -> None:
    # annotators who keep up (10% against a 5% budget), labels back at once: no rehearsal
    assert _run(delay=0, rehearse=True, seed=0, capacity=0.1)["rehearsed"] == 0
    # labels 3,000 items late: 8 replays per label, the first few fewer
    late = _run(delay=3000, rehearse=True, seed=0, capacity=0.1)
    assert late["rehearsed"] > 5 * late["labels_delivered"]
    # annotators at half the budget, labels back at once: the pacer says they are behind
    behind = _run(delay=0, rehearse=True, seed=0)
    assert behind["rehearsed"] > 5 * behind["labels_delivered"]


def test_rehearsal_learns_more_from_late_labels() -> None:
    # A stationary hyperplane, labels 3,000 items late: one SGD step per label leaves the
    # model short of what its labels can teach; rehearsing them gains ~2 points after the
    # warm-up (seeds 0-3: +1.39, +2.57, +1.43, +2.31).
    gains = [
        _run(3000, True, seed)["accuracy_after_warmup"]
        - _run(3000, False, seed)["accuracy_after_warmup"]
        for seed in range(3)
    ]
    assert min(gains) > 0.005
    assert sum(gains) / 3 > 0.01


def test_pseudo_labels_never_enter_the_memory() -> None:
    rehearsal = Rehearsal(memory=10_000)
    result = _run(delay=3000, rehearse=True, seed=0, self_training=True, rehearsal=rehearsal)
    assert result["pseudo_labels"] > 0
    assert len(rehearsal) == result["labels_delivered"]  # every human label, nothing else


def test_lag_options_rehearse_with_the_fallback_unless_told() -> None:
    assert LagOptions().rehearsal() is not None
    assert LagOptions(fallback=False).rehearsal() is None
    assert LagOptions(fallback=False, rehearse=True).rehearsal() is not None
    assert LagOptions(rehearse=False).rehearsal() is None


def test_the_state_round_trips_through_json() -> None:
    import json

    r = Rehearsal(memory=3, min_lag=10)
    model = _Recorder()
    for i in range(5):
        r.after(model, _item(i), i % 2 == 0, weight=1.0, lag=100)  # type: ignore[arg-type]
    state = json.loads(json.dumps(r.state()))
    back = Rehearsal(memory=2, min_lag=10)  # a smaller memory keeps the newest
    back.restore(state)
    assert back.lag == r.lag
    assert back.replayed == r.replayed
    assert [(x.id, y) for x, y, _ in back._memory] == [("3", False), ("4", True)]

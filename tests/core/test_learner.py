"""Test-then-train, and delayed labels."""

from __future__ import annotations

import numpy as np

from stream_al.drift.monitor import DriftMonitor
from stream_al.items import Item
from stream_al.learner import LabelDelay, Learner
from stream_al.model import make_model


def _item(i: int, x: float) -> Item:
    return Item(id=str(i), event_time=float(i), features={"x": x})


def test_a_label_is_tested_before_it_is_learned() -> None:
    learner = Learner(make_model("logreg", classes=["lo", "hi"]))
    learner.learn(_item(0, 1.0), "hi", position=0)
    # the very first label cannot have been predicted right: nothing was learned yet
    assert learner.labelled.n == 1
    assert learner.model.n_learned == 1


def test_unbiased_estimate_uses_only_random_labels() -> None:
    learner = Learner(make_model("logreg", classes=["lo", "hi"]))
    rng = np.random.default_rng(0)
    for i in range(400):
        x = float(rng.normal())
        learner.learn(_item(i, x), "hi" if x > 0 else "lo", position=i, random=i % 4 == 0)
    assert learner.labelled.n == 400
    assert learner.unbiased.n == 100
    assert learner.unbiased.accuracy > 0.8


def test_learner_feeds_the_drift_monitor() -> None:
    monitor = DriftMonitor(labelled="adwin", label_free=None)
    learner = Learner(make_model("logreg", classes=["lo", "hi"]), monitor=monitor)
    alerts = []
    for i in range(3000):
        x = float((i * 7919) % 100) / 50 - 1
        truth = (x > 0) if i < 1500 else (x <= 0)
        alert = learner.learn(_item(i, x), "hi" if truth else "lo", position=i)
        if alert is not None:
            alerts.append(alert)
    assert any(a.position >= 1500 for a in alerts)


def test_label_delay_releases_in_order() -> None:
    d = LabelDelay(delay=3)
    for pos in range(5):
        d.put(position=pos, item=None, label=str(pos))
    assert d.next_release == 4
    assert [p.label for p in d.due(5)] == ["0", "1"]
    assert len(d) == 3

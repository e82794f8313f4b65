"""The prequential loop: predict first, pay, learn `label_delay` items later."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from stream_al.datasets import open_stream
from stream_al.drift.monitor import DriftMonitor
from stream_al.evaluation.timeline import Timeline
from stream_al.items import Example, Item, Label
from stream_al.model import make_model
from stream_al.rules import make_rule
from stream_al.simulate import simulate


class SpyModel:
    """Remembers, for every item it scored, which labels it had learned by then."""

    preferred_chunk = 16

    def __init__(self) -> None:
        self.learned: list[int] = []
        self.calls: list[list[tuple[int, int]]] = []
        self.observed: list[int] = []

    @property
    def seen_at_scoring(self) -> dict[int, int]:
        """Labels learned when each item was last scored by the loop."""
        return {i: n for call in self.calls for i, n in call}

    @property
    def classes(self) -> list[Label]:
        return ["a", "b"]

    @property
    def n_learned(self) -> int:
        return len(self.learned)

    def predict_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        self.calls.append([(int(it.id), len(self.learned)) for it in items])
        return np.tile([0.6, 0.4], (len(items), 1))

    def observe(self, item: Item) -> None:
        self.observed.append(int(item.id))

    def observe_many(self, items: Sequence[Item]) -> None:
        for item in items:
            self.observe(item)

    def learn_one(self, item: Item, label: Label, weight: float = 1.0) -> None:
        # the learner's test-before-train prediction is not the loop's prediction
        if self.calls and self.calls[-1] == [(int(item.id), len(self.learned))]:
            self.calls.pop()
        self.learned.append(int(item.id))


def _examples(n: int) -> list[Example]:
    return [
        Example(
            Item(id=str(i), event_time=float(i), features={"x": float(i)}), "a" if i % 3 else "b"
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("delay", [0, 1, 7, 50])
def test_each_item_is_predicted_by_exactly_the_labels_delivered_before_it(delay: int) -> None:
    model = SpyModel()
    rule = make_rule("random", 0.3, seed=2)
    simulate(_examples(600), model, rule, label_delay=delay)
    queried = sorted(model.learned)
    assert len(queried) == rule.budget.spent > 100
    for i in range(600):
        expected = sum(1 for j in queried if j + 1 + delay <= i)
        assert model.seen_at_scoring[i] == expected, (i, delay)


def test_every_item_is_observed_once_in_order() -> None:
    model = SpyModel()
    simulate(_examples(300), model, make_rule("random", 0.5, seed=0), label_delay=3)
    assert model.observed == list(range(300))


def test_labels_still_in_flight_at_the_end_are_delivered() -> None:
    model = SpyModel()
    rule = make_rule("random", 0.2, seed=1)
    simulate(_examples(200), model, rule, label_delay=1000)
    assert len(model.learned) == rule.budget.spent


def test_result_document_has_the_contract_fields() -> None:
    stream = open_stream("synth:sea?n=3000", seed=0)
    model = make_model("logreg", classes=stream.info.classes)
    result = simulate(stream, model, make_rule("auto", 0.05), monitor=DriftMonitor(), seed=0)
    doc = result.to_dict()
    for key in ("items", "labels", "label_fraction", "accuracy", "kappa", "items_per_s", "drifts"):
        assert key in doc
    assert doc["strategy"] == "auto"
    assert doc["budget"] == 0.05
    assert doc["items"] == 3000
    assert doc["labels"] <= 1 + 0.05 * 3000 * 1.05


def test_active_learning_beats_the_majority_class_on_a_drifting_stream() -> None:
    stream = open_stream("synth:sea?n=6000", seed=1)
    majority = max(sum(1 for e in stream if e.label == c) for c in stream.info.classes or []) / 6000
    model = make_model("logreg", classes=stream.info.classes)
    result = simulate(stream, model, make_rule("auto", 0.05, seed=1))
    assert result.accuracy > majority + 0.1


def test_timeline_records_accuracy_and_labels() -> None:
    stream = open_stream("synth:sea?n=2000", seed=0)
    timeline = Timeline(every=100)
    simulate(
        stream,
        make_model("logreg", stream.info.classes),
        make_rule("margin", 0.1),
        timeline=timeline,
    )
    positions, labels = timeline.series("labels")
    assert positions[-1] == 2000
    assert labels == sorted(labels)
    assert labels[-1] > 0

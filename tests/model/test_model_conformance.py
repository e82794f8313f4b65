"""Every model the factory builds passes the same checks."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from stream_al.exceptions import ConfigError, ModelError
from stream_al.items import Item
from stream_al.model import MODELS, CommitteeModel, Model, RiverModel, make_model


def _torch_missing() -> bool:
    try:
        importlib.import_module("torch")
    except ImportError:
        return True
    return False


#: Every model, the torch ones skipped when the torch extra is not installed.
MODEL_NAMES = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            name.startswith("torch_") and _torch_missing(), reason="torch extra not installed"
        ),
    )
    for name in MODELS
]


def _items(n: int, seed: int = 0) -> list[tuple[Item, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = rng.normal(size=2)
        colour = "red" if x[0] > 0 else "blue"
        out.append(
            (
                Item(id=str(i), event_time=float(i), features={"a": x[0], "b": x[1], "c": colour}),
                "pos" if x[0] + 0.5 * x[1] > 0 else "neg",
            )
        )
    return out


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_probabilities_are_well_formed_and_learning_helps(name: str) -> None:
    model = make_model(name, classes=["neg", "pos"], seed=1)
    assert isinstance(model, Model)
    data = _items(600)
    before = model.predict_proba_many([x for x, _ in data[:5]])
    assert before.shape == (5, 2)
    np.testing.assert_allclose(before.sum(axis=1), 1.0)
    for item, label in data[:500]:
        model.observe(item)
        model.learn_one(item, label)
    assert model.n_learned == 500
    proba = model.predict_proba_many([x for x, _ in data[500:]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert ((proba >= 0) & (proba <= 1)).all()
    predicted = [model.classes[j] for j in proba.argmax(axis=1)]
    accuracy = np.mean([p == y for p, (_, y) in zip(predicted, data[500:], strict=True)])
    assert accuracy > 0.75, accuracy


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_predicting_does_not_change_the_model(name: str) -> None:
    model = make_model(name, classes=["neg", "pos"], seed=1)
    data = _items(200)
    for item, label in data[:150]:
        model.observe(item)
        model.learn_one(item, label)
    items = [x for x, _ in data[150:]]
    first = model.predict_proba_many(items)
    np.testing.assert_array_equal(first, model.predict_proba_many(items))


def test_multiclass_models_grow_their_classes() -> None:
    model = make_model("logreg", classes=None)
    for i, label in enumerate(["a", "b", "c", "a", "d"]):
        model.learn_one(Item(id=str(i), event_time=i, features={"x": float(i)}), label)
    assert model.classes == ["a", "b", "c", "d"]
    assert model.predict_proba_many([Item(id="9", event_time=9, features={"x": 1.0})]).shape == (
        1,
        4,
    )


def test_a_binary_model_refuses_a_third_class_with_advice() -> None:
    model = make_model("logreg", classes=["a", "b"])
    model.learn_one(Item(id="0", event_time=0, features={"x": 1.0}), "a")
    with pytest.raises(ModelError, match="multiclass"):
        model.learn_one(Item(id="1", event_time=1, features={"x": 1.0}), "c")


def test_committee_models_expose_their_members() -> None:
    model = make_model("bagging", classes=["neg", "pos"], seed=0)
    assert isinstance(model, CommitteeModel)
    for item, label in _items(100):
        model.learn_one(item, label)
    members = model.predict_member_proba_many([x for x, _ in _items(3, seed=5)])
    assert members.shape == (5, 3, 2)


def test_text_items_become_features() -> None:
    model = make_model("logreg", classes=["ham", "spam"], text=True)
    texts = [("win cash now prize", "spam"), ("see you at lunch", "ham")] * 40
    for i, (text, label) in enumerate(texts):
        item = Item(id=str(i), event_time=i, text=text)
        model.observe(item)
        model.learn_one(item, label)
    proba = model.predict_proba_many(
        [Item(id="a", event_time=0, text="cash prize"), Item(id="b", event_time=0, text="lunch")]
    )
    assert proba[0, 1] > 0.5 > proba[1, 1]


def test_a_learner_that_never_observes_still_scales_its_features() -> None:
    model = make_model("logreg", classes=["neg", "pos"])
    for item, label in _items(400):
        model.learn_one(item, label)  # no observe(): a learner in its own process
    data = _items(100, seed=3)
    proba = model.predict_proba_many([x for x, _ in data])
    predicted = [model.classes[j] for j in proba.argmax(axis=1)]
    assert np.mean([p == y for p, (_, y) in zip(predicted, data, strict=True)]) > 0.8


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="choose one of: logreg"):
        make_model("svm")


def test_river_model_repr_names_the_pipeline() -> None:
    assert "LogisticRegression" in repr(make_model("logreg", classes=["a", "b"]))
    assert isinstance(make_model("logreg"), RiverModel)

"""The matrix path of the linear models gives river's numbers (up to float summation order)."""

from __future__ import annotations

import numpy as np
import pytest

from stream_al.datasets import open_stream
from stream_al.items import Item
from stream_al.model import make_model
from stream_al.model.preprocessing import StandardiseOneHot
from stream_al.model.river_model import RiverModel


def _item_by_item(model: RiverModel) -> RiverModel:
    """The same model, told to go item by item (river's own path)."""
    model._is_linear = False
    return model


def _trained(name: str, classes: list[str], halflife: float | None, seed: int = 1) -> RiverModel:
    rng = np.random.default_rng(seed)
    model = make_model(name, classes=classes, seed=seed, halflife=halflife)
    assert isinstance(model, RiverModel)
    for i in range(1500):
        x = rng.normal(size=3)
        features: dict[str, float | str] = {"a": float(x[0]), "b": float(x[1] * 4 + 2)}
        if rng.random() < 0.7:  # a feature that is often missing
            features["c"] = float(x[2])
        features["colour"] = ["red", "green", "blue"][int(rng.integers(3))]
        item = Item(id=str(i), event_time=float(i), features=features)
        model.observe(item)
        if i % 5 == 0:
            label = classes[int((x[0] > 0) + (x[1] > 0.5)) % len(classes)]
            model.learn_one(item, label)
    return model


def _probe(n: int = 200, seed: int = 9) -> list[Item]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = rng.normal(size=3) * 3
        features: dict[str, float | str] = {"a": float(x[0]), "b": float(x[1]), "new": 1.0}
        if i % 2:
            features["colour"] = ["red", "green", "violet"][i % 3]  # violet: never seen
        out.append(Item(id=f"p{i}", event_time=0.0, features=features))
    return out


@pytest.mark.parametrize("halflife", [None, 200.0])
@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("logreg", ["no", "yes"]),
        ("logreg", ["a", "b", "c"]),  # one-vs-rest
        ("softmax", ["a", "b", "c"]),
        ("bagging", ["no", "yes"]),
        ("bagging", ["a", "b", "c"]),
    ],
)
def test_the_matrix_path_predicts_what_river_predicts(
    name: str, classes: list[str], halflife: float | None
) -> None:
    model = _trained(name, classes, halflife)
    assert model._is_linear
    items = _probe()
    fast = model.predict_proba_many(items)
    members = getattr(model, "predict_member_proba_many", None)
    fast_members = members(items) if members is not None else None
    slow_model = _item_by_item(model)
    slow = slow_model.predict_proba_many(items)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
    assert (fast.argmax(axis=1) == slow.argmax(axis=1)).all()
    assert 0.05 < fast[:, 0].mean() < 0.95  # it learned something: not a uniform answer
    if fast_members is not None:
        np.testing.assert_allclose(fast_members, members(items), rtol=0, atol=1e-12)


def test_small_batches_and_other_models_go_item_by_item() -> None:
    tree = make_model("hoeffding_tree", classes=["no", "yes"])
    assert isinstance(tree, RiverModel)
    assert not tree._is_linear
    model = _trained("logreg", ["no", "yes"], None)
    assert model._linear(_probe(15)) is None  # under MIN_BATCH
    assert model._linear(_probe(16)) is not None


@pytest.mark.parametrize("halflife", [None, 1.0, 30.0, 1000.0])
def test_a_standardiser_learns_a_batch_as_it_learns_item_by_item(halflife: float | None) -> None:
    rng = np.random.default_rng(3)
    xs: list[dict[str, float | str]] = []
    for _ in range(3000):
        x: dict[str, float | str] = {"x": float(rng.normal()), "y": float(rng.normal() * 3 + 7)}
        if rng.random() < 0.5:
            x["z"] = float(rng.random())
        x["c"] = "red"
        xs.append(x)
    one, many = StandardiseOneHot(halflife=halflife), StandardiseOneHot(halflife=halflife)
    for x in xs:
        one.learn_one(x)
    for start in range(0, len(xs), 97):  # batches that cross the even start
        many.learn_many(xs[start : start + 97])
    assert many._n == one._n
    for key in one._mean:
        assert many._mean[key] == pytest.approx(one._mean[key], rel=1e-12, abs=1e-12)
        assert many._m2[key] == pytest.approx(one._m2[key], rel=1e-10)
        assert many._scale[key] == pytest.approx(one._scale[key], rel=1e-10)
    probe = xs[-1] | {"x": 2.5}
    assert many.transform_one(probe) == pytest.approx(one.transform_one(probe))


def test_the_real_streams_predict_alike_on_both_paths() -> None:
    stream = list(open_stream("synth:agrawal?n=2600", seed=4))
    model = make_model("logreg", classes=["0", "1"], seed=4, halflife=1000.0)
    assert isinstance(model, RiverModel)
    for example in stream[:2000]:
        model.observe(example.item)
        if int(example.item.id) % 10 == 0:
            model.learn_one(example.item, str(example.label))
    items = [example.item for example in stream[2000:]]
    fast = model.predict_proba_many(items)
    slow = _item_by_item(model).predict_proba_many(items)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)

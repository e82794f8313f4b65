"""The torch MLP learns online, grows its classes, and samples its epistemic uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_support import FakeEmbedder, accuracy, separable  # noqa: E402

from stream_al.datasets import open_stream  # noqa: E402
from stream_al.exceptions import ModelError  # noqa: E402
from stream_al.features.hashing import signed_bucket  # noqa: E402
from stream_al.items import Item  # noqa: E402
from stream_al.model import CommitteeModel, make_model  # noqa: E402
from stream_al.model.torch_config import TorchConfig  # noqa: E402
from stream_al.model.torch_model import TorchModel  # noqa: E402
from stream_al.rules import make_rule  # noqa: E402
from stream_al.simulate import simulate  # noqa: E402


def _trained(n: int = 300, seed: int = 0, **config: object) -> TorchModel:
    model = TorchModel(["neg", "pos"], TorchConfig(**config), seed=seed)  # type: ignore[arg-type]
    for item, label in separable(n, seed=seed):
        model.observe(item)
        model.learn_one(item, label)
    return model


def test_learns_a_separable_stream_from_a_few_hundred_labels() -> None:
    model = _trained(300)
    assert model.n_learned == 300
    assert accuracy(model, separable(500, seed=9)) > 0.9


def test_an_ensemble_learns_too_and_its_members_differ() -> None:
    model = _trained(300, members=5)
    assert accuracy(model, separable(500, seed=9)) > 0.9
    members = model.predict_member_proba_many([x for x, _ in separable(20, seed=4)])
    assert members.shape == (5, 20, 2)
    assert np.abs(members - members.mean(axis=0)).max() > 1e-3


def test_probabilities_are_uniform_until_the_first_update_then_rows_sum_to_one() -> None:
    model = TorchModel(["a", "b", "c"], TorchConfig(batch_size=4))
    data = separable(8)
    items = [x for x, _ in data]
    for item, _ in data[:3]:
        model.learn_one(item, "a")
    np.testing.assert_array_equal(model.predict_proba_many(items), np.full((8, 3), 1 / 3))
    assert model.predict_member_proba_many(items).shape == (10, 8, 3)
    model.learn_one(data[3][0], "b")  # the fourth label: the first update
    proba = model.predict_proba_many(items)
    assert proba.shape == (8, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert not np.allclose(proba, 1 / 3)
    assert model.predict_proba_many([]).shape == (0, 3)


def test_classes_are_discovered_in_order_of_arrival() -> None:
    model = TorchModel(config=TorchConfig(batch_size=2))
    assert model.predict_proba_many([separable(1)[0][0]]).shape == (1, 1)
    for i, label in enumerate(["b", "a", "b", "c", "a", "c"]):
        model.learn_one(Item(id=str(i), event_time=i, features={"x": float(i)}), label)
    assert model.classes == ["b", "a", "c"]
    assert model.predict_proba_many([Item(id="q", event_time=0)]).shape == (1, 3)


def test_a_new_class_grows_the_output_and_keeps_the_old_predictions() -> None:
    model = _trained(200)
    items = [x for x, _ in separable(50, seed=3)]
    before = model.predict_proba_many(items)
    model.learn_one(Item(id="new", event_time=0, features={"a": 9.0}), "other")  # no update yet
    after = model.predict_proba_many(items)
    assert model.classes == ["neg", "pos", "other"]
    assert after.shape == (50, 3)
    # the old classes keep their relative odds; the newcomer takes only a small share
    old = after[:, :2] / after[:, :2].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(old, before, atol=1e-6)
    assert (after.argmax(axis=1) == before.argmax(axis=1)).all()
    assert after[:, 2].mean() < 0.2
    for item, label in separable(40, seed=5):  # learning goes on with three outputs
        model.learn_one(item, label)
    assert model.predict_member_proba_many(items).shape == (10, 50, 3)


def test_mc_samples_differ_while_predictions_are_deterministic() -> None:
    model = _trained(200)
    items = [x for x, _ in separable(30, seed=7)]
    first = model.predict_proba_many(items)
    members = model.predict_member_proba_many(items)
    assert members.shape == (10, 30, 2)
    np.testing.assert_allclose(members.sum(axis=2), 1.0, atol=1e-12)
    assert np.abs(members - members.mean(axis=0)).max() > 1e-3  # dropout is on
    assert not np.array_equal(members[0], members[1])
    np.testing.assert_array_equal(first, model.predict_proba_many(items))  # dropout is off


def test_the_same_seed_gives_the_same_model() -> None:
    items = [x for x, _ in separable(20, seed=2)]
    a, b = _trained(100, seed=4), _trained(100, seed=4)
    np.testing.assert_array_equal(a.predict_proba_many(items), b.predict_proba_many(items))
    np.testing.assert_array_equal(
        a.predict_member_proba_many(items), b.predict_member_proba_many(items)
    )


def test_a_lighter_weight_moves_the_model_less() -> None:
    probe = [Item(id="p", event_time=0, features={"a": 0.5, "b": 0.0, "c": 0.0, "colour": "red"})]
    shifts = {}
    for weight in (1.0, 0.2):
        model = _trained(300)
        before = model.predict_proba_many(probe)[0, 1]
        rng = np.random.default_rng(1)
        for i in range(64):  # labels that contradict the concept near the probe
            x = {"a": rng.uniform(0.0, 1.0), "b": 0.0, "c": 0.0, "colour": "red"}
            item = Item(id=f"w{i}", event_time=i, features=x)
            model.observe(item)
            model.learn_one(item, "neg", weight=weight)
        shifts[weight] = before - model.predict_proba_many(probe)[0, 1]
    assert shifts[1.0] > 0.2, shifts
    assert shifts[0.2] < 0.5 * shifts[1.0], shifts


def test_a_negative_or_missing_weight_is_refused() -> None:
    model = TorchModel(["a", "b"])
    item = Item(id="7", event_time=0, features={"x": 1.0})
    with pytest.raises(ModelError, match=r"'7': weight -1\.0"):
        model.learn_one(item, "a", weight=-1.0)
    with pytest.raises(ModelError, match="finite"):
        model.learn_one(item, "a", weight=float("nan"))
    assert model.n_learned == 0


def test_memory_is_bounded_by_the_replay_capacity() -> None:
    model = TorchModel(["neg", "pos"], TorchConfig(replay_capacity=50, batch_size=8))
    allocated = model.replay._x.nbytes
    sizes = []
    for item, label in separable(500):  # ten times the capacity
        model.observe(item)
        model.learn_one(item, label)
        sizes.append(len(model.replay))
        assert len(model._pending) < 8
    assert max(sizes) == 50 == len(model.replay)
    assert model.replay.x.shape == (50, model.vectorizer.dim)
    assert model.replay._x.nbytes == allocated  # preallocated once, never grown


def test_replay_keeps_the_most_recent_labels() -> None:
    model = TorchModel(["neg", "pos"], TorchConfig(replay_capacity=10, batch_size=100))
    data = separable(25)
    for item, label in data:
        model.learn_one(item, label)
    recent = model.vectorizer.transform_many([x for x, _ in data[-10:]])
    # every stored vector is one of the last ten (the scaler moved since, hence the tolerance)
    distances = np.abs(model.replay.x[:, None, :] - recent[None, :, :]).sum(axis=2)
    assert (distances.min(axis=1) < 0.5).all()


def test_features_are_hashed_with_a_stable_signed_bucket() -> None:
    model = TorchModel(["a", "b"], TorchConfig(n_features=32))
    for v in (0.0, 2.0):
        model.observe(Item(id=str(v), event_time=0, features={"price": v}))
    row = model.vectorizer.transform_many(
        [Item(id="q", event_time=0, features={"price": 2.0, "day": "mon"})]
    )[0]
    j, sign = signed_bucket("price", 32)
    k, sign_day = signed_bucket("day=mon", 32)
    expected = np.zeros(32, dtype=np.float32)
    expected[j] += sign * 1.0  # (2 - mean 1) / std 1
    expected[k] += sign_day * 1.0
    np.testing.assert_allclose(row, expected)


def test_text_is_embedded_in_one_call_per_batch_and_appended() -> None:
    embedder = FakeEmbedder(dim=4)
    model = TorchModel(["ham", "spam"], TorchConfig(n_features=16), embedder=embedder)
    items = [
        Item(id="1", event_time=0, features={"x": 1.0}, text="win cash"),
        Item(id="2", event_time=0, features={"x": 1.0}),
        Item(id="3", event_time=0, text="see you"),
        Item(id="4", event_time=0, text="win cash"),
    ]
    rows = model.vectorizer.transform_many(items)
    assert rows.shape == (4, 20)
    assert embedder.calls == [["win cash", "see you"]]  # one call, each text once
    np.testing.assert_allclose(rows[0, 16:], embedder.vector("win cash"))
    np.testing.assert_array_equal(rows[1, 16:], 0.0)
    np.testing.assert_allclose(rows[2, 16:], embedder.vector("see you"))
    np.testing.assert_array_equal(rows[2, :16], 0.0)
    model.vectorizer.transform_many(items[:1])
    assert len(embedder.calls) == 1  # a text embedded before is remembered


def test_a_text_stream_is_learned_through_the_embedder() -> None:
    model = TorchModel(["ham", "spam"], TorchConfig(batch_size=8), embedder=FakeEmbedder(8))
    texts = [("win cash now", "spam"), ("see you at lunch", "ham")] * 60
    for i, (text, label) in enumerate(texts):
        item = Item(id=str(i), event_time=i, text=text)
        model.observe(item)
        model.learn_one(item, label)
    spam = Item(id="a", event_time=0, text="win cash now")
    ham = Item(id="b", event_time=0, text="see you at lunch")
    proba = model.predict_proba_many([spam, ham])
    assert proba[0, 1] > 0.8 > 0.2 > proba[1, 1]


def test_the_factory_builds_committee_models() -> None:
    model = make_model("torch_mlp", classes=["neg", "pos"], seed=3)
    assert isinstance(model, TorchModel)
    assert isinstance(model, CommitteeModel)
    assert model.preferred_chunk >= 32
    ensemble = make_model("torch_ensemble", classes=["neg", "pos"])
    assert isinstance(ensemble, CommitteeModel)
    assert ensemble.predict_member_proba_many([separable(1)[0][0]]).shape == (5, 1, 2)


@pytest.mark.parametrize("rule", ["bald", "variance"])
def test_bald_and_variance_drive_a_simulation_end_to_end(rule: str) -> None:
    stream = open_stream("synth:sea?n=3000", seed=0)
    majority = max(sum(1 for e in stream if e.label == c) for c in stream.info.classes or []) / 3000
    model = make_model("torch_mlp", classes=stream.info.classes, seed=0)
    result = simulate(stream, model, make_rule(rule, 0.1, seed=0))
    assert 0 < result.labels <= 1 + 0.1 * 3000 * 1.05
    assert model.n_learned == result.labels
    assert result.accuracy > majority + 0.1, (result.accuracy, majority)


def test_the_torch_thread_setting_is_put_back() -> None:
    before = torch.get_num_threads()
    model = _trained(50, threads=1)
    model.predict_member_proba_many([x for x, _ in separable(5)])
    assert torch.get_num_threads() == before

"""Torch checkpoints round-trip exactly, and nothing but tensors and plain values is loaded."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_support import FakeEmbedder, separable  # noqa: E402

from stream_al.exceptions import ModelError  # noqa: E402
from stream_al.items import Item  # noqa: E402
from stream_al.model.torch_checkpoint import (  # noqa: E402
    FORMAT_VERSION,
    content_digest,
    dump_state,
)
from stream_al.model.torch_config import TorchConfig  # noqa: E402
from stream_al.model.torch_model import TorchModel  # noqa: E402
from stream_al.store import MemoryStore, StoreError, load_pickle  # noqa: E402
from stream_al.store.checkpoint import (  # noqa: E402
    TORCH_FORMAT,
    load_checkpoint,
    save_checkpoint,
)

#: Calls made by unpickling `Booby`; must stay empty.
TRIGGERED: list[str] = []


def _trigger(message: str) -> None:
    TRIGGERED.append(message)


class Booby:
    """Unpickling it runs code: what a malicious checkpoint would do."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_trigger, ("code ran",))


def _trained(n: int = 150, **kwargs: object) -> TorchModel:
    model = TorchModel(["neg", "pos"], TorchConfig(batch_size=8), **kwargs)  # type: ignore[arg-type]
    for item, label in separable(n):
        model.observe(item)
        model.learn_one(item, label)
    return model


def _probe() -> list[Item]:
    return [x for x, _ in separable(40, seed=11)]


@pytest.mark.parametrize("members", [1, 3])
def test_a_round_trip_gives_identical_predictions_and_learning(
    tmp_path: Path, members: int
) -> None:
    model = TorchModel(["neg", "pos"], TorchConfig(batch_size=8, members=members), seed=5)
    for item, label in separable(150):
        model.observe(item)
        model.learn_one(item, label)
    model.learn_one(separable(1, seed=3)[0][0], "pos")  # a label still pending in the batch
    model.save(tmp_path / "m.pt")
    loaded = TorchModel.load(tmp_path / "m.pt")
    items = _probe()
    assert loaded.classes == model.classes
    assert loaded.n_learned == model.n_learned == 151
    assert len(loaded.replay) == len(model.replay)
    np.testing.assert_array_equal(loaded.predict_proba_many(items), model.predict_proba_many(items))
    np.testing.assert_array_equal(
        loaded.predict_member_proba_many(items), model.predict_member_proba_many(items)
    )
    for item, label in separable(60, seed=8):  # same optimiser state, replay and generators
        for m in (model, loaded):
            m.observe(item)
            m.learn_one(item, label)
    np.testing.assert_array_equal(loaded.predict_proba_many(items), model.predict_proba_many(items))


def test_a_grown_model_round_trips() -> None:
    model = _trained(40)
    model.learn_one(Item(id="x", event_time=0, features={"a": 3.0}), "third")
    loaded = TorchModel.from_bytes(model.to_bytes())
    assert loaded.classes == ["neg", "pos", "third"]
    np.testing.assert_array_equal(
        loaded.predict_proba_many(_probe()), model.predict_proba_many(_probe())
    )


def test_a_file_with_a_pickled_object_is_refused(tmp_path: Path) -> None:
    state = _trained(20).state()
    state["extra"] = Booby()
    torch.save(state, tmp_path / "evil.pt")
    with pytest.raises(ModelError, match=r"evil\.pt: not a torch checkpoint.*refused"):
        TorchModel.load(tmp_path / "evil.pt")
    assert TRIGGERED == []


def test_a_wrong_format_version_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    state = _trained(20).state()
    state["meta"]["format_version"] = FORMAT_VERSION + 1
    torch.save(state, tmp_path / "future.pt")
    with pytest.raises(ModelError, match=r"future\.pt: checkpoint format version 2.*retrain"):
        TorchModel.load(tmp_path / "future.pt")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"not a checkpoint at all",
        lambda data: data[:100] + bytes(b ^ 0xFF for b in data[100:200]) + data[200:],
    ],
)
def test_a_damaged_file_is_a_model_error(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(damage(_trained(20).to_bytes()))  # type: ignore[operator]
    with pytest.raises(ModelError, match=r"bad\.pt"):
        TorchModel.load(path)


def test_an_edited_tensor_fails_the_digest(tmp_path: Path) -> None:
    state = _trained(20).state()
    digest = content_digest(state)
    state["network"]["w1"][0, 0, 0] += 1.0  # after the digest was taken
    torch.save({**state, "digest": digest}, tmp_path / "edited.pt")
    with pytest.raises(ModelError, match=r"edited\.pt: .* does not match its SHA-256 digest"):
        TorchModel.load(tmp_path / "edited.pt")


def test_tensors_that_do_not_fit_the_metadata_are_refused(tmp_path: Path) -> None:
    state = _trained(20).state()
    state["network"]["w2"] = torch.zeros(1, 64, 5)
    (tmp_path / "altered.pt").write_bytes(dump_state(state))  # a consistent digest
    with pytest.raises(ModelError, match=r"altered\.pt: the checkpoint's tensors do not match"):
        TorchModel.load(tmp_path / "altered.pt")


def test_bad_metadata_is_refused() -> None:
    state = _trained(20).state()
    state["meta"]["config"]["hidden"] = -3
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with pytest.raises(ModelError, match="upload: bad checkpoint metadata"):
        TorchModel.from_bytes(buffer.getvalue(), source="upload")


def test_a_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read torch checkpoint"):
        TorchModel.load(tmp_path / "absent.pt")


def test_a_text_model_needs_its_embedder_back(tmp_path: Path) -> None:
    model = TorchModel(["ham", "spam"], TorchConfig(batch_size=4), embedder=FakeEmbedder(4))
    texts = [("win cash", "spam"), ("lunch at noon", "ham")] * 10
    for i, (text, label) in enumerate(texts):
        model.learn_one(Item(id=str(i), event_time=i, text=text), label)
    model.save(tmp_path / "text.pt")
    with pytest.raises(ModelError, match="trained on text embedded by fake-embedder"):
        TorchModel.load(tmp_path / "text.pt")
    with pytest.raises(ModelError, match="this embedder gives 8"):
        TorchModel.load(tmp_path / "text.pt", embedder=FakeEmbedder(8))
    loaded = TorchModel.load(tmp_path / "text.pt", embedder=FakeEmbedder(4))
    items = [Item(id="q", event_time=0, text="win cash"), Item(id="r", event_time=0, text="x")]
    np.testing.assert_array_equal(loaded.predict_proba_many(items), model.predict_proba_many(items))


def test_the_store_keeps_torch_models_as_tensors_not_pickles() -> None:
    store = MemoryStore()
    model = _trained(60)
    save_checkpoint(store, "net", "1", model, {"metrics": {"labels": 60}})
    loaded, metadata = load_checkpoint(store, "net")
    assert metadata["format"] == TORCH_FORMAT
    assert metadata["metrics"] == {"labels": 60}
    assert isinstance(loaded, TorchModel)
    np.testing.assert_array_equal(
        loaded.predict_proba_many(_probe()), model.predict_proba_many(_probe())
    )
    with pytest.raises(StoreError, match="not a pickle"):
        load_pickle(store, "net")
    save_checkpoint(store, "plain", "1", {"weights": [1.0]}, {})  # anything else: a pickle
    assert load_checkpoint(store, "plain") == ({"weights": [1.0]}, {"format": "pickle"})

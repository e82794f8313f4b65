"""Pickled checkpoints are only unpickled after the store verified it wrote them."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

import pytest

from stream_al.store import (
    IntegrityCheckError,
    MemoryStore,
    SqliteStore,
    StoreError,
    load_pickle,
    save_pickle,
)

#: Calls made by unpickling `Booby`; must stay empty.
TRIGGERED: list[str] = []


def _trigger(message: str) -> None:
    TRIGGERED.append(message)


class Booby:
    """Unpickling it runs code: what a malicious checkpoint would do."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_trigger, ("code ran",))


def test_a_model_round_trips(tmp_path: Path) -> None:
    for store in (MemoryStore(), SqliteStore(tmp_path / "s.db")):
        model = {"weights": [0.25, -1.5], "classes": ("a", "b")}
        save_pickle(store, "clf", "1", model, {"labels": 40})
        assert load_pickle(store, "clf") == (model, {"format": "pickle", "labels": 40})
        store.close()


def test_a_swapped_pickle_is_never_unpickled(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        save_pickle(store, "clf", "1", {"weights": [1.0]}, {})
    with sqlite3.connect(tmp_path / "s.db") as raw:
        raw.execute("UPDATE models SET blob = ?", (pickle.dumps(Booby()),))
    with SqliteStore(tmp_path / "s.db") as store, pytest.raises(IntegrityCheckError):
        load_pickle(store, "clf")
    assert TRIGGERED == []


def test_a_blob_of_another_format_is_not_unpickled() -> None:
    store = MemoryStore()
    store.save_model("net", "1", b"tensors", {"format": "torch_state_dict"})
    with pytest.raises(StoreError, match="stored as 'torch_state_dict', not a pickle"):
        load_pickle(store, "net")

"""The `Store` contract, run on both backends: idempotent writes, atomic transactions."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from stream_al.drift.alerts import DriftAlert
from stream_al.queue import Task, TaskRecord, TaskState
from stream_al.rules.base import Decision
from stream_al.store import (
    DecisionRow,
    IntegrityCheckError,
    LabelConflictError,
    MemoryStore,
    SqliteStore,
    Store,
    StoreError,
    UnknownModelError,
)


@pytest.fixture(params=["memory", "sqlite"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    backend: Store
    if request.param == "memory":
        backend = MemoryStore()
    else:
        backend = SqliteStore(tmp_path_factory.mktemp("store") / "store.db")
    yield backend
    backend.close()


def alert(position: int = 100, statistic: float = 0.3) -> DriftAlert:
    return DriftAlert(
        kind="drift",
        severity="critical",
        detector="adwin",
        source="labelled",
        statistic=statistic,
        position=position,
        time=12.5,
        message="error rate rose",
    )


def decision(item_id: str, score: float = 0.4, time: float = 1.0) -> DecisionRow:
    return DecisionRow(
        item_id=item_id,
        time=time,
        score=score,
        threshold=0.3,
        query=True,
        reason="uncertain",
        components={"margin": score, "density": 0.5},
        model_version="v1",
    )


def tamper(store: Store, name: str, version: str, **changes: object) -> None:
    """Change a stored model behind the store's back (as someone editing the file would)."""
    if isinstance(store, MemoryStore):
        key = (name, version)
        model = store._models[key]
        blob = changes.get("blob", model.blob)
        assert isinstance(blob, bytes)
        info = replace(model.info, digest=str(changes.get("digest", model.info.digest)))
        meta = str(changes.get("metadata", model.metadata_json))
        store._models[key] = replace(model, info=info, blob=blob, metadata_json=meta)
        return
    assert isinstance(store, SqliteStore)
    with sqlite3.connect(store.path) as raw:
        for column, value in changes.items():
            raw.execute(
                f"UPDATE models SET {column} = ? WHERE name = ? AND version = ?",
                (value, name, version),
            )


# -- labels --------------------------------------------------------------------------


def test_a_label_is_stored_once_per_item_and_annotator(store: Store) -> None:
    assert store.add_label("i1", "cat", annotator="ana", time=1.0) is True
    assert store.add_label("i1", "cat", annotator="ana", time=9.0) is False  # a replay
    assert store.add_label("i1", "dog", annotator="bob", time=2.0) is True
    labels = store.labels_for("i1")
    assert [(r.label, r.annotator, r.time, r.source) for r in labels] == [
        ("cat", "ana", 1.0, "human"),
        ("dog", "bob", 2.0, "human"),
    ]
    assert len(list(store.iter_labels())) == 2


def test_a_different_label_from_the_same_annotator_is_refused(store: Store) -> None:
    store.add_label("i1", "cat", annotator="ana", time=1.0)
    with pytest.raises(LabelConflictError, match=r"item 'i1' already has label 'cat'.*'ana'"):
        store.add_label("i1", "dog", annotator="ana", time=2.0)
    assert [r.label for r in store.labels_for("i1")] == ["cat"]


def test_label_types_survive_and_true_is_not_one(store: Store) -> None:
    store.add_label("n", 1, annotator="ana", time=0.0)
    store.add_label("b", True, annotator="ana", time=0.0, source="pseudo")
    assert [(r.label, type(r.label)) for r in store.iter_labels()] == [(1, int), (True, bool)]
    assert store.labels_for("b")[0].source == "pseudo"
    with pytest.raises(LabelConflictError):
        store.add_label("n", True, annotator="ana", time=0.0)


def test_iter_labels_resumes_after_a_rowid(store: Store) -> None:
    for i in range(5):
        store.add_label(f"i{i}", "x", annotator="ana", time=float(i))
    first = list(store.iter_labels(limit=2))
    rest = list(store.iter_labels(since_rowid=first[-1].rowid))
    assert [r.item_id for r in first + rest] == [f"i{i}" for i in range(5)]
    assert [r.rowid for r in first + rest] == sorted(r.rowid for r in first + rest)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("", "x", "ana"), "non-empty string item id"),
        (("i", 0.5, "ana"), "must be a str, int or bool"),
        (("i", "x", ""), "non-empty annotator"),
    ],
)
def test_malformed_labels_are_refused(
    store: Store, args: tuple[str, object, str], match: str
) -> None:
    item_id, label, annotator = args
    with pytest.raises(StoreError, match=match):
        store.add_label(item_id, label, annotator, time=0.0)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="source must be one of"):
        store.add_label("i", "x", "ana", time=0.0, source="robot")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="time must be a finite number"):
        store.add_label("i", "x", "ana", time=math.nan)
    with pytest.raises(StoreError, match="seconds must be a finite number >= 0"):
        store.add_label("i", "x", "ana", time=0.0, seconds=-1.0)
    assert list(store.iter_labels()) == []


def test_a_label_keeps_the_seconds_it_took(store: Store) -> None:
    store.add_label("i", "x", "ana", time=1.0, seconds=12.5)
    store.add_label("i", "x", "bob", time=2.0)
    assert [(r.annotator, r.seconds) for r in store.labels_for("i")] == [
        ("ana", 12.5),
        ("bob", None),
    ]


def test_disputed_items_disagree_and_have_no_review_label(store: Store) -> None:
    store.add_label("agree", "cat", "ana", time=1.0)
    store.add_label("agree", "cat", "bob", time=1.0)
    store.add_label("fight", "cat", "ana", time=2.0)
    store.add_label("fight", "dog", "bob", time=2.0)
    store.add_label("settled", True, "ana", time=3.0)
    store.add_label("settled", 1, "bob", time=3.0)  # True is not 1: they disagree
    store.add_label("settled", 1, "review:root", time=4.0, source="review")
    store.add_label("later", True, "ana", time=5.0)
    store.add_label("later", 1, "bob", time=5.0)
    store.add_label("pseudo", "cat", "ana", time=6.0)
    store.add_label("pseudo", "dog", "model", time=6.0, source="pseudo")
    assert store.disputed() == ["fight", "later"]
    assert store.disputed(limit=1) == ["fight"]


# -- processed items -----------------------------------------------------------------


def test_mark_seen_returns_only_new_ids(store: Store) -> None:
    assert store.mark_seen(["a", "b", "a"], at=1.0) == {"a", "b"}
    assert store.mark_seen(["b", "c"], at=2.0) == {"c"}
    assert store.mark_seen([]) == set()
    assert store.seen(["a", "c", "z"]) == {"a", "c"}  # reading changes nothing
    assert store.mark_seen(["z"]) == {"z"}
    with pytest.raises(StoreError, match="mark_seen needs a non-empty string item id, got 7"):
        store.mark_seen(["y", 7])  # type: ignore[list-item]
    assert store.seen(["y"]) == set()  # the batch is all or nothing


def test_prune_seen_keeps_the_newest(store: Store) -> None:
    for i in range(10):
        store.mark_seen([f"e{i}"], at=float(i))
    assert store.prune_seen(keep_last=6) == 4
    assert store.seen([f"e{i}" for i in range(10)]) == {f"e{i}" for i in range(4, 10)}
    assert store.prune_seen(older_than=8.0) == 4
    assert store.seen([f"e{i}" for i in range(10)]) == {"e8", "e9"}
    assert store.mark_seen(["e0"]) == {"e0"}  # forgotten: a replay this old is processed again


# -- decision log --------------------------------------------------------------------


def test_decisions_are_logged_once_per_item(store: Store) -> None:
    assert store.log_decisions([decision("a"), decision("b")]) == 2
    assert store.log_decisions([decision("a", score=0.9), decision("c")]) == 1
    assert store.decision_for("a") == decision("a")  # the first one stays
    assert store.decision_for("zzz") is None
    assert [row.item_id for _, row in store.iter_decisions()] == ["a", "b", "c"]
    rowid, _ = next(store.iter_decisions())
    assert [row.item_id for _, row in store.iter_decisions(since_rowid=rowid, limit=1)] == ["b"]


def test_a_decision_round_trips_from_a_rule(store: Store) -> None:
    made = Decision(False, math.nan, math.nan, "no_budget", random=False, components={})
    store.log_decisions([DecisionRow.from_decision("x", 5.0, made, model_version=None)])
    row = store.decision_for("x")
    assert row is not None
    assert (row.query, row.reason, row.model_version) == (False, "no_budget", None)
    assert math.isnan(row.threshold)
    assert math.isnan(row.score)


def test_prune_decisions_by_time(store: Store) -> None:
    store.log_decisions(decision(f"d{i}", time=float(i)) for i in range(5))
    assert store.prune_decisions(older_than=3.0) == 3
    assert [row.item_id for _, row in store.iter_decisions()] == ["d3", "d4"]


# -- drift events, budget state ------------------------------------------------------


def test_drift_events_are_recorded_once(store: Store) -> None:
    assert store.log_drift(alert(100)) is True
    assert store.log_drift(alert(100, statistic=0.9)) is False  # same alert, replayed
    assert store.log_drift(alert(250, statistic=math.nan)) is True
    events = store.drift_events()
    assert [e.alert.position for e in events] == [100, 250]
    assert events[0].alert == alert(100)
    assert math.isnan(events[1].alert.statistic)
    assert [e.alert.position for e in store.drift_events(since_rowid=events[0].rowid)] == [250]


def test_budget_state_is_replaced(store: Store) -> None:
    assert store.load_budget_state() is None
    store.save_budget_state({"spent": 3, "window": [0.1, 0.2]})
    store.save_budget_state({"spent": 4, "window": [0.2]})
    assert store.load_budget_state() == {"spent": 4, "window": [0.2]}
    assert store.load_state("other") is None
    with pytest.raises(StoreError, match="state 'budget' is not JSON-serialisable"):
        store.save_budget_state({"when": object()})


def test_states_are_read_by_exact_prefix(store: Store) -> None:
    store.save_state("metrics:0", {"n": 0})
    store.save_state("metrics:1", {"n": 1})
    store.save_state("Metrics:2", {"n": 2})  # another case: another prefix
    store.save_state("metricsx", {"n": 3})
    store.save_state("m_trics:4", {"n": 4})  # "_" is no wildcard
    assert store.states("metrics:") == {"metrics:0": {"n": 0}, "metrics:1": {"n": 1}}
    assert store.states("m_") == {"m_trics:4": {"n": 4}}
    assert store.states("none:") == {}


# -- model versions ------------------------------------------------------------------


def test_models_are_saved_and_the_latest_is_loaded(store: Store) -> None:
    d1 = store.save_model("clf", "1", b"one", {"acc": 0.8}, created=10.0)
    d2 = store.save_model("clf", "2", b"two", {"acc": 0.9}, created=20.0)
    assert d1 != d2
    assert store.load_model("clf") == (b"two", {"acc": 0.9})
    assert store.load_model("clf", "1") == (b"one", {"acc": 0.8})
    versions = store.model_versions("clf")
    assert [(v.version, v.created, v.size, v.digest) for v in versions] == [
        ("1", 10.0, 3, d1),
        ("2", 20.0, 3, d2),
    ]


def test_model_versions_are_immutable(store: Store) -> None:
    digest = store.save_model("clf", "1", b"one", {"acc": 0.8})
    assert store.save_model("clf", "1", b"one", {"acc": 0.8}) == digest  # idempotent
    with pytest.raises(StoreError, match="'clf' version '1' is already saved"):
        store.save_model("clf", "1", b"other", {"acc": 0.8})
    assert store.load_model("clf") == (b"one", {"acc": 0.8})


def test_an_unknown_model_is_a_clear_error(store: Store) -> None:
    with pytest.raises(UnknownModelError, match="no model 'clf'"):
        store.load_model("clf")
    store.save_model("clf", "1", b"one", {})
    with pytest.raises(UnknownModelError, match="no model 'clf' version '9'"):
        store.load_model("clf", "9")


def test_a_tampered_blob_is_refused(store: Store) -> None:
    store.save_model("clf", "1", b"weights", {"acc": 0.8})
    tamper(store, "clf", "1", blob=b"evil pickle")
    with pytest.raises(IntegrityCheckError, match="does not match its SHA-256 digest"):
        store.load_model("clf", "1")


def test_a_forged_blob_with_its_digest_is_refused(store: Store) -> None:
    import hashlib

    store.save_model("clf", "1", b"weights", {"acc": 0.8})
    evil = b"evil pickle"
    tamper(store, "clf", "1", blob=evil, digest=hashlib.sha256(evil).hexdigest())
    with pytest.raises(IntegrityCheckError, match="not written by this store"):
        store.load_model("clf")


def test_tampered_metadata_is_refused(store: Store) -> None:
    store.save_model("clf", "1", b"weights", {"format": "torch"})
    tamper(store, "clf", "1", metadata='{"format":"pickle"}')
    with pytest.raises(IntegrityCheckError, match="HMAC mismatch"):
        store.load_model("clf")


# -- transactions --------------------------------------------------------------------


def write_everything(store: Store, tag: str) -> None:
    store.add_label(f"{tag}-item", "cat", annotator="ana", time=1.0)
    store.mark_seen([f"{tag}-item"])
    store.log_decisions([decision(f"{tag}-item")])
    store.log_drift(alert(sum(map(ord, tag))))
    store.save_model("clf", tag, b"w", {})
    store.save_budget_state({"tag": tag})
    store.queue_store().save(TaskRecord(Task(f"{tag}-item", 0.5, 0.0), TaskState.QUEUED, 0.0))


def contents(store: Store) -> tuple[object, ...]:
    return (
        [(r.item_id, r.label) for r in store.iter_labels()],
        [row.item_id for _, row in store.iter_decisions()],
        [e.alert.position for e in store.drift_events()],
        [v.version for v in store.model_versions("clf")],
        store.load_budget_state(),
        sorted(r.item_id for r in store.queue_store().records()),
    )


def in_one_transaction(store: Store, work: Callable[[], None], crash: bool = False) -> None:
    with store.transaction():
        work()
        if crash:
            raise RuntimeError("crash before the commit")


def test_a_failing_transaction_leaves_nothing_behind(store: Store) -> None:
    write_everything(store, "kept")
    before = contents(store)
    with pytest.raises(RuntimeError, match="crash"):
        in_one_transaction(store, lambda: write_everything(store, "lost"), crash=True)
    assert contents(store) == before
    assert store.seen(["lost-item"]) == set()
    write_everything(store, "lost")  # nothing of it was half-written
    assert len(contents(store)[0]) == 2  # type: ignore[arg-type]


def test_a_failing_inner_block_rolls_back_only_itself(store: Store) -> None:
    with store.transaction():
        store.add_label("outer", "x", annotator="ana", time=0.0)

        def inner() -> None:
            store.add_label("inner", "x", annotator="ana", time=0.0)
            store.add_label("outer", "y", annotator="ana", time=0.0)  # conflict: raises

        with pytest.raises(LabelConflictError):
            in_one_transaction(store, inner)
        store.mark_seen(["after"])
    assert [r.item_id for r in store.iter_labels()] == ["outer"]
    assert store.seen(["after", "inner"]) == {"after"}


def test_a_failing_write_inside_a_batch_undoes_the_batch(store: Store) -> None:
    store.add_label("i1", "cat", annotator="ana", time=0.0)

    def batch() -> None:
        store.mark_seen(["i2", "i3"])
        store.add_label("i2", "dog", annotator="ana", time=0.0)
        store.add_label("i1", "dog", annotator="ana", time=0.0)

    with pytest.raises(LabelConflictError):
        in_one_transaction(store, batch)
    assert store.seen(["i2", "i3"]) == set()
    assert [r.item_id for r in store.iter_labels()] == ["i1"]


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.mark_seen(["a"])

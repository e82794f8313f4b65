"""What only the SQLite store does: WAL on disk, restarts, several processes, the key file."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from stream_al.drift.alerts import DriftAlert
from stream_al.store import (
    DecisionRow,
    IntegrityCheckError,
    MemoryStore,
    SqliteStore,
    StoreError,
    open_store,
)
from stream_al.store.schema import SCHEMA_VERSION

WRITERS = 4
LABELS_EACH = 60


def test_the_database_is_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        assert store.pragma("journal_mode") == "wal"
        assert store.pragma("synchronous") == 2  # FULL
        assert store.pragma("busy_timeout") == 30_000
        store.mark_seen(["a"])
        assert (tmp_path / "s.db-wal").exists()
    with sqlite3.connect(tmp_path / "s.db") as raw:  # WAL is a property of the file
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_normal_sync_can_be_chosen(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db", synchronous="normal", busy_timeout=2.5) as store:
        assert (store.pragma("synchronous"), store.pragma("busy_timeout")) == (1, 2500)
    with pytest.raises(StoreError, match="synchronous must be 'full' or 'normal'"):
        SqliteStore(tmp_path / "t.db", synchronous="off")  # type: ignore[arg-type]


def test_a_commit_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    """Durable when the block exits: that is when Kafka offsets may be committed."""
    with SqliteStore(tmp_path / "s.db") as store:
        with store.transaction():
            store.add_label("i1", "cat", annotator="ana", time=1.0)
            with sqlite3.connect(tmp_path / "s.db") as raw:
                assert raw.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0
        with sqlite3.connect(tmp_path / "s.db") as raw:
            assert raw.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    alert = DriftAlert(
        kind="drift",
        severity="warning",
        detector="uncertainty_ks",
        source="label_free",
        statistic=0.2,
        position=7,
        time=1.0,
        message="uncertainty shifted",
    )
    row = DecisionRow("i1", 1.0, 0.4, 0.3, True, "uncertain", components={"margin": 0.4})
    with SqliteStore(tmp_path / "s.db") as store, store.transaction():
        store.add_label("i1", "cat", annotator="ana", time=1.0)
        store.mark_seen(["i1", "i2"])
        store.log_decisions([row])
        store.log_drift(alert)
        store.save_model("clf", "1", b"\x00weights\xff", {"labels": 10})
        store.save_budget_state({"spent": 2})
    with SqliteStore(tmp_path / "s.db") as store:
        assert [r.label for r in store.labels_for("i1")] == ["cat"]
        assert store.mark_seen(["i1", "i2", "i3"]) == {"i3"}
        assert store.decision_for("i1") == row
        assert [e.alert for e in store.drift_events()] == [alert]
        assert store.load_model("clf") == (b"\x00weights\xff", {"labels": 10})
        assert store.load_budget_state() == {"spent": 2}


def _write_labels(path: str, writer: int) -> int:
    """One process: its own labels, and an overlapping set of seen ids."""
    new = 0
    with SqliteStore(path, busy_timeout=60.0) as store:
        for i in range(LABELS_EACH):
            with store.transaction():
                store.add_label(f"w{writer}-{i}", "x", annotator=f"a{writer}", time=float(i))
                store.add_label(f"shared-{i}", "x", annotator="everyone", time=float(i))
                new += len(store.mark_seen([f"shared-{i}", f"w{writer}-{i}"]))
    return new


@pytest.mark.slow
def test_processes_writing_together_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore(path).close()  # create the schema once
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        new_per_writer = pool.starmap(_write_labels, [(str(path), w) for w in range(WRITERS)])
    with SqliteStore(path) as store:
        labels = list(store.iter_labels())
        own = [r for r in labels if r.annotator != "everyone"]
        shared = [r for r in labels if r.annotator == "everyone"]
        assert len(own) == WRITERS * LABELS_EACH
        assert len(shared) == LABELS_EACH  # idempotent across processes
        assert len({r.rowid for r in labels}) == len(labels)
    # every id was new for exactly one process
    assert sum(new_per_writer) == WRITERS * LABELS_EACH + LABELS_EACH


def test_threads_can_share_one_store(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:

        def work(t: int) -> None:
            for i in range(50):
                with store.transaction():
                    store.mark_seen([f"{t}-{i}"])
                    store.add_label(f"{t}-{i}", "x", annotator="ana", time=0.0)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(list(store.iter_labels())) == 200


def test_the_key_file_is_private_created_on_first_use_and_shared(tmp_path: Path) -> None:
    key = tmp_path / "s.db.key"
    with SqliteStore(tmp_path / "s.db") as store:
        store.mark_seen(["a"])
        assert not key.exists()
        store.save_model("clf", "1", b"w", {})
        assert key.exists()
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with SqliteStore(tmp_path / "s.db") as again:  # another process, same key
        assert again.load_model("clf") == (b"w", {})


def test_a_database_copied_without_its_key_does_not_verify(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        store.save_model("clf", "1", b"w", {})
    other_key = tmp_path / "other.key"
    with (
        SqliteStore(tmp_path / "s.db", key_path=other_key) as store,
        pytest.raises(IntegrityCheckError, match="not written by this store"),
    ):
        store.load_model("clf")


def test_a_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "s.db.key").write_bytes(b"short")
    with (
        SqliteStore(tmp_path / "s.db") as store,
        pytest.raises(StoreError, match=r"key file .*s\.db\.key is damaged"),
    ):
        store.save_model("clf", "1", b"w", {})


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this stream-al"):
        SqliteStore(tmp_path / "s.db")


def test_a_version_1_file_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "s.db") as raw:  # the tables as version 1 made them
        raw.execute(
            "CREATE TABLE labels (item_id TEXT NOT NULL, annotator TEXT NOT NULL, "
            "label TEXT NOT NULL, source TEXT NOT NULL, time FLOAT NOT NULL)"
        )
        raw.execute("INSERT INTO labels VALUES ('7', 'ana', '\"cat\"', 'human', 1.0)")
        raw.execute(
            "CREATE TABLE queue_tasks (item_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
            "live INTEGER NOT NULL, state TEXT NOT NULL, at FLOAT NOT NULL, "
            "score FLOAT NOT NULL, arrival FLOAT NOT NULL, payload TEXT, classes TEXT, "
            "lease TEXT, skips INTEGER NOT NULL, skipped_by TEXT)"
        )
        raw.execute(
            "INSERT INTO queue_tasks VALUES ('8', 1, 1, 'queued', 0.0, 0.5, 0.0, 'null', "
            "'[]', NULL, 0, '[]')"
        )
        raw.execute("PRAGMA user_version = 1")
    with SqliteStore(tmp_path / "s.db") as store:
        assert [(r.label, r.seconds) for r in store.labels_for("7")] == [("cat", None)]
        (record,) = store.queue_store().records()
        assert (record.item_id, record.wanted, record.labelled_by) == ("8", 1, ())
        store.add_label("9", "dog", "bob", time=2.0, seconds=3.0)
        assert store.labels_for("9")[0].seconds == 3.0
    with sqlite3.connect(tmp_path / "s.db") as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


def test_bad_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="use MemoryStore"):
        SqliteStore(":memory:")
    with pytest.raises(StoreError, match=r"cannot open store .*missing"):
        SqliteStore(tmp_path / "missing" / "s.db")
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        SqliteStore(tmp_path / "junk.db")


def test_a_store_used_after_fork_refuses(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        store._conn._pid = os.getpid() + 1  # as if this were a forked child
        with pytest.raises(StoreError, match="open the store in each process"):
            store.mark_seen(["a"])
        store._conn._pid = os.getpid()


def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_store(":memory:"), MemoryStore)
    store = open_store(tmp_path / "s.db", synchronous="normal")
    assert isinstance(store, SqliteStore)
    assert store.pragma("synchronous") == 1
    store.close()

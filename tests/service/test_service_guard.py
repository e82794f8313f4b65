"""`BatchGuard`: a failing batch is retried, then isolated; an outage is waited out."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.drift.alerts import DriftAlert
from stream_al.service.counters import StreamCounters, counters_key
from stream_al.service.guard import BatchGuard
from stream_al.service.health import Health
from stream_al.service.wiring import build_roles, build_transport
from stream_al.store.errors import StoreError
from stream_al.transport.backoff import Backoff
from stream_al.transport.base import Offsets, Record, TopicPartition
from stream_al.transport.codec import encode_event, encode_label
from stream_al.transport.dead_letter import read_dead_letter
from stream_al.transport.memory import MemoryBroker

FAST = Backoff(initial=0.001, maximum=0.002, jitter=0.0)


def _records(*values: bytes) -> list[Record]:
    return [Record("events", 0, n, b"k%d" % n, v, 0) for n, v in enumerate(values)]


class Harness:
    """A guard over a handler that records what it handled and fails as told."""

    def __init__(self, fail: Callable[[Sequence[Record]], Exception | None]) -> None:
        self.broker = MemoryBroker()
        self.handled: list[bytes] = []
        self.committed: list[Offsets] = []
        self.alerts: list[DriftAlert] = []
        self.rewound = 0
        self.health = Health()
        self.stop = threading.Event()
        self.fail = fail

        def handle(records: Sequence[Record], commit: Callable[[Offsets], None]) -> None:
            error = self.fail(records)
            if error is not None:
                raise error
            self.handled.extend(r.value for r in records)
            commit({TopicPartition("events", 0): records[-1].offset + 1})

        def rewind() -> None:
            self.rewound += 1

        self.guard = BatchGuard(
            "scorer",
            handle,
            self.committed.append,
            self.broker.producer(),
            "dlq",
            threading.RLock(),
            self.stop,
            StreamCounters(),
            max_failures=3,
            backoff=FAST,
            rewind=rewind,
            alert=self.alerts.append,
            health=self.health,
        )


def test_a_record_that_keeps_failing_is_isolated_and_the_rest_go_through() -> None:
    def fail(records: Sequence[Record]) -> Exception | None:
        bad = any(r.value == b"poison" for r in records)
        return OverflowError("int too large to convert to float") if bad else None

    h = Harness(fail)
    h.guard(_records(b"a", b"poison", b"c"))
    assert h.handled == [b"a", b"c"]
    [letter] = h.broker.read("dlq")
    dead = read_dead_letter(letter.value, letter.key)
    assert dead.original == b"poison"
    assert dead.source.where == "events[0]@1"
    assert "OverflowError: int too large" in dead.error
    assert h.committed[-1] == {TopicPartition("events", 0): 3}  # the stream moved on
    assert h.guard.counters.batch_failures == 3 + 1  # three on the batch, one alone
    assert h.guard.counters.dead_lettered == {"failure": 1}
    assert h.rewound == h.guard.counters.batch_failures
    [alert] = h.alerts
    assert (alert.kind, alert.severity, alert.source) == ("stream_failure", "critical", "stream")
    assert "events[0]@1" in alert.message
    assert h.health.ok  # the last batch went through


def test_a_failure_that_goes_away_is_retried_and_nothing_is_dead_lettered() -> None:
    failures = iter([ValueError("flaky"), ValueError("flaky")])
    h = Harness(lambda records: next(failures, None))
    h.guard(_records(b"a", b"b"))
    assert h.handled == [b"a", b"b"]
    assert h.broker.read("dlq") == []
    assert h.guard.counters.batch_failures == 2
    assert h.alerts == []


def test_a_store_outage_is_waited_out_however_long_and_never_isolated() -> None:
    attempts: list[int] = []
    seen: list[dict[str, str]] = []

    def fail(records: Sequence[Record]) -> Exception | None:
        attempts.append(len(records))
        if len(attempts) <= 10:  # far past max_failures
            seen.append(h.health.waiting())
            return (
                StoreError("database or disk is full")
                if len(attempts) % 2
                else (sqlite3.OperationalError("database is locked"))
            )
        return None

    h = Harness(fail)
    h.guard(_records(b"a", b"b", b"c"))
    assert attempts == [3] * 11  # always the whole batch: an outage is nobody's record
    assert h.handled == [b"a", b"b", b"c"]
    assert h.broker.read("dlq") == []
    assert seen[1]["scorer"].startswith("failing (StoreError: database or disk is full) since ")
    assert seen[2]["scorer"].startswith("failing (OperationalError: database is locked) since ")
    assert h.health.ok


def test_a_stop_during_the_backoff_leaves_the_batch_uncommitted() -> None:
    h = Harness(lambda records: ValueError("bug"))
    h.stop.set()
    h.guard(_records(b"a"))
    assert h.handled == []
    assert h.committed == []  # read again after the restart
    assert h.broker.read("dlq") == []


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        store={"path": str(tmp_path / "s.db")},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.2, "seed": 3},
        api={"enabled": False},
        lag={"pace_budget": False},
    )


def _decisions(tmp_path: Path, fail_once: bool) -> tuple[list[tuple[str, bool]], object]:
    """The scorer's decisions on one stream, with or without one failed store transaction."""
    tmp_path.mkdir()
    settings = _settings(tmp_path)
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue"})
    assert roles.scorer is not None
    assert roles.store is not None
    store = roles.store
    producer = broker.producer()
    for example in open_stream("synth:sea?n=600", seed=1):
        producer.send(settings.kafka.input_topic, encode_event(example))
    if fail_once:
        mark_seen = store.mark_seen
        calls = []

        def flaky(ids: Sequence[str]) -> None:
            calls.append(1)
            if len(calls) == 2:  # the second batch's transaction fails once
                raise sqlite3.OperationalError("disk I/O error")
            mark_seen(ids)

        store.mark_seen = flaky  # type: ignore[method-assign]
    events, guard = roles.loops[0]
    guard.backoff = FAST
    while records := events.poll(200, timeout_ms=0):
        guard(records)
    rows = [(d.item_id, d.query) for _, d in store.iter_decisions()]
    budget = (roles.scorer.position, roles.scorer.rule.budget.state())
    saved = store.load_state(counters_key("scorer"))
    assert saved is not None
    assert StreamCounters.from_state(saved).scored == 600
    assert StreamCounters.from_state(saved).batch_failures == (1 if fail_once else 0)
    store.close()
    return rows, budget


def test_a_retried_batch_decides_as_if_it_had_never_failed(tmp_path: Path) -> None:
    clean, clean_budget = _decisions(tmp_path / "clean", fail_once=False)
    retried, retried_budget = _decisions(tmp_path / "retried", fail_once=True)
    assert len(clean) == 600
    assert sum(q for _, q in clean) > 50
    assert retried == clean
    assert retried_budget == clean_budget  # rewound: nothing seen or spent twice


def test_a_retried_batch_of_labels_teaches_each_label_once(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"learner"})
    assert roles.learner is not None
    assert roles.store is not None
    store, learner = roles.store, roles.learner
    producer = broker.producer()
    examples = list(open_stream("synth:sea?n=120", seed=1))
    for example in examples:
        value = encode_label(example.item.id, str(example.label), "ana", 1.0, item=example.item)
        producer.send(settings.kafka.topic("labels"), value)
    mark_seen, calls = store.mark_seen, []

    def flaky(ids: Sequence[str]) -> None:
        calls.append(1)
        if len(calls) == 1:  # the first transaction fails, after the labels were learned
            raise sqlite3.OperationalError("disk I/O error")
        mark_seen(ids)

    store.mark_seen = flaky  # type: ignore[method-assign]
    labels, guard = roles.loops[0]
    guard.backoff = FAST
    while records := labels.poll(50, timeout_ms=0):
        guard(records)
    assert learner.counters.batch_failures == 1
    assert learner.counters.scored == len(examples)
    assert learner.learner.labelled.n == len(examples)  # tested once each
    assert learner.model.n_learned == len(examples)  # and learned once each
    store.close()

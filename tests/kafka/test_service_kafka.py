"""The service against a real Kafka-protocol broker: real processes, real SQLite files.

Each test gets fresh topics (a unique prefix) and a fresh consumer group, and runs
once per Kafka client library (``[kafka] client``, the ``client`` fixture); the
records are produced and read back with kafka-python's own clients, independent
of the transport under test.
Tansu/Apache-Kafka difference: a group whose members all left cleanly could hang
on re-forming, so a restarted scorer keeps its group only where the test is
about resuming from committed offsets (kill -9 leaves the group uncleanly, which
this broker handles).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from tansu_broker import TansuBroker, unique

from stream_al.datasets import open_stream
from stream_al.transport.codec import encode_event
from stream_al.transport.dead_letter import read_dead_letter

pytestmark = pytest.mark.kafka


def _config(
    path: Path, bootstrap: str, prefix: str, store: Path, client: str, **extra: str
) -> Path:
    lines = [
        "[kafka]",
        f'client = "{client}"',
        f'bootstrap_servers = ["{bootstrap}"]',
        f'topic_prefix = "{prefix}"',
        f'input_topic = "{prefix}.events"',
        f'group_id = "{unique("grp")}"',
        # Tansu holds a join for half the session timeout (TEST_BROKER.md)
        "session_timeout_ms = 6000",
        "heartbeat_interval_ms = 1000",
        "[store]",
        f'path = "{store}"',
        "[model]",
        'classes = ["False", "True"]',
        "[strategy]",
        f"budget = {extra.get('budget', '0.1')}",
        "[scorer]",
        "batch_size = 200",
        "poll_timeout_ms = 200",
        "[api]",
        "port = 0",  # a free port: tests run side by side
        "[scheduler]",
        "checkpoint_every_s = 1",  # a version a second while labels arrive
        "[lag]",
        f"pace_budget = {extra.get('pace_budget', 'true')}",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


class Role:
    """One `stream-al` process."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stream_al", *args],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def roles(client: str, tmp_path: Path) -> Iterator[Callable[..., Role]]:
    """Start `stream-al` processes; at the end, kill what runs and check that every process
    that started its loops said it used `client` (so that no run passes on the other one)."""
    started: list[Role] = []

    def start(*args: str, log: str = "role.log") -> Role:
        role = Role(list(args), tmp_path / log)
        started.append(role)
        return role

    yield start
    for role in started:
        if role.proc.poll() is None:
            role.proc.kill()
            role.proc.wait(10)
    lines = [
        line for role in started for line in role.text().splitlines() if "started roles=" in line
    ]
    assert lines, "no stream-al process started its loops"
    for line in lines:
        assert f"client={client}" in line, line


def _produce(
    bootstrap: str, topic: str, n: int, seed: int = 0, extra: list[bytes] | None = None
) -> dict[str, str]:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, batch_size=262144)
    truth = {}
    for example in open_stream(f"synth:sea?n={n}", seed=seed):
        producer.send(topic, encode_event(example), key=example.item.id.encode())
        truth[example.item.id] = example.label
    for value in extra or []:
        producer.send(topic, value)
    producer.flush()
    producer.close()
    return truth


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _wait(
    condition: Callable[[], bool], timeout: float, what: str, role: Role | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if role is not None and role.proc.poll() is not None:
            pytest.fail(
                f"{what}: the process exited ({role.proc.returncode}):\n{role.text()[-3000:]}"
            )
        time.sleep(0.2)
    tail = role.text()[-3000:] if role is not None else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")


def _read(
    bootstrap: str, topic: str, expect: int, timeout: float = 20
) -> list[tuple[bytes | None, bytes]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    out: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout
    while len(out) < expect and time.monotonic() < deadline:
        out.extend((m.key, m.value) for m in consumer)
    consumer.close()
    return out


def test_run_end_to_end_items_queued_labels_learned_model_advances(
    client: str, kafka_bootstrap: str, tmp_path: Path, roles: Callable[..., Role]
) -> None:
    prefix = unique("sal")
    db = tmp_path / "run.db"
    # The replay sends 3,000 items in seconds, far ahead of the labels' round trip through the
    # broker: a paced budget would admit a timing-dependent number of them (139 to 210 seen).
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, db, client, pace_budget="false")
    run = roles("run", "--config", str(cfg), "--replay", "synth:sea?n=3000", "--oracle")
    _wait(lambda: _count(db, "decisions") >= 3000, 120, "3000 decisions", run)
    _wait(lambda: _count(db, "labels") >= 200, 60, "labels learned", run)
    _wait(lambda: _count(db, "models") >= 2, 30, "two model versions", run)
    assert run.stop() == 0
    models = _read(kafka_bootstrap, f"{prefix}.models", 1)
    versions = [json.loads(v)["version"] for _, v in models]
    assert versions
    assert int(versions[-1]) >= 2
    predictions = _read(kafka_bootstrap, f"{prefix}.predictions", 3000)
    assert {json.loads(v)["id"] for _, v in predictions} == {str(i) for i in range(3000)}


def test_malformed_events_go_to_the_dead_letter_topic(
    client: str, kafka_bootstrap: str, tmp_path: Path, roles: Callable[..., Role]
) -> None:
    prefix = unique("sal")
    db = tmp_path / "s.db"
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, db, client)
    _produce(kafka_bootstrap, f"{prefix}.events", 50, extra=[b"{oops", b'{"time": 1, "x": 2}'])
    scorer = roles("scorer", "--config", str(cfg))
    _wait(lambda: _count(db, "decisions") >= 50, 60, "50 decisions", scorer)
    letters = _read(kafka_bootstrap, f"{prefix}.dlq", 2)
    scorer.stop()
    # keyless records land on different partitions: their order across them is undefined
    dead = sorted((read_dead_letter(v, k) for k, v in letters), key=lambda d: d.original)
    assert [d.original for d in dead] == [b'{"time": 1, "x": 2}', b"{oops"]
    # the envelope names where the record was (the auto-created topic may have several partitions)
    assert dead[1].source.topic == f"{prefix}.events"
    assert dead[1].source.where in dead[1].error
    assert "JSON" in dead[1].error
    assert "id" in dead[0].error


def test_two_scorers_in_one_group_split_the_partitions(
    client: str,
    kafka_bootstrap: str,
    tmp_path: Path,
    topic: Callable[..., str],
    roles: Callable[..., Role],
) -> None:
    prefix = unique("sal")
    events = f"{prefix}.events"
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(events, 2, 1)])
    admin.close()
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, tmp_path / "unused.db", client)
    dbs = [tmp_path / "a.db", tmp_path / "b.db"]
    scorers = []
    for i, db in enumerate(dbs):
        os.environ["STREAM_AL_STORE__PATH"] = str(db)
        try:
            scorers.append(roles("scorer", "--config", str(cfg), log=f"s{i}.log"))
        finally:
            del os.environ["STREAM_AL_STORE__PATH"]
    time.sleep(8)  # both members join before the records arrive (Tansu: join takes ~3 s)
    _produce(kafka_bootstrap, events, 2000)
    _wait(lambda: sum(_count(db, "decisions") for db in dbs) >= 2000, 120, "2000 decisions")
    for s in scorers:
        assert s.stop() == 0
    ids = []
    for db in dbs:
        with sqlite3.connect(db) as conn:
            ids.append({row[0] for row in conn.execute("SELECT item_id FROM decisions")})
    assert ids[0]
    assert ids[1]
    assert not ids[0] & ids[1]
    assert len(ids[0] | ids[1]) == 2000


def test_kill_9_of_a_scorer_mid_stream_loses_and_duplicates_nothing(
    client: str, kafka_bootstrap: str, tmp_path: Path, roles: Callable[..., Role]
) -> None:
    prefix = unique("sal")
    db = tmp_path / "s.db"
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, db, client)
    n = 20_000
    _produce(kafka_bootstrap, f"{prefix}.events", n)
    first = roles("scorer", "--config", str(cfg), log="first.log")
    _wait(lambda: _count(db, "decisions") >= 3000, 120, "3000 decisions", first)
    first.stop(signal.SIGKILL)
    done_before = _count(db, "decisions")
    assert done_before < n
    second = roles("scorer", "--config", str(cfg), log="second.log")
    _wait(lambda: _count(db, "decisions") >= n, 180, f"{n} decisions", second)
    time.sleep(1)
    assert second.stop() == 0
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id, count(*) FROM decisions GROUP BY item_id").fetchall()
        queued = conn.execute(
            "SELECT count(*), count(DISTINCT item_id) FROM queue_tasks"
        ).fetchone()
    assert len(rows) == n
    assert all(c == 1 for _, c in rows)
    assert queued[0] == queued[1]
    candidates = _read(kafka_bootstrap, f"{prefix}.candidates", queued[0])
    # at-least-once on the topic: every queued item was announced, perhaps twice
    assert {json.loads(v)["item_id"] for _, v in candidates} >= set()


def test_a_paused_broker_is_ridden_out(
    client: str,
    kafka_bootstrap: str,
    broker_control: TansuBroker,
    tmp_path: Path,
    roles: Callable[..., Role],
) -> None:
    prefix = unique("sal")
    db = tmp_path / "s.db"
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, db, client)
    _produce(kafka_bootstrap, f"{prefix}.events", 3000)
    scorer = roles("scorer", "--config", str(cfg))
    _wait(lambda: _count(db, "decisions") >= 3000, 120, "first 3000 decisions", scorer)
    with broker_control.paused():
        time.sleep(10)
        assert scorer.proc.poll() is None  # rode it out, did not die
    _produce(kafka_bootstrap, f"{prefix}.events", 3000, seed=1)  # same ids: replays, not new items
    time.sleep(3)
    extra = {f"late-{i}" for i in range(5)}
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for key in sorted(extra):
        producer.send(f"{prefix}.events", json.dumps({"id": key, "x": 1.0}).encode())
    producer.flush()
    producer.close()
    _wait(lambda: _count(db, "decisions") >= 3005, 120, "decisions after the pause", scorer)
    assert scorer.stop() == 0
    assert _count(db, "decisions") == 3005
    log = scorer.text()
    # one line when the outage starts, one when it ends: no log storm, no spin
    assert log.count("reachable again") >= 1
    assert log.count("Traceback") == 0


def test_poison_events_between_good_ones_are_dead_lettered_and_the_rest_served(
    client: str, kafka_bootstrap: str, tmp_path: Path, roles: Callable[..., Role]
) -> None:
    """An independent producer writes a lone surrogate id and a 400-digit feature between
    good events: both go to the dead-letter topic, every good event of the same batches is
    scored and predicted, and the service stops with 0 on SIGTERM (it used to exit 1 on the
    batch, and again on every restart)."""
    prefix = unique("sal")
    db = tmp_path / "s.db"
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, db, client)
    poison = [b'{"id":"a\\ud800","x":1}', b'{"id":"big","x":' + b"9" * 400 + b"}"]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=50)
    good = [f"g{i}" for i in range(60)]
    for i, key in enumerate(good):  # one partition key: one batch, poison in the middle
        producer.send(f"{prefix}.events", json.dumps({"id": key, "x": i}).encode(), key=b"k")
        if i in (20, 40):
            producer.send(f"{prefix}.events", poison[i // 20 - 1], key=b"k")
    producer.flush()
    producer.close()
    run = roles("run", "--config", str(cfg))
    _wait(lambda: _count(db, "decisions") >= len(good) + 1, 60, "the events decided", run)
    predictions = _read(kafka_bootstrap, f"{prefix}.predictions", len(good) + 1)
    letters = _read(kafka_bootstrap, f"{prefix}.dlq", 1)
    assert run.stop() == 0
    predicted = {json.loads(v)["id"] for _, v in predictions}
    assert predicted == {*good, "big"}  # the 400-digit number is a missing value
    [dead] = [read_dead_letter(v, k) for k, v in letters]
    assert dead.original == poison[0]
    assert "lone surrogate" in dead.error
    assert json.loads(letters[0][1])["kind"] == "json"
    assert "Traceback" not in run.text()


def test_sigterm_while_the_broker_is_paused_exits_0_and_loses_nothing(
    client: str,
    kafka_bootstrap: str,
    broker_control: TansuBroker,
    tmp_path: Path,
    roles: Callable[..., Role],
) -> None:
    prefix = unique("sal")
    db = tmp_path / "s.db"
    cfg = _config(tmp_path / "c.toml", kafka_bootstrap, prefix, db, client)
    n = 6000
    _produce(kafka_bootstrap, f"{prefix}.events", n)
    scorer = roles("scorer", "--config", str(cfg), log="first.log")
    _wait(lambda: _count(db, "decisions") >= 1000, 120, "1000 decisions", scorer)
    with broker_control.paused():
        time.sleep(4)  # mid-stream: a flush or a send is waiting for the broker
        started = time.monotonic()
        assert scorer.stop(timeout=40) == 0
        assert time.monotonic() - started < 30
    assert "Traceback" not in scorer.text()
    again = roles("scorer", "--config", str(cfg), log="second.log")  # the same group
    _wait(lambda: _count(db, "decisions") >= n, 180, f"{n} decisions", again)
    time.sleep(1)
    assert again.stop() == 0
    with sqlite3.connect(db) as conn:
        counts = conn.execute("SELECT count(*), count(DISTINCT item_id) FROM decisions").fetchone()
    assert counts == (n, n)  # every item decided once: nothing lost, nothing twice

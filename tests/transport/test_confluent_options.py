"""The confluent backend's librdkafka settings: defaults, what it refuses, the probe's TLS."""

from __future__ import annotations

import ssl

import pytest

pytest.importorskip("confluent_kafka", reason="confluent-kafka not installed (the confluent extra)")

from confluent_kafka import KafkaError

from stream_al.exceptions import ConfigError
from stream_al.transport.confluent.events import ClientEvents
from stream_al.transport.confluent.options import (
    consumer_config,
    librdkafka_refuses,
    probe_options,
    producer_config,
)


def test_commits_stay_manual_whatever_the_caller_says() -> None:
    config = consumer_config("g", "b:9092", {"fetch.wait.max.ms": 10})
    assert (config["enable.auto.commit"], config["enable.auto.offset.store"]) == (False, False)
    assert (config["group.id"], config["bootstrap.servers"]) == ("g", "b:9092")
    assert config["fetch.wait.max.ms"] == 10
    for key in ("enable.auto.commit", "enable.auto.offset.store"):
        with pytest.raises(ConfigError, match=f"client option {key} is managed by stream-al"):
            consumer_config("g", "b:9092", {key: True})


@pytest.mark.parametrize("key", ["bootstrap.servers", "group.id", "on_delivery", "error_cb"])
def test_brokers_group_and_callbacks_are_not_client_options(key: str) -> None:
    with pytest.raises(ConfigError, match=f"client option {key} is managed"):
        producer_config("b:9092", {key: "x"})


def test_the_producer_keeps_records_a_day_in_order() -> None:
    config = producer_config("b:9092", {"linger.ms": 50})
    assert config["acks"] == "all"
    assert config["enable.idempotence"] is False
    assert config["max.in.flight.requests.per.connection"] == 1
    assert config["message.timeout.ms"] == 86_400_000
    assert config["linger.ms"] == 50


def test_librdkafka_checks_names_and_values_without_a_client() -> None:
    assert librdkafka_refuses("compression.type", "gzip") is None
    assert librdkafka_refuses("fetch.max.bytes", 1_048_576) is None  # a consumer property
    assert "No such configuration property" in (librdkafka_refuses("linger_ms", 5) or "")
    assert "Invalid value" in (librdkafka_refuses("linger.ms", "soon") or "")
    assert "***" in (librdkafka_refuses("sasl.mechanism", "hunter2-secret") or "***")


def test_the_probe_connects_like_the_client() -> None:
    plain = probe_options({"bootstrap.servers": "b:9092"})
    assert plain == {}
    tls = probe_options(
        {
            "security.protocol": "sasl_ssl",
            "ssl.ca.location": "probe",  # librdkafka's "the system's CAs"
            "ssl.endpoint.identification.algorithm": "none",
        }
    )
    assert tls == {"security_protocol": "SASL_SSL", "ssl_check_hostname": False}
    unverified = probe_options(
        {"security.protocol": "SSL", "enable.ssl.certificate.verification": "false"}
    )
    context = unverified["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_NONE


def test_librdkafka_errors_are_hints_or_raised() -> None:
    events = ClientEvents("client=test")
    events.on_error(KafkaError(KafkaError._TRANSPORT, "Connection refused"))
    assert events.take_suspect()
    assert not events.take_suspect()
    events.raise_fatal("b:9092")  # nothing fatal yet: no error
    events.on_error(KafkaError(KafkaError._FATAL, "fenced", fatal=True))
    with pytest.raises(Exception, match="client=test at b:9092: fenced"):
        events.raise_fatal("b:9092")

"""``[kafka] client`` and ``client_options``: the library, its names, its security settings."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

import pytest

from stream_al.config import load_settings
from stream_al.exceptions import ConfigError

SECRET = "hunter2-do-not-leak"
CONFLUENT = '[kafka]\nbootstrap_servers = ["k1:9093", "k2:9093"]\nclient = "confluent"\n'


def importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


needs_confluent = pytest.mark.skipif(
    not importable("confluent_kafka"),
    reason="confluent-kafka not installed (pip install -e '.[test]')",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("STREAM_AL_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stream-al.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


def tls_files(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / name for name in ("ca.pem", "client.pem", "client.key")}
    for path in files.values():
        path.write_text("-----BEGIN-----\n", encoding="utf-8")
    return files


def test_kafka_python_is_the_default_and_takes_no_librdkafka_options() -> None:
    kafka = load_settings(None).kafka
    assert kafka.client == "kafka-python"
    assert kafka.client_options == {}


@needs_confluent
def test_security_fields_map_to_librdkafka_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tls_files(tmp_path)
    text = CONFLUENT + (
        'security_protocol = "sasl_ssl"\n'
        'sasl_mechanism = "SCRAM-SHA-256"\n'
        'sasl_plain_username = "stream-al"\n'
        f'ssl_cafile = "{files["ca.pem"]}"\n'
        f'ssl_certfile = "{files["client.pem"]}"\n'
        f'ssl_keyfile = "{files["client.key"]}"\n'
        "[kafka.client_options]\n"
        '"client.id" = "scorer-1"\n'
        "linger.ms = 20\n"  # unquoted: a TOML table {"linger": {"ms": 20}}, read as linger.ms
    )
    monkeypatch.setenv("STREAM_AL_KAFKA__SASL_PLAIN_PASSWORD", SECRET)
    monkeypatch.setenv("STREAM_AL_KAFKA__SSL_PASSWORD", SECRET + "-key")
    kafka = load_settings(write(tmp_path, text)).kafka
    assert kafka.librdkafka_options() == {
        "bootstrap.servers": "k1:9093,k2:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.username": "stream-al",
        "sasl.password": SECRET,
        "ssl.ca.location": str(files["ca.pem"]),
        "ssl.certificate.location": str(files["client.pem"]),
        "ssl.key.location": str(files["client.key"]),
        "ssl.key.password": SECRET + "-key",
        "client.id": "scorer-1",
        "linger.ms": 20,
    }
    python = kafka.kafka_python_options()  # the same security, no librdkafka option
    assert python["sasl_plain_password"] == SECRET
    assert python["ssl_cafile"] == str(files["ca.pem"])
    assert "client.id" not in python
    assert "linger.ms" not in kafka.producer_options()


def test_kafka_python_options_stay_out_of_librdkafka_options(tmp_path: Path) -> None:
    text = '[kafka]\nbootstrap_servers = "k:9092"\n[kafka.client_options]\nlinger_ms = 20\n'
    kafka = load_settings(write(tmp_path, text)).kafka
    assert kafka.producer_options()["linger_ms"] == 20
    assert kafka.librdkafka_options() == {
        "bootstrap.servers": "k:9092",
        "security.protocol": "PLAINTEXT",
    }


@needs_confluent
@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("enable.auto.commit", "cannot be set: offsets are committed manually"),
        ("enable.auto.offset.store", "cannot be set: offsets are committed manually"),
        ("group.id", "has its own field: set kafka.group_id instead"),
        ("sasl.password", "has its own field: set kafka.sasl_plain_password instead"),
        ("ssl.ca.location", "has its own field: set kafka.ssl_cafile instead"),
        ("session.timeout.ms", "has its own field: set kafka.session_timeout_ms instead"),
        ("on_commit", "takes a Python object"),
        ("linger_ms", 'is not a librdkafka property; client = "confluent" takes librdkafka'),
        ("no.such.property", "is refused by librdkafka (No such configuration property"),
    ],
)
def test_librdkafka_options_that_cannot_be_given(tmp_path: Path, key: str, why: str) -> None:
    message = error_of(
        write(tmp_path, CONFLUENT + f'[kafka.client_options]\n"{key}" = "{SECRET}"\n')
    )
    assert f"kafka.client_options.{key}: {why}" in message
    assert SECRET not in message


@needs_confluent
def test_a_bad_librdkafka_value_names_the_option_and_the_table_variable(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, CONFLUENT + '[kafka.client_options]\n"linger.ms" = "soon"\n')
    )
    assert "kafka.client_options.linger.ms: is refused by librdkafka (Invalid value" in message
    assert "remove it from" in message


def test_a_librdkafka_name_for_kafka_python_says_which_client_takes_it(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[kafka.client_options]\n"linger.ms" = 5\n'))
    assert "kafka.client_options.linger.ms: is not a kafka-python option" in message
    assert 'those need client = "confluent"' in message


@needs_confluent
def test_librdkafka_options_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_AL_KAFKA__CLIENT", "confluent")
    monkeypatch.setenv("STREAM_AL_KAFKA__CLIENT_OPTIONS", '{"linger.ms": 20, "acks": "1"}')
    kafka = load_settings(None).kafka
    assert kafka.client == "confluent"
    assert kafka.client_options == {"linger.ms": 20, "acks": "1"}


@needs_confluent
def test_secret_looking_client_options_are_kept_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = CONFLUENT + f'[kafka.client_options]\n"sasl.oauthbearer.client.secret" = "{SECRET}"\n'
    with caplog.at_level(logging.DEBUG):
        settings = load_settings(write(tmp_path, text))
    for shown in (repr(settings), str(settings), str(settings.redacted()), caplog.text):
        assert SECRET not in shown
    assert settings.kafka.librdkafka_options()["sasl.oauthbearer.client.secret"] == SECRET


def test_the_older_client_table_is_read_as_kafka_python_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("STREAM_AL_KAFKA__CLIENT__RETRY_BACKOFF_MS", "200")
    with caplog.at_level(logging.WARNING):
        kafka = load_settings(write(tmp_path, "[kafka.client]\nrequest_timeout_ms = 20000\n")).kafka
    assert kafka.client == "kafka-python"
    assert kafka.client_options == {"request_timeout_ms": 20000, "retry_backoff_ms": 200}
    assert "rename it [kafka.client_options]" in caplog.text


def test_the_older_client_table_beside_client_options_is_refused(tmp_path: Path) -> None:
    text = "[kafka.client]\nretry_backoff_ms = 1\n[kafka.client_options]\nlinger_ms = 5\n"
    message = error_of(write(tmp_path, text))
    assert "kafka.client: is a table of options while client_options is set too" in message


def test_an_unknown_client_is_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[kafka]\nclient = "aiokafka"\n'))
    assert "kafka.client: must be one of 'kafka-python' or 'confluent'" in message


def test_confluent_without_its_package_fails_at_start_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)  # import fails: not installed
    message = error_of(write(tmp_path, CONFLUENT + '[kafka.client_options]\n"linger.ms" = 5\n'))
    assert "kafka.client: needs the confluent-kafka package" in message
    assert "pip install 'stream-al[confluent]'" in message
    assert "client_options" not in message  # the options are not checked against nothing


def test_the_confluent_backend_without_its_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    for name in [m for m in sys.modules if m.startswith("stream_al.transport.confluent")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ConfigError, match=r"pip install 'stream-al\[confluent\]'"):
        importlib.import_module("stream_al.transport.confluent")

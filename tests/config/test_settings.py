"""Settings: one TOML file, STREAM_AL_* overrides, errors that name the field, no leaked secrets."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

import pytest

from stream_al.config import Settings, load_settings
from stream_al.exceptions import ConfigError

REPO = Path(__file__).resolve().parents[2]
SECRET = "hunter2-do-not-leak"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No STREAM_AL_* variable of the outer environment leaks into these tests."""
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


SASL = f"""
[kafka]
bootstrap_servers = ["kafka-1:9093", "kafka-2:9093"]
security_protocol = "SASL_SSL"
sasl_mechanism = "SCRAM-SHA-512"
sasl_plain_username = "stream-al"
sasl_plain_password = "{SECRET}"
"""


# -- sources and precedence ----------------------------------------------------------


def test_an_empty_file_and_no_file_give_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings == load_settings(None) == Settings()
    assert settings.kafka.embedded
    assert (settings.strategy.name, settings.strategy.budget) == ("auto", 0.05)
    assert (settings.queue.capacity, settings.store.path) == (1000, Path("stream-al.db"))


def test_the_example_config_is_valid_and_shows_the_defaults() -> None:
    assert load_settings(REPO / "examples" / "stream-al.toml") == Settings()


def test_the_example_config_lists_every_api_key() -> None:
    """Each with its default, or named in a comment when it is a secret (from the environment)."""
    from stream_al.config.sections import ApiSettings

    text = (REPO / "examples" / "stream-al.toml").read_text()
    api = tomllib.loads(text)["api"]
    section = text.split("\n[api]", 1)[1]
    for name, field in ApiSettings.model_fields.items():
        if field.annotation is not None and "SecretStr" in str(field.annotation):
            assert f"# {name}: set STREAM_AL_API__{name.upper()}" in section, name
        else:
            assert name in api, f"examples/stream-al.toml [api] does not list {name}"
            given = ApiSettings.model_validate({name: api[name]})
            assert getattr(given, name) == getattr(ApiSettings(), name), name


def test_file_values_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [strategy]
        name = "split"
        budget = 0.2
        [queue]
        capacity = 50
        item_ttl_s = "none"
        [fields]
        id = "event_id"
        features = ["price", "day"]
        """,
    )
    settings = load_settings(path)
    assert (settings.strategy.name, settings.strategy.budget) == ("split", 0.2)
    assert (settings.queue.capacity, settings.queue.item_ttl_s) == (50, None)
    assert (settings.fields.id, settings.fields.features) == ("event_id", ["price", "day"])


def test_the_environment_wins_over_the_file_key_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[strategy]\nname = "split"\nbudget = 0.2\n')
    monkeypatch.setenv("STREAM_AL_STRATEGY__BUDGET", "0.1")
    monkeypatch.setenv("stream_al_queue__capacity", "7")  # names are case-insensitive
    settings = load_settings(path)
    assert settings.strategy.budget == 0.1  # from the environment
    assert settings.strategy.name == "split"  # the rest of the section from the file
    assert settings.queue.capacity == 7


def test_environment_lists_none_and_nested_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_AL_KAFKA__BOOTSTRAP_SERVERS", "kafka-1:9092, kafka-2:9092")
    monkeypatch.setenv("STREAM_AL_MODEL__CLASSES", '["ham", "spam"]')
    monkeypatch.setenv("STREAM_AL_DRIFT__LABEL_FREE", "none")
    monkeypatch.setenv("STREAM_AL_KAFKA__CLIENT_OPTIONS__REQUEST_TIMEOUT_MS", "20000")
    settings = load_settings(None)
    assert settings.kafka.bootstrap_servers == ["kafka-1:9092", "kafka-2:9092"]
    assert settings.model.classes == ["ham", "spam"]
    assert settings.drift.label_free is None
    # typed like kafka-python's default
    assert settings.kafka.client_options == {"request_timeout_ms": 20000}


def test_settings_are_frozen() -> None:
    settings = load_settings(None)
    with pytest.raises(ValueError, match="frozen"):
        settings.strategy.budget = 0.5  # type: ignore[misc]


# -- errors name the field -----------------------------------------------------------


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    message = error_of(tmp_path / "nope.toml")
    assert str(tmp_path / "nope.toml") in message
    assert "not found" in message


def test_a_file_that_is_not_toml_names_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, "[strategy\nbudget = ")
    message = error_of(path)
    assert str(path) in message
    assert "not valid TOML" in message


def test_a_bad_value_names_the_field_path_and_where_to_fix_it(tmp_path: Path) -> None:
    path = write(tmp_path, "[strategy]\nbudget = 2.0\n")
    message = error_of(path)
    assert "strategy.budget: must be ≤ 1.0 (got 2.0)" in message
    assert str(path) in message
    assert "STREAM_AL_STRATEGY__BUDGET" in message


def test_a_bad_value_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STREAM_AL_QUEUE__CAPACITY", "0")
    message = error_of(None)
    assert "queue.capacity: must be ≥ 1 (got '0' from STREAM_AL_QUEUE__CAPACITY)" in message


def test_a_bad_value_inside_a_section_variable_names_that_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STREAM_AL_KAFKA", '{"max_poll_records": 0}')
    message = error_of(None)
    assert "kafka.max_poll_records: must be ≥ 1 (got 0 from STREAM_AL_KAFKA)" in message
    assert "fix or unset STREAM_AL_KAFKA" in message


def test_every_bad_field_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[queue]\ncapacity = 0\non_full = "drop"\n[api]\nport = 70000\n[strategy]\nname = "x"\n',
    )
    message = error_of(path)
    for field in ("queue.capacity", "queue.on_full", "api.port", "strategy.name"):
        assert f"\n{field}: " in message
    assert "unknown strategy 'x'; choose one of: auto" in message


def test_an_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[strategy]\nbudgt = 0.1\n"))
    assert "strategy.budgt: unknown key; did you mean 'budget'?" in message
    assert "remove it from" in message


def test_a_key_outside_its_section_is_pointed_to_the_section(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "budget = 0.1\n"))
    assert "budget: unknown key; it belongs in the [strategy] section" in message


def test_an_unknown_section_is_an_error(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[strategies]\nbudget = 0.1\n"))
    assert "strategies: unknown key; did you mean 'strategy'?" in message


def test_unknown_names_of_models_and_detectors(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[model]\nname = "svm"\n[drift]\nlabelled = "magic"\n'))
    assert "model.name: unknown model 'svm'" in message
    assert "drift.labelled: unknown labelled drift detector 'magic'" in message


def test_field_map_names_must_not_collide(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[fields]\nid = "x"\nfeatures = ["x", "y"]\n'))
    assert "fields: " in message
    assert "already used as id/time/text/label" in message


# -- Kafka and secrets ---------------------------------------------------------------


def test_topics_are_prefixed() -> None:
    kafka = Settings(kafka={"topic_prefix": "shop"}).kafka
    assert [kafka.topic(name) for name in ("predictions", "labels", "dlq")] == [
        "shop.predictions",
        "shop.labels",
        "shop.dlq",
    ]
    with pytest.raises(ConfigError, match="unknown topic 'nope'"):
        kafka.topic("nope")  # type: ignore[arg-type]


def test_a_bad_topic_prefix_is_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[kafka]\ntopic_prefix = "my topics"\n'))
    assert "kafka.topic_prefix: a Kafka topic name uses only" in message


def test_client_options_carry_sasl_and_unwrap_the_password(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, SASL))
    options = settings.kafka.kafka_python_options()
    assert options["bootstrap_servers"] == ["kafka-1:9093", "kafka-2:9093"]
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "stream-al"
    assert options["sasl_plain_password"] == SECRET
    consumer = settings.kafka.consumer_options()
    assert consumer["enable_auto_commit"] is False
    assert consumer["group_id"] == "stream-al-scorer"
    assert settings.kafka.producer_options()["acks"] == "all"


def test_client_options_carry_ssl_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("-----BEGIN-----\n", encoding="utf-8")
    path = write(
        tmp_path,
        f"""
        [kafka]
        bootstrap_servers = "kafka:9093"
        security_protocol = "ssl"
        ssl_cafile = "{tmp_path / "ca.pem"}"
        ssl_certfile = "{tmp_path / "client.pem"}"
        ssl_keyfile = "{tmp_path / "client.key"}"
        [kafka.client_options]
        client_id = "scorer-1"
        fetch_max_bytes = 1048576
        linger_ms = 5
        """,
    )
    monkeypatch.setenv("STREAM_AL_KAFKA__SSL_PASSWORD", SECRET)
    kafka = load_settings(path).kafka
    options = kafka.kafka_python_options()
    assert options["security_protocol"] == "SSL"
    assert options["ssl_cafile"] == str(tmp_path / "ca.pem")
    assert options["ssl_keyfile"] == str(tmp_path / "client.key")
    assert options["ssl_password"] == SECRET
    assert options["client_id"] == "scorer-1"
    assert "sasl_plain_password" not in options
    assert "fetch_max_bytes" not in options  # a consumer option, not for every client
    assert kafka.consumer_options()["fetch_max_bytes"] == 1048576
    assert "linger_ms" not in kafka.consumer_options()
    assert kafka.producer_options()["linger_ms"] == 5


def test_sasl_needs_its_credentials(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[kafka]\nsecurity_protocol = "SASL_SSL"\n'))
    assert "kafka.sasl_plain_username: is required when security_protocol is SASL_*" in message


def test_credentials_without_sasl_are_refused(tmp_path: Path) -> None:
    text = f'[kafka]\nsasl_plain_username = "u"\nsasl_plain_password = "{SECRET}"\n'
    message = error_of(write(tmp_path, text))
    assert "kafka.sasl_plain_username: is set but security_protocol is not SASL_*" in message
    assert SECRET not in message


def test_a_missing_ssl_file_names_the_field(tmp_path: Path) -> None:
    text = f'[kafka]\nsecurity_protocol = "SSL"\nssl_cafile = "{tmp_path / "missing.pem"}"\n'
    assert "kafka.ssl_cafile: " in error_of(write(tmp_path, text))


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("enable_auto_commit", "cannot be set: offsets are committed manually"),
        ("group_id", "has its own field: set kafka.group_id instead"),
        ("sasl_plain_password", "has its own field"),
        ("value_deserializer", "takes a Python object"),
        ("reqest_timeout_ms", "is not a kafka-python option"),
    ],
)
def test_client_options_that_cannot_be_given(tmp_path: Path, key: str, why: str) -> None:
    message = error_of(write(tmp_path, f'[kafka.client_options]\n{key} = "{SECRET}"\n'))
    assert f"kafka.client_options.{key}: {why}" in message
    assert SECRET not in message


def test_secrets_never_show_in_repr_str_dumps_or_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("STREAM_AL_API__TOKEN", SECRET + "-token")
    monkeypatch.setenv("STREAM_AL_API__METRICS_TOKEN", SECRET + "-metrics")
    with caplog.at_level(logging.DEBUG):
        settings = load_settings(write(tmp_path, SASL))
        logging.getLogger("test").info("settings=%s %r", settings, settings)
    assert settings.api.token is not None
    assert settings.api.token.get_secret_value() == SECRET + "-token"
    assert settings.api.metrics_token is not None
    assert settings.api.metrics_token.get_secret_value() == SECRET + "-metrics"
    for text in (repr(settings), str(settings), str(settings.redacted()), caplog.text):
        assert SECRET not in text
    assert settings.redacted()["kafka"]["sasl_plain_password"] == "**********"


def test_secrets_never_show_in_error_messages(tmp_path: Path) -> None:
    text = SASL + "sasl_plain_pasword = 'x" + SECRET + "'\nmax_poll_records = 0\n"
    message = error_of(write(tmp_path, text))
    assert "kafka.sasl_plain_pasword: unknown key; did you mean 'sasl_plain_password'?" in message
    assert "kafka.max_poll_records: must be ≥ 1 (got 0)" in message
    assert SECRET not in message


def test_a_validation_error_does_not_chain_pydantic_details(tmp_path: Path) -> None:
    """Pydantic's own message quotes inputs (secrets included); it is not chained."""
    text = SASL + "heartbeat_interval_ms = 50000\n"
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert "kafka.heartbeat_interval_ms: must be below session_timeout_ms (45000)" in str(
        info.value
    )

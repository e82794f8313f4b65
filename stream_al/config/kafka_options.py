"""``[kafka] client`` and ``client_options``: which Kafka client, and its extra settings.

``client = "kafka-python"`` (the default) or ``"confluent"`` (confluent-kafka, on
librdkafka, from the optional ``confluent`` extra). ``client_options`` are the
chosen client's own settings, in its own names: kafka-python's keyword arguments
(``request_timeout_ms``) or librdkafka's properties (``"request.timeout.ms"``).
One is refused at start, naming it, when it has a field of its own in
``[kafka]`` (brokers, group, security, the consumer settings), when stream-al
manages it (commits, callbacks), or when the client does not know it; values of
secret-looking names are kept as `SecretStr`.

>>> check_options("kafka-python", {"request_timeout_ms": "20000"})
{'request_timeout_ms': 20000}
>>> LIBRDKAFKA_NAMES["ssl_cafile"], LIBRDKAFKA_NAMES["sasl_plain_password"]
('ssl.ca.location', 'sasl.password')
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, get_args

from pydantic import SecretStr
from pydantic_core import PydanticCustomError

__all__ = [
    "CLIENTS",
    "LIBRDKAFKA_NAMES",
    "ClientValue",
    "KafkaClient",
    "OptionValue",
    "check_options",
    "confluent_missing",
    "field_error",
    "kafka_python_defaults",
    "reveal",
]

KafkaClient = Literal["kafka-python", "confluent"]
CLIENTS: tuple[str, ...] = get_args(KafkaClient)
ClientValue = str | int | float | bool
#: A checked option: secret-looking ones are wrapped.
OptionValue = ClientValue | SecretStr

#: The ``[kafka]`` fields given to the clients, and librdkafka's name for each.
LIBRDKAFKA_NAMES: dict[str, str] = {
    "bootstrap_servers": "bootstrap.servers",
    "group_id": "group.id",
    "security_protocol": "security.protocol",
    "sasl_mechanism": "sasl.mechanism",
    "sasl_plain_username": "sasl.username",
    "sasl_plain_password": "sasl.password",
    "ssl_cafile": "ssl.ca.location",
    "ssl_certfile": "ssl.certificate.location",
    "ssl_keyfile": "ssl.key.location",
    "ssl_password": "ssl.key.password",
    "session_timeout_ms": "session.timeout.ms",
    "heartbeat_interval_ms": "heartbeat.interval.ms",
    "auto_offset_reset": "auto.offset.reset",
}
#: Fields of ``[kafka]`` that are kafka-python options too (``max_poll_records`` has no
#: librdkafka counterpart: the confluent consumer applies it itself).
_OWN_FIELDS = frozenset({*LIBRDKAFKA_NAMES, "max_poll_records"})
#: librdkafka names of those fields, aliases included, with the field each belongs to.
_OWN_LIBRDKAFKA = {name: field for field, name in LIBRDKAFKA_NAMES.items()} | {
    "metadata.broker.list": "bootstrap_servers",
    "sasl.mechanisms": "sasl_mechanism",
}
#: Managed by stream-al: offsets are committed explicitly, after effects are durable.
_COMMITS = frozenset({"enable_auto_commit", "enable.auto.commit", "enable.auto.offset.store"})
#: Options that take Python objects, not values a file can hold.
_OBJECT_OPTIONS = frozenset(
    {"key_deserializer", "value_deserializer", "key_serializer", "value_serializer"}
    | {"ssl_context", "selector", "sasl_oauth_token_provider", "kafka_client"}
    | {"socket_options", "metric_reporters", "partitioner", "partition_assignment_strategy"}
    | {"default_offset_commit_callback"}
    | {"logger", "error_cb", "throttle_cb", "stats_cb", "oauth_cb", "log_cb"}
    | {"on_delivery", "on_commit"}
)
#: Parts of option names whose values are kept secret (passwords, keys, tokens).
_SECRET_WORDS = ("password", "secret", "token", "pem", "keystore", "credential", "oauthbearer")


def confluent_missing() -> str | None:
    """Why ``client = "confluent"`` cannot work here (None: confluent-kafka imports)."""
    try:
        import confluent_kafka  # noqa: F401  (the optional extra)
    except ImportError:
        return (
            "needs the confluent-kafka package, which is not installed: "
            "pip install 'stream-al[confluent]', or set client = \"kafka-python\""
        )
    return None


def field_error(name: str, message: str, **context: Any) -> PydanticCustomError:
    """An error about one field of the section (its name goes into the error's context)."""
    return PydanticCustomError("config_field", message, {"field": name, **context})


def reveal(value: OptionValue) -> ClientValue:
    """The plain value of a checked option (the only place its secret is unwrapped)."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def check_options(client: str, options: Mapping[str, Any]) -> dict[str, OptionValue]:
    """`options` checked for `client`: flattened, typed, secret-looking values wrapped.

    Raises
    ------
    pydantic_core.PydanticCustomError
        An option that cannot be given (naming it, and why).
    """
    checked: dict[str, OptionValue] = {}
    for key, value in _flatten(options).items():
        plain = _kafka_python(key, value) if client == "kafka-python" else _librdkafka(key, value)
        secret = isinstance(plain, str) and any(word in key.lower() for word in _SECRET_WORDS)
        checked[key] = SecretStr(plain) if secret and isinstance(plain, str) else plain
    return checked


def _flatten(options: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A TOML table's dotted keys, unquoted, back as names with dots.

    >>> _flatten({"linger": {"ms": 5}, "acks": "all"})  # linger.ms = 5, acks = "all"
    {'linger.ms': 5, 'acks': 'all'}
    """
    flat: dict[str, Any] = {}
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _managed(key: str) -> None:
    """Refuse what has a field of its own, what stream-al manages, and Python objects."""
    own = key if key in _OWN_FIELDS else _OWN_LIBRDKAFKA.get(key)
    if own is not None:
        raise field_error(key, "has its own field: set kafka.{own} instead", own=own, remove=True)
    if key in _COMMITS:
        raise field_error(
            key,
            "cannot be set: offsets are committed manually, after effects are durable",
            remove=True,
        )
    if key in _OBJECT_OPTIONS:
        raise field_error(key, "takes a Python object; it cannot come from config", remove=True)


def _librdkafka(key: str, value: Any) -> Any:
    """Check one librdkafka property with librdkafka itself (values stay as given)."""
    _managed(key)
    if not isinstance(value, str | int | float | bool):
        raise field_error(key, "must be a string, number or boolean", remove=True)
    from stream_al.transport.confluent.options import librdkafka_refuses

    reason = librdkafka_refuses(key, value)
    if reason is None:
        return value
    dotted = key.replace("_", ".")
    if "." not in key and "No such configuration property" not in (
        librdkafka_refuses(dotted, value) or ""
    ):  # a kafka-python spelling of a librdkafka property
        raise field_error(
            key,
            'is not a librdkafka property; client = "confluent" takes librdkafka names: '
            "write {dotted!r}",
            dotted=dotted,
            remove=True,
        )
    raise field_error(
        key,
        "is refused by librdkafka ({reason}); see librdkafka's CONFIGURATION.md",
        reason=reason,
        remove=True,
    )


@cache
def kafka_python_defaults() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Default options of kafka-python's consumer, producer and admin client."""
    with warnings.catch_warnings():  # kafka-python 3.0 uses deprecated importlib APIs
        warnings.simplefilter("ignore", DeprecationWarning)
        from kafka import KafkaConsumer, KafkaProducer  # only when Kafka options are needed
        from kafka.admin import KafkaAdminClient

    return (
        dict(KafkaConsumer.DEFAULT_CONFIG),
        dict(KafkaProducer.DEFAULT_CONFIG),
        dict(KafkaAdminClient.DEFAULT_CONFIG),
    )


def _kafka_python(key: str, value: Any) -> Any:
    """Check one kafka-python option and give it the type of kafka-python's default."""
    _managed(key)
    defaults: dict[str, Any] = {}
    for table in reversed(kafka_python_defaults()):
        defaults.update(table)
    if key not in defaults:
        hint = ""
        if "." in key:
            hint = ' (a librdkafka name: those need client = "confluent")'
        raise field_error(
            key, "is not a kafka-python option; check the spelling{hint}", hint=hint, remove=True
        )
    default = defaults[key]
    if isinstance(value, str) and isinstance(default, bool):
        if value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif isinstance(value, str) and isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            return value
    elif isinstance(value, str) and isinstance(default, float):
        try:
            return float(value)
        except ValueError:
            return value
    return value

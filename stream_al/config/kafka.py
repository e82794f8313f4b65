"""The ``[kafka]`` section: brokers, topics, the consumer group and security.

No broker (``bootstrap_servers = []``, the default) means the embedded
in-process transport. Security options (SSL, SASL) are passed through to
kafka-python; passwords are `SecretStr` and are unwrapped in one place only,
`KafkaSettings.client_options`, whose result must never be logged.

>>> kafka = KafkaSettings(bootstrap_servers="broker:9092", topic_prefix="shop")
>>> kafka.topic("predictions"), kafka.embedded
('shop.predictions', False)
>>> secure = KafkaSettings(bootstrap_servers=["b:9093"], security_protocol="SASL_SSL",
...                        sasl_plain_username="svc", sasl_plain_password="s3cret")
>>> secure.sasl_plain_password
SecretStr('**********')
>>> secure.client_options()["sasl_plain_password"]
's3cret'
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from stream_al.config._types import Section, StrList
from stream_al.exceptions import ConfigError

__all__ = ["TOPICS", "KafkaSettings", "SaslMechanism", "SecurityProtocol", "TopicName"]

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
#: The topics stream-al writes, each named ``<topic_prefix>.<name>``.
TopicName = Literal["predictions", "labels", "alerts", "models", "dlq", "candidates"]
TOPICS: tuple[str, ...] = get_args(TopicName)

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_SSL_FIELDS = ("ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_password")
_SASL_FIELDS = ("sasl_plain_username", "sasl_plain_password")
#: kafka-python options that have their own field here (or that we set ourselves).
_OWN_FIELDS = frozenset(
    {"bootstrap_servers", "group_id", "security_protocol", "sasl_mechanism", "auto_offset_reset"}
    | {"session_timeout_ms", "heartbeat_interval_ms", "max_poll_records"}
    | set(_SSL_FIELDS)
    | set(_SASL_FIELDS)
)
#: kafka-python options that take Python objects, not values a file can hold.
_OBJECT_OPTIONS = frozenset(
    {"key_deserializer", "value_deserializer", "key_serializer", "value_serializer"}
    | {"ssl_context", "selector", "sasl_oauth_token_provider", "kafka_client"}
    | {"socket_options", "metric_reporters", "partitioner", "partition_assignment_strategy"}
    | {"default_offset_commit_callback"}
)

ClientValue = str | int | float | bool


@cache
def _kafka_defaults() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
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


class KafkaSettings(Section):
    """Where the stream is, and how to reach it.

    Parameters
    ----------
    bootstrap_servers
        ``host:port`` of the brokers; empty means the embedded in-process transport.
    topic_prefix
        Prefix of the topics stream-al writes (see `topic`).
    input_topic
        The user's topic of events (not prefixed).
    group_id
        Consumer group of the scorers.
    security_protocol
        ``PLAINTEXT``, ``SSL``, ``SASL_PLAINTEXT`` or ``SASL_SSL``.
    ssl_cafile, ssl_certfile, ssl_keyfile, ssl_password
        TLS files (must exist) and the key's password, for ``SSL`` / ``SASL_SSL``.
    sasl_mechanism, sasl_plain_username, sasl_plain_password
        SASL credentials, required for ``SASL_*`` and refused otherwise.
    session_timeout_ms, heartbeat_interval_ms, max_poll_records, auto_offset_reset
        Consumer options. Offsets are always committed manually.
    client
        Any other kafka-python option holding a plain value (e.g. ``client_id``,
        ``request_timeout_ms``, ``compression_type``), given to the consumer,
        producer or admin client that knows it.
    """

    bootstrap_servers: StrList = Field(default_factory=list)
    topic_prefix: str = "stream-al"
    input_topic: str = "events"
    group_id: str = Field("stream-al-scorer", min_length=1)
    security_protocol: SecurityProtocol = "PLAINTEXT"
    ssl_cafile: FilePath | None = None
    ssl_certfile: FilePath | None = None
    ssl_keyfile: FilePath | None = None
    ssl_password: SecretStr | None = None
    sasl_mechanism: SaslMechanism = "PLAIN"
    sasl_plain_username: str | None = None
    sasl_plain_password: SecretStr | None = None
    session_timeout_ms: int = Field(45_000, ge=1_000)
    heartbeat_interval_ms: int = Field(3_000, ge=100)
    max_poll_records: int = Field(500, ge=1)
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    client: dict[str, ClientValue] = Field(default_factory=dict)

    @field_validator("security_protocol", "sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("bootstrap_servers")
    @classmethod
    def _servers(cls, value: list[str]) -> list[str]:
        for server in value:
            if not server or any(c.isspace() for c in server):
                raise ValueError(f"each server must be a non-empty 'host:port', got {server!r}")
        return value

    @field_validator("topic_prefix", "input_topic")
    @classmethod
    def _topic_name(cls, value: str) -> str:
        if not _TOPIC.match(value) or len(value) > 200:
            raise ValueError(
                "a Kafka topic name uses only letters, digits, '.', '_' and '-' "
                f"(at most 200 characters here), got {value!r}"
            )
        return value

    @field_validator("client", mode="before")
    @classmethod
    def _client_options(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {str(key): _client_value(str(key), item) for key, item in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise _field_error(
                "heartbeat_interval_ms",
                "must be below session_timeout_ms ({session}); a third of it is usual",
                session=self.session_timeout_ms,
            )
        sasl = self.security_protocol.startswith("SASL_")
        ssl = self.security_protocol.endswith("SSL")
        for name in _SASL_FIELDS:
            if sasl and getattr(self, name) is None:
                raise _field_error(name, "is required when security_protocol is SASL_*")
            if not sasl and getattr(self, name) is not None:
                raise _field_error(name, "is set but security_protocol is not SASL_*", remove=True)
        for name in _SSL_FIELDS:
            if not ssl and getattr(self, name) is not None:
                raise _field_error(
                    name, "is set but security_protocol is not SSL or SASL_SSL", remove=True
                )
        return self

    # -- use -----------------------------------------------------------------------

    @property
    def embedded(self) -> bool:
        """Whether no broker is configured (use the embedded in-process transport)."""
        return not self.bootstrap_servers

    def topic(self, name: TopicName) -> str:
        """The full name of one of stream-al's topics, e.g. ``"stream-al.labels"``."""
        if name not in TOPICS:
            raise ConfigError(f"unknown topic {name!r}; stream-al's topics are {', '.join(TOPICS)}")
        return f"{self.topic_prefix}.{name}"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments every kafka-python client accepts: brokers, security, `client`.

        The only place secrets are unwrapped: never log the result.
        """
        consumer, producer, admin = _kafka_defaults()
        options: dict[str, Any] = {
            "bootstrap_servers": list(self.bootstrap_servers),
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL_"):
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_plain_username
            options["sasl_plain_password"] = _reveal(self.sasl_plain_password)
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path: Path | None = getattr(self, name)
            if path is not None:
                options[name] = str(path)
        if self.ssl_password is not None:
            options["ssl_password"] = _reveal(self.ssl_password)
        common = consumer.keys() & producer.keys() & admin.keys()
        options.update({k: v for k, v in self.client.items() if k in common})
        return options

    def consumer_options(self) -> dict[str, Any]:
        """`client_options` plus the consumer's: group, manual commits, poll sizes."""
        consumer, _, _ = _kafka_defaults()
        options = self.client_options()
        options.update({k: v for k, v in self.client.items() if k in consumer})
        options.update(
            group_id=self.group_id,
            enable_auto_commit=False,  # offsets are committed after effects are durable
            auto_offset_reset=self.auto_offset_reset,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms,
            max_poll_records=self.max_poll_records,
        )
        return options

    def producer_options(self) -> dict[str, Any]:
        """`client_options` plus the producer's; ``acks="all"`` unless `client` says otherwise."""
        _, producer, _ = _kafka_defaults()
        options = self.client_options()
        options["acks"] = "all"
        options.update({k: v for k, v in self.client.items() if k in producer})
        return options


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def _field_error(name: str, message: str, **context: Any) -> PydanticCustomError:
    """An error about one field of the section (its name goes into the error's context)."""
    return PydanticCustomError("config_field", message, {"field": name, **context})


def _client_value(key: str, value: Any) -> Any:
    """Check one `client` option and give it the type of kafka-python's default."""
    if key in _OWN_FIELDS:
        raise _field_error(key, "has its own field: set kafka.{key} instead", key=key, remove=True)
    if key == "enable_auto_commit":
        raise _field_error(
            key,
            "cannot be set: offsets are committed manually, after effects are durable",
            remove=True,
        )
    if key in _OBJECT_OPTIONS:
        raise _field_error(key, "takes a Python object; it cannot come from config", remove=True)
    defaults: dict[str, Any] = {}
    for table in reversed(_kafka_defaults()):
        defaults.update(table)
    if key not in defaults:
        raise _field_error(key, "is not a kafka-python option; check the spelling", remove=True)
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

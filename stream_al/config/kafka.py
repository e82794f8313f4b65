"""The ``[kafka]`` section: brokers, topics, the consumer group, security, the client.

No broker (``bootstrap_servers = []``, the default) means the embedded
in-process transport. ``client`` picks the Kafka library, kafka-python (the
default) or confluent-kafka (``"confluent"``, librdkafka); the security fields
(SSL, SASL) are given to either, in its own names (`LIBRDKAFKA_NAMES`), and
``client_options`` holds other settings in the chosen library's names
(`stream_al.config.kafka_options`). Passwords are `SecretStr` and are unwrapped
in two places only, `KafkaSettings.kafka_python_options` and
`KafkaSettings.librdkafka_options`, whose results must never be logged.

>>> kafka = KafkaSettings(bootstrap_servers="broker:9092", topic_prefix="shop")
>>> kafka.topic("predictions"), kafka.embedded, kafka.client
('shop.predictions', False, 'kafka-python')
>>> secure = KafkaSettings(bootstrap_servers=["b:9093"], security_protocol="SASL_SSL",
...                        sasl_plain_username="svc", sasl_plain_password="s3cret")
>>> secure.sasl_plain_password
SecretStr('**********')
>>> secure.kafka_python_options()["sasl_plain_password"]
's3cret'
>>> secure.librdkafka_options()["sasl.password"], secure.librdkafka_options()["sasl.mechanism"]
('s3cret', 'PLAIN')
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    Field,
    FilePath,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stream_al.config._types import Section, StrList
from stream_al.config.kafka_options import (
    CLIENTS,
    LIBRDKAFKA_NAMES,
    KafkaClient,
    OptionValue,
    check_options,
    confluent_missing,
    field_error,
    kafka_python_defaults,
    reveal,
)
from stream_al.exceptions import ConfigError

__all__ = [
    "CLIENTS",
    "LIBRDKAFKA_NAMES",
    "TOPICS",
    "KafkaClient",
    "KafkaSettings",
    "SaslMechanism",
    "SecurityProtocol",
    "TopicName",
]

logger = logging.getLogger(__name__)

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
#: The topics stream-al writes, each named ``<topic_prefix>.<name>``.
TopicName = Literal["predictions", "labels", "alerts", "models", "dlq", "candidates"]
TOPICS: tuple[str, ...] = get_args(TopicName)

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_SSL_FIELDS = ("ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_password")
_SASL_FIELDS = ("sasl_plain_username", "sasl_plain_password")


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
        The Kafka library: ``"kafka-python"`` (pure Python, always installed) or
        ``"confluent"`` (confluent-kafka on librdkafka, several times faster;
        ``pip install 'stream-al[confluent]'``).
    client_options
        Other settings of that library holding a plain value, in its own names:
        kafka-python's (``client_id``, ``request_timeout_ms``,
        ``compression_type``), given to the consumer, producer or admin client
        that knows each; or librdkafka's (``"client.id"``,
        ``"request.timeout.ms"``, ``"compression.type"``), given to every
        client (librdkafka ignores those that do not apply). A ``[kafka.client]``
        table of kafka-python options, the spelling before ``client`` chose the
        library, is still read as ``client_options``.
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
    client: KafkaClient = "kafka-python"
    client_options: dict[str, OptionValue] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _options_table_named_client(cls, data: Any) -> Any:
        """Read a ``[kafka.client]`` table of options (the older spelling) as ``client_options``."""
        if not isinstance(data, dict) or not isinstance(data.get("client"), dict):
            return data
        if data.get("client_options"):
            raise field_error(
                "client",
                "is a table of options while client_options is set too; move its options "
                "into [kafka.client_options] (client now names the Kafka library)",
                remove=True,
            )
        logger.warning(
            "config [kafka.client] as a table of options is deprecated: rename it "
            "[kafka.client_options] (STREAM_AL_KAFKA__CLIENT_OPTIONS__...); [kafka] client "
            'now names the Kafka library, "kafka-python" or "confluent"'
        )
        rest = {key: value for key, value in data.items() if key != "client"}
        return rest | {"client_options": data["client"]}

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

    @field_validator("client")
    @classmethod
    def _client_installed(cls, value: str) -> str:
        if value == "confluent" and (missing := confluent_missing()) is not None:
            raise ValueError(missing)
        return value

    @field_validator("client_options", mode="before")
    @classmethod
    def _client_options(cls, value: Any, info: ValidationInfo) -> Any:
        client = info.data.get("client")
        if not isinstance(value, dict) or client not in CLIENTS:
            return value  # not a table (reported as such), or the client itself is wrong
        return check_options(client, {str(key): item for key, item in value.items()})

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise field_error(
                "heartbeat_interval_ms",
                "must be below session_timeout_ms ({session}); a third of it is usual",
                session=self.session_timeout_ms,
            )
        sasl = self.security_protocol.startswith("SASL_")
        ssl = self.security_protocol.endswith("SSL")
        for name in _SASL_FIELDS:
            if sasl and getattr(self, name) is None:
                raise field_error(name, "is required when security_protocol is SASL_*")
            if not sasl and getattr(self, name) is not None:
                raise field_error(name, "is set but security_protocol is not SASL_*", remove=True)
        for name in _SSL_FIELDS:
            if not ssl and getattr(self, name) is not None:
                raise field_error(
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

    def kafka_python_options(self) -> dict[str, Any]:
        """Keyword arguments every kafka-python client accepts: brokers, security, and the
        `client_options` every kafka-python client knows (when ``client`` is kafka-python).

        Secrets are unwrapped here: never log the result.
        """
        consumer, producer, admin = kafka_python_defaults()
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
        options.update({k: v for k, v in self._own_options("kafka-python").items() if k in common})
        return options

    def consumer_options(self) -> dict[str, Any]:
        """`kafka_python_options` plus the consumer's: group, manual commits, poll sizes."""
        consumer, _, _ = kafka_python_defaults()
        options = self.kafka_python_options()
        own = self._own_options("kafka-python")
        options.update({k: v for k, v in own.items() if k in consumer})
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
        """`kafka_python_options` plus the producer's; ``acks="all"`` unless
        `client_options` says otherwise."""
        _, producer, _ = kafka_python_defaults()
        options = self.kafka_python_options()
        options["acks"] = "all"
        own = self._own_options("kafka-python")
        options.update({k: v for k, v in own.items() if k in producer})
        return options

    def librdkafka_options(self) -> dict[str, Any]:
        """librdkafka settings of every confluent-kafka client: brokers, security (each field
        under its librdkafka name, `LIBRDKAFKA_NAMES`), and `client_options` (when ``client``
        is confluent).

        Secrets are unwrapped here: never log the result.
        """
        names = LIBRDKAFKA_NAMES
        options: dict[str, Any] = {
            names["bootstrap_servers"]: ",".join(self.bootstrap_servers),
            names["security_protocol"]: self.security_protocol,
        }
        if self.security_protocol.startswith("SASL_"):
            options[names["sasl_mechanism"]] = self.sasl_mechanism
            options[names["sasl_plain_username"]] = self.sasl_plain_username
            options[names["sasl_plain_password"]] = _reveal(self.sasl_plain_password)
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path: Path | None = getattr(self, name)
            if path is not None:
                options[names[name]] = str(path)
        if self.ssl_password is not None:
            options[names["ssl_password"]] = _reveal(self.ssl_password)
        options.update(self._own_options("confluent"))
        return options

    def _own_options(self, client: str) -> dict[str, Any]:
        """`client_options` with their values revealed, if they are `client`'s; else none."""
        if self.client != client:
            return {}
        return {key: reveal(value) for key, value in self.client_options.items()}


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()

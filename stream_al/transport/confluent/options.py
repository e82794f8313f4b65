"""librdkafka settings of the confluent backend: our defaults, what callers may override, what not.

The same choices as the kafka-python backend (`stream_al.transport.kafka.options`),
in librdkafka's names: short group sessions, offsets committed only by
stream-al (``enable.auto.commit`` and ``enable.auto.offset.store`` off), acks
from all replicas, a non-idempotent producer with one request in flight and a
delivery timeout of a day.

>>> config = consumer_config("g1", "127.0.0.1:9092", {"session.timeout.ms": 10000})
>>> config["enable.auto.commit"], config["enable.auto.offset.store"], config["session.timeout.ms"]
(False, False, 10000)
>>> producer_config("127.0.0.1:9092", None)["enable.idempotence"]
False
>>> consumer_config("g1", "b:9092", {"enable.auto.commit": True})
Traceback (most recent call last):
...
stream_al.exceptions.ConfigError: client option enable.auto.commit is managed by stream-al ...
>>> probe_options({"security.protocol": "ssl", "ssl.ca.location": "/etc/ca.pem"})
{'security_protocol': 'SSL', 'ssl_cafile': '/etc/ca.pem'}
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaException, Producer

from stream_al.exceptions import ConfigError

__all__ = [
    "admin_config",
    "consumer_config",
    "librdkafka_refuses",
    "probe_options",
    "producer_config",
]

CONSUMER_DEFAULTS: dict[str, Any] = {
    # Short sessions, as in the kafka-python backend: a dead member's partitions move within
    # seconds, and Tansu holds a group join for half the session timeout.
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 1000,
    "auto.offset.reset": "earliest",
    "enable.partition.eof": False,
    "client.id": "stream-al",
}
#: Never taken from the caller: offsets are committed by stream-al, explicitly, with the
#: offsets it names (librdkafka's offset store is not used, so nothing is stored behind
#: the caller's back when a message is handed out).
CONSUMER_FIXED: dict[str, Any] = {"enable.auto.commit": False, "enable.auto.offset.store": False}

PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "linger.ms": 5,
    "batch.size": 262_144,
    # Not idempotent, one request in flight per connection: the kafka-python backend's
    # choice (an idempotent producer stays broken on the test broker after a restart); a
    # retried batch may be written twice, consumers deduplicate on the item id.
    "enable.idempotence": False,
    "max.in.flight.requests.per.connection": 1,
    # Records wait in the producer and are retried (in order) through an outage of up to a
    # day instead of failing after librdkafka's default 5 minutes and being lost.
    "message.timeout.ms": 86_400_000,
    "client.id": "stream-al",
}
ADMIN_DEFAULTS: dict[str, Any] = {"client.id": "stream-al"}

#: Set by the clients themselves (callbacks, the log route): never from the caller.
CALLBACKS = frozenset(
    {"logger", "error_cb", "throttle_cb", "stats_cb", "oauth_cb", "log_cb"}
    | {"on_delivery", "on_commit"}
)
#: Passed as arguments of their own (the brokers, the group).
_OWN = frozenset({"bootstrap.servers", "metadata.broker.list", "group.id"})

_UNKNOWN = "stream-al.unknown-property"


def consumer_config(
    group_id: str, bootstrap: str, client_options: Mapping[str, Any] | None
) -> dict[str, Any]:
    """librdkafka consumer settings: our defaults, then the caller's, then the fixed ones."""
    return _merge(CONSUMER_DEFAULTS, client_options, CONSUMER_FIXED) | {
        "group.id": group_id,
        "bootstrap.servers": bootstrap,
    }


def producer_config(bootstrap: str, client_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """librdkafka producer settings: our defaults, then the caller's."""
    return _merge(PRODUCER_DEFAULTS, client_options, {}) | {"bootstrap.servers": bootstrap}


def admin_config(bootstrap: str, client_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """librdkafka admin-client settings: our defaults, then the caller's."""
    return _merge(ADMIN_DEFAULTS, client_options, {}) | {"bootstrap.servers": bootstrap}


def probe_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The TLS settings of a librdkafka `config` in the names `stream_al.transport.probe` reads.

    The probe connects the way the client does: same protocol, CA, certificate
    and key; no certificate check if ``enable.ssl.certificate.verification`` is
    false, no host-name check if ``ssl.endpoint.identification.algorithm`` is
    ``none``. librdkafka's special CA location ``probe`` means the system's CAs.
    """
    options: dict[str, Any] = {}
    protocol = str(config.get("security.protocol", "PLAINTEXT")).upper()
    if protocol != "PLAINTEXT":
        options["security_protocol"] = protocol
    names = {
        "ssl.ca.location": "ssl_cafile",
        "ssl.certificate.location": "ssl_certfile",
        "ssl.key.location": "ssl_keyfile",
        "ssl.key.password": "ssl_password",
    }
    for name, probe_name in names.items():
        value = config.get(name)
        if value is not None and not (name == "ssl.ca.location" and value == "probe"):
            options[probe_name] = str(value)
    if str(config.get("ssl.endpoint.identification.algorithm", "https")).lower() == "none":
        options["ssl_check_hostname"] = False
    if not _true(config.get("enable.ssl.certificate.verification", True)):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if "ssl_certfile" in options:
            context.load_cert_chain(
                options["ssl_certfile"], options.get("ssl_keyfile"), options.get("ssl_password")
            )
        options["ssl_context"] = context
    return options


def librdkafka_refuses(name: str, value: str | int | float | bool) -> str | None:
    """Why librdkafka refuses the setting ``name = value``; None if it takes it.

    No client is built: the setting is given first, then a property no
    librdkafka knows. librdkafka applies a configuration in order and stops at
    the first error, so an error about the unknown property means the setting
    passed. Only names and value syntax are checked here; files are opened when
    a client starts.

    >>> librdkafka_refuses("linger.ms", 20) is None
    True
    >>> librdkafka_refuses("linger_ms", 20)
    'No such configuration property: "linger_ms"'
    """
    try:
        Producer({name: value, _UNKNOWN: ""})
    except KafkaException as exc:
        reason = str(exc.args[0].str()) if exc.args else str(exc)
        if _UNKNOWN in reason:
            return None
        if isinstance(value, str) and len(value) >= 3:  # never repeat what may be a secret
            reason = reason.replace(value, "***")
        return reason
    except (TypeError, ValueError) as exc:  # a callback setting given a plain value
        return str(exc)
    return None  # pragma: no cover - the unknown property always stops the build


def _true(value: Any) -> bool:
    return str(value).strip().lower() not in ("false", "0", "no", "off")


def _merge(
    defaults: Mapping[str, Any], given: Mapping[str, Any] | None, fixed: Mapping[str, Any]
) -> dict[str, Any]:
    given = dict(given or {})
    for key in (*_OWN, *CALLBACKS, *fixed):
        if key in given and given[key] != fixed.get(key, object()):
            raise ConfigError(
                f"client option {key} is managed by stream-al and cannot be set in "
                "client_options; remove it (bootstrap and group have their own settings)"
            )
    return {**defaults, **given, **fixed}

"""What a librdkafka client says on its own: log lines and error events, kept quiet.

librdkafka logs every failed connection attempt, and reports it again to its
error callback, for as long as the broker is away; stream-al logs an outage
once when it starts and once when it ends (`stream_al.transport.watch`).
`ClientEvents` is given to a client as its ``logger`` and ``error_cb``: log
lines go to the ``stream_al.transport.confluent.librdkafka`` logger at DEBUG
(with librdkafka's own level in front), and errors are noted for the client to
act on once the call that served them returns (they run inside ``poll``,
``consume`` or ``flush``, on the caller's thread): a hint that the broker may
be gone, which the client checks with a probe, or an error no retry can fix
(authentication, a fatal error), raised as `TransportError` by the next call.

>>> from confluent_kafka import KafkaError
>>> events = ClientEvents("client=doc")
>>> events.on_error(KafkaError(KafkaError._ALL_BROKERS_DOWN))
>>> events.take_suspect(), events.take_suspect()
(True, False)
>>> events.on_error(KafkaError(KafkaError._AUTHENTICATION, "SASL authentication failed"))
>>> events.raise_fatal("127.0.0.1:9092")
Traceback (most recent call last):
...
stream_al.transport.errors.TransportError: client=doc at 127.0.0.1:9092: SASL authentication ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException

from stream_al.exceptions import ConfigError
from stream_al.transport.errors import TransportError

__all__ = ["ClientEvents", "build_client"]

T = TypeVar("T")

logger = logging.getLogger(__name__)
librdkafka_log = logging.getLogger("stream_al.transport.confluent.librdkafka")

#: Errors that no wait fixes: the credentials or the client's state are wrong.
_FATAL = frozenset({KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED})


class ClientEvents:
    """The ``logger`` and ``error_cb`` of one librdkafka client.

    Parameters
    ----------
    client
        Who the client is, for messages (``client=consumer group=g``...).
    """

    def __init__(self, client: str) -> None:
        self.client = client
        self._suspect = False
        self._fatal: KafkaError | None = None

    def config(self) -> dict[str, Any]:
        """The client settings that route librdkafka's logs and errors here."""
        return {"logger": self, "error_cb": self.on_error}

    def log(self, level: int, msg: str, *args: Any) -> None:
        """A librdkafka log line (confluent-kafka calls ``logger.log``): DEBUG, always."""
        if librdkafka_log.isEnabledFor(logging.DEBUG):
            librdkafka_log.debug("%s " + msg, logging.getLevelName(level), *args)

    def on_error(self, error: KafkaError) -> None:
        """librdkafka's error callback: note it for the client to act on."""
        if error.fatal() or error.code() in _FATAL:
            self._fatal = self._fatal or error
        else:
            self._suspect = True
        logger.debug("librdkafka error (%s error=%s)", self.client, error.str())

    def take_suspect(self) -> bool:
        """Whether librdkafka reported trouble since the last call (the broker may be gone)."""
        suspect, self._suspect = self._suspect, False
        return suspect

    def raise_fatal(self, bootstrap: str) -> None:
        """Raise `TransportError` if librdkafka reported an error no retry can fix."""
        if self._fatal is None:
            return
        raise TransportError(
            f"{self.client} at {bootstrap}: {self._fatal.str()}; check the security settings "
            "([kafka] security_protocol, sasl_mechanism, sasl_plain_username and the password, "
            "or the TLS files) and restart"
        )


def build_client(factory: Callable[[dict[str, Any]], T], config: dict[str, Any], client: str) -> T:
    """``factory(config)``, with librdkafka's refusal of a setting raised as `ConfigError`.

    A librdkafka client starts even when no broker answers (it connects in the
    background), so what fails here is the configuration, never the network.
    """
    try:
        return factory(config)
    except KafkaException as exc:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        reason = error.str() if error is not None else str(exc)
        if error is not None and error.code() == KafkaError._INVALID_ARG:
            raise ConfigError(
                f"{client}: librdkafka refused its settings: {reason}; fix [kafka] "
                "client_options (librdkafka names) or the security settings"
            ) from None
        raise TransportError(f"{client}: cannot start: {reason}") from exc

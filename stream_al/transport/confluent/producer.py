"""`ConfluentRecordProducer`: appends records to Kafka topics on librdkafka.

The same contract as the kafka-python `KafkaRecordProducer`: ``send`` is
asynchronous (batched by librdkafka in its own threads); ``flush`` waits until
every record sent so far is acknowledged by the broker, which is the moment the
offsets of whatever produced them may be committed.

During an outage librdkafka keeps the records and retries them in order (one
request in flight, a delivery timeout of a day), so nothing is lost. When
acknowledgements stop for `stall_after` seconds, or librdkafka reports trouble,
the broker is probed; if it does not answer, ``send`` waits (exponential
backoff with jitter, one log line when the outage starts and one when it ends)
instead of filling memory, and carries on where it stopped. Without
idempotence, a batch whose request timed out while the broker was alive but
frozen may be written twice (at-least-once): consumers deduplicate on the item
id. Records the broker refuses for good (too large, not authorized) raise
`DeliveryError` at the next ``send`` or ``flush``.

Acknowledgements are read by librdkafka's ``poll``, which ``send`` calls every
`POLL_EVERY` records and whenever its local queue is full, and ``flush`` calls
until the queue is empty.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from stream_al.transport.backoff import Backoff
from stream_al.transport.confluent.events import ClientEvents, build_client
from stream_al.transport.confluent.options import probe_options, producer_config
from stream_al.transport.errors import BrokerUnavailableError, DeliveryError, TransportError
from stream_al.transport.watch import BrokerWatch, wait_for_broker

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["POLL_EVERY", "ConfluentRecordProducer"]

logger = logging.getLogger(__name__)

#: Records sent between two reads of the acknowledgements (a read costs about a microsecond).
POLL_EVERY = 100
#: Seconds ``send`` lets librdkafka drain its queue when the queue is full.
_FULL_WAIT_S = 0.1
#: Errors of ``produce`` about the record itself: no retry can deliver it.
_REFUSED_AT_ONCE = frozenset({KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_MSG_SIZE})
#: Delivery errors of records dropped on purpose by `close` (not a refusal by the broker).
_PURGED = frozenset({KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})


class ConfluentRecordProducer:
    """Sends records to Kafka; implements `stream_al.transport.base.Producer`.

    Parameters
    ----------
    bootstrap
        ``host:port[,host:port...]`` of the brokers.
    client_options
        Extra librdkafka producer settings (TLS, SASL, compression...) in
        librdkafka's names, overriding our defaults (acks=all, linger 5 ms,
        256 KiB batches, not idempotent, one request in flight, a delivery
        timeout of a day; see `stream_al.transport.confluent.options`).
    backoff
        Delays between probes during an outage.
    stall_after
        Seconds without an acknowledgement, while some are awaited, before probing.
    probe_timeout
        Seconds a probe waits for the broker to answer.
    connect_timeout
        Seconds to wait for the broker when starting (None: as long as it takes).
    health, stop
        Told about outages (``/healthz``); ends every wait for the broker when set
        (`BrokerWatch`): a send or flush then raises `BrokerUnavailableError`.
    """

    def __init__(
        self,
        bootstrap: str,
        client_options: Mapping[str, Any] | None = None,
        backoff: Backoff | None = None,
        stall_after: float = 3.0,
        probe_timeout: float = 1.5,
        connect_timeout: float | None = None,
        health: Health | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        config = producer_config(bootstrap, client_options)
        self.stall_after = stall_after
        who = f"client=producer bootstrap={bootstrap}"
        self._events = ClientEvents(who)
        self._watch = BrokerWatch(
            who,
            bootstrap,
            probe_options(config),
            backoff,
            probe_timeout,
            health=health,
            stop=stop,
        )
        self._watch.check()
        deadline = None if connect_timeout is None else time.monotonic() + connect_timeout
        wait_for_broker(self._watch, deadline, connect_timeout)
        # Counters: sends on the caller's thread, acknowledgements in poll/flush (the caller's
        # thread too, with librdkafka); `_refused` is swapped under the lock all the same.
        self._lock = threading.Lock()
        self._sent = 0
        self._acked = 0
        self._errored = 0
        self._last_ack = 0.0
        self._waiting_since = 0.0
        self._last_check = 0.0
        self._refused: list[KafkaError] = []
        config |= self._events.config() | {"on_delivery": self._on_done}
        self._producer: Producer = build_client(Producer, config, who)

    @property
    def outages(self) -> int:
        """How many times the broker became unreachable since this producer started."""
        return self._watch.outage.outages

    @property
    def acknowledged(self) -> int:
        """Records the broker acknowledged."""
        return self._acked

    @property
    def unacknowledged(self) -> int:
        """Records sent but not acknowledged (nor failed) yet."""
        return self._sent - self._acked - self._errored

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Queue one record for `topic`; waits while the broker is unreachable."""
        self._check_progress()
        self._reachable(topic)
        self._raise_refused()
        while True:
            try:
                self._producer.produce(topic, value, key)
                break
            except BufferError:  # librdkafka's queue is full: let it drain
                self._producer.poll(_FULL_WAIT_S)
                self._check_progress()
                self._reachable(topic)
            except KafkaException as exc:  # refused before it left: too large, a bad topic
                error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
                reason = error.str() if error is not None else str(exc)
                if error is not None and error.code() in _REFUSED_AT_ONCE:
                    raise DeliveryError(
                        f"a record for {topic!r} ({len(value)} bytes) was refused: {reason}; "
                        "make it smaller or raise message.max.bytes (client_options) and the "
                        "topic's max.message.bytes"
                    ) from exc
                raise TransportError(f"send to {topic!r} failed: {reason}") from exc
            except RuntimeError as exc:  # a closed producer
                raise TransportError(f"send to {topic!r} failed: {exc}") from exc
        if self._sent == self._acked + self._errored:
            self._waiting_since = time.monotonic()
        self._sent += 1
        if self._sent % POLL_EVERY == 0:
            self._producer.poll(0)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record sent so far is acknowledged.

        Raises
        ------
        BrokerUnavailableError
            `timeout` seconds passed first (the records stay queued).
        DeliveryError
            The broker refused a record for good.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.monotonic()))
            if self._producer.flush(step) == 0:
                break
            self._check_progress()
            reachable = self._watch.wait_until_reachable(deadline)
            if not reachable or (deadline is not None and time.monotonic() >= deadline):
                why = f"{timeout}s passed"
                if self._watch.stopping:
                    why = "the process is stopping"
                raise BrokerUnavailableError(
                    f"{self.unacknowledged} records not acknowledged by {self._watch.bootstrap}"
                    f" ({why}); they are still queued, flush again to wait longer"
                ) from None
        self._raise_refused()

    def close(self, timeout: float | None = None) -> None:
        """Flush (waiting up to `timeout` seconds, None: as long as it takes), then close.

        Records the broker has not taken by then (an outage while the process
        stops) are dropped with one warning: whatever produced them was not
        committed either, so it is read again after the restart.
        """
        try:
            self.flush(timeout)
        except BrokerUnavailableError:
            logger.warning(
                "producer closed with %d records not acknowledged by %s; their input was not "
                "committed and is read again after the restart",
                self.unacknowledged,
                self._watch.bootstrap,
            )
            # librdkafka's close waits for queued records as long as they may be delivered:
            # drop them first (the warning above says what was not delivered)
            self._producer.purge(in_queue=True, in_flight=True, blocking=False)
            self._producer.poll(0)
        self._producer.close()

    # -- internals -----------------------------------------------------------------------------

    def _reachable(self, topic: str) -> None:
        """Wait while the broker is unreachable; raise if the process stops meanwhile."""
        if not self._watch.wait_until_reachable():
            raise BrokerUnavailableError(
                f"stopping while {self._watch.bootstrap} is unreachable: a record for {topic!r} "
                "was not sent (its input is read again after the restart)"
            )

    def _on_done(self, error: KafkaError | None, message: Message) -> None:
        """Inside poll/flush: an acknowledgement, or the error that ended a record."""
        if error is None:
            self._last_ack = time.monotonic()
            self._acked += 1
            return
        self._errored += 1
        if error.code() not in _PURGED:
            with self._lock:
                self._refused.append(error)

    def _check_progress(self) -> None:
        """Probe the broker when acknowledgements have stopped for `stall_after` seconds,
        or at once when librdkafka reported trouble."""
        self._events.raise_fatal(self._watch.bootstrap)
        now = time.monotonic()
        if self._events.take_suspect() and self.unacknowledged:
            self._last_check = now
            self._watch.check()
            return
        quiet = now - max(self._waiting_since, self._last_ack)
        if (
            self.unacknowledged
            and quiet > self.stall_after
            and now - self._last_check > self.stall_after
        ):
            self._last_check = now
            self._watch.check()

    def _raise_refused(self) -> None:
        if not self._refused:  # the common case, without taking the lock
            return
        with self._lock:
            refused, self._refused = self._refused, []
        raise DeliveryError(
            f"{len(refused)} record(s) were not delivered, first because of {refused[0].str()}; "
            "fix the record size, the topic or the permissions (records are kept and retried "
            "through outages for message.timeout.ms, a day by default)"
        )

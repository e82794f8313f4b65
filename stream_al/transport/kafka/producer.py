"""`KafkaRecordProducer`: appends records to Kafka topics and rides out broker outages.

``send`` is asynchronous (batched by kafka-python); ``flush`` waits until every
record sent so far is acknowledged by the broker, which is the moment the
offsets of whatever produced them may be committed.

During an outage kafka-python keeps the records and retries them in order (one
request in flight, a delivery timeout of a day), so nothing is lost. When
acknowledgements stop for `stall_after` seconds the broker is probed; if it does
not answer, ``send`` waits (exponential backoff with jitter, one log line when
the outage starts and one when it ends) instead of filling memory, and carries
on where it stopped. Without idempotence, a batch whose request timed out while
the broker was alive but frozen may be written twice (at-least-once): consumers
deduplicate on the item id. Records the broker refuses for good (too large, not
authorized) raise `DeliveryError` at the next ``send`` or ``flush``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from stream_al.transport.backoff import Backoff
from stream_al.transport.errors import BrokerUnavailableError, DeliveryError, TransportError
from stream_al.transport.kafka.options import producer_options
from stream_al.transport.kafka.watch import BrokerWatch, connect

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["KafkaRecordProducer"]

logger = logging.getLogger(__name__)


class KafkaRecordProducer:
    """Sends records to Kafka; implements `stream_al.transport.base.Producer`.

    Parameters
    ----------
    bootstrap
        ``host:port[,host:port...]`` of the brokers.
    client_options
        Extra kafka-python ``KafkaProducer`` settings (TLS, SASL, compression...),
        overriding our defaults (acks=all, linger 5 ms, 256 KiB batches, not
        idempotent, one request in flight, a delivery timeout of a day; see
        `stream_al.transport.kafka.options`).
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
        options = producer_options(bootstrap, client_options)
        self.stall_after = stall_after
        self._watch = BrokerWatch(
            f"client=producer bootstrap={bootstrap}",
            bootstrap,
            options,
            backoff,
            probe_timeout,
            health=health,
            stop=stop,
        )
        self._producer: KafkaProducer = connect(
            lambda: KafkaProducer(**options), self._watch, connect_timeout
        )
        # Counters written by one thread each (sends: the caller; acks and errors: kafka-python's
        # I/O thread), so reading them needs no lock; `_refused` is swapped under the lock.
        self._lock = threading.Lock()
        self._sent = 0
        self._acked = 0
        self._errored = 0
        self._last_ack = 0.0
        self._waiting_since = 0.0
        self._last_check = 0.0
        self._refused: list[BaseException] = []

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
                future = self._producer.send(topic, value=value, key=key)
                break
            except KafkaTimeoutError as exc:
                if self._watch.check():
                    logger.warning(
                        "send blocked for max_block_ms although the broker answers (no "
                        "metadata for the topic yet, or the send buffer is full); retrying "
                        "(topic=%s error=%r)",
                        topic,
                        exc,
                    )
                self._reachable(topic)
            except MessageSizeTooLargeError as exc:  # refused before it left: no retry helps
                raise DeliveryError(
                    f"a record for {topic!r} ({len(value)} bytes) was refused: {exc}; make it "
                    "smaller or raise max_request_size (client_options) and the topic's "
                    "max.message.bytes"
                ) from exc
            except AssertionError as exc:  # kafka-python asserts on a closed producer
                raise TransportError(f"send to {topic!r} failed: {exc!r}") from exc
        if self._sent == self._acked + self._errored:
            self._waiting_since = time.monotonic()
        self._sent += 1
        future.add_both(self._on_done)

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
            try:
                self._producer.flush(timeout=step)
                break
            except KafkaTimeoutError:
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
            # kafka-python cannot close without flushing; its sender is a daemon thread that
            # ends with the process, and the warning above says what was not delivered
            with contextlib.suppress(KafkaTimeoutError):
                self._producer.close(timeout=0.0)
            return
        self._producer.close(timeout=timeout if timeout is not None else 5.0)

    # -- internals -----------------------------------------------------------------------------

    def _reachable(self, topic: str) -> None:
        """Wait while the broker is unreachable; raise if the process stops meanwhile."""
        if not self._watch.wait_until_reachable():
            raise BrokerUnavailableError(
                f"stopping while {self._watch.bootstrap} is unreachable: a record for {topic!r} "
                "was not sent (its input is read again after the restart)"
            )

    def _on_done(self, result: object) -> None:
        """On kafka-python's I/O thread: an acknowledgement, or the error that ended a record."""
        if isinstance(result, BaseException):
            with self._lock:
                self._refused.append(result)
            self._errored += 1
        else:
            self._last_ack = time.monotonic()
            self._acked += 1

    def _check_progress(self) -> None:
        """Probe the broker when acknowledgements have stopped for `stall_after` seconds."""
        now = time.monotonic()
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
            f"{len(refused)} record(s) were not delivered, first because of {refused[0]!r}; "
            "fix the record size, the topic or the permissions (records are kept and retried "
            "through outages for delivery_timeout_ms, a day by default)"
        )

"""`ConfluentRecordConsumer`: one member of a Kafka consumer group on librdkafka.

The same contract as the kafka-python `KafkaRecordConsumer`: auto-commit is
off (and librdkafka's offset store unused), the caller commits, per partition,
the next offset to read once the effects of the records before it are durable.
A commit is sent at once without waiting (librdkafka has no commit that can
be bounded in time: a blocking one waits for a frozen broker for minutes), and
the broker's answer is read by the next `poll`; until then its offsets stay
in `pending_offsets`. A commit that fails is kept and sent again before a
later poll (after an outage, or once the group settles); offsets of partitions
that moved to another member in between are dropped with a warning (their
records are read again there: at-least-once).

Before partitions move, the consumer calls `on_revoke` with them. It runs
inside `poll` (librdkafka serves rebalances in the call that reads records, on
the caller's thread) or inside `close`, so it must not call this consumer: it
flushes what it has done and *returns* the offsets now safe to commit, and the
consumer commits them, waiting for the answer, before letting the partitions
go. Partitions lost without a rebalance (the session expired) are not
committed: their new owner reads them again.

A broker outage is ridden out: `poll` returns nothing while the broker does not
answer, probing it with exponential backoff, and logs one line when the outage
starts and one when it ends; librdkafka's own reports go to DEBUG
(`stream_al.transport.confluent.events`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

from stream_al.transport.backoff import Backoff
from stream_al.transport.base import Offsets, Record, RevokeCallback, TopicPartition
from stream_al.transport.confluent.events import ClientEvents, build_client
from stream_al.transport.confluent.options import consumer_config, probe_options
from stream_al.transport.errors import TransportError
from stream_al.transport.watch import BrokerWatch, wait_for_broker

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["OUTAGE_ERRORS", "ConfluentRecordConsumer"]

logger = logging.getLogger(__name__)

#: Errors that mean "the broker (or the group's coordinator) is not answering now".
OUTAGE_ERRORS = frozenset(
    {
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._TIMED_OUT,
        KafkaError._TIMED_OUT_QUEUE,
        KafkaError._WAIT_COORD,
        KafkaError._RESOLVE,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NETWORK_EXCEPTION,
        KafkaError.BROKER_NOT_AVAILABLE,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.NOT_COORDINATOR,
    }
)
#: Seconds `close` waits to leave the group when the broker is known to be unreachable.
_CLOSE_UNREACHABLE_S = 0.5


class ConfluentRecordConsumer:
    """Reads `topics` as a member of `group_id`; implements `stream_al.transport.base.Consumer`.

    Parameters
    ----------
    topics
        Topics to subscribe to.
    group_id
        The consumer group (a fresh one reads from ``auto.offset.reset``).
    bootstrap
        ``host:port[,host:port...]`` of the brokers.
    client_options
        Extra librdkafka consumer settings (TLS, SASL, timeouts...) in
        librdkafka's names; they override our defaults
        (`stream_al.transport.confluent.options`), except the commit settings
        (always off) and the callbacks.
    on_revoke
        Called before partitions move away; returns the offsets to commit.
    backoff
        Delays between probes during an outage.
    idle_probe_after
        Seconds without records after which the broker is probed (an empty poll
        alone cannot tell a quiet topic from a silent broker).
    probe_timeout
        Seconds a probe waits for the broker to answer.
    commit_timeout
        Seconds `close` waits for the last commits and for leaving the group.
    connect_timeout
        Seconds to wait for the broker when starting (None: as long as it takes).
    max_poll_records
        Most records one `poll` returns, whatever it is asked for.
    health, stop
        Told about outages (``/healthz``); ends every wait for the broker when set.
    """

    def __init__(
        self,
        topics: Sequence[str],
        group_id: str,
        bootstrap: str,
        client_options: Mapping[str, Any] | None = None,
        on_revoke: RevokeCallback | None = None,
        backoff: Backoff | None = None,
        idle_probe_after: float = 3.0,
        probe_timeout: float = 1.5,
        commit_timeout: float = 5.0,
        connect_timeout: float | None = None,
        max_poll_records: int = 500,
        health: Health | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        config = consumer_config(group_id, bootstrap, client_options)
        self.group_id = group_id
        self.topics = list(topics)
        self.idle_probe_after = idle_probe_after
        self.commit_timeout = commit_timeout
        self.max_poll_records = max_poll_records
        self._on_revoke = on_revoke
        self._pending: dict[TopicPartition, int] = {}
        self._in_flight: dict[TopicPartition, int] = {}
        self._lock = threading.Lock()
        who = f"client=consumer group={group_id} bootstrap={bootstrap}"
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
        config |= self._events.config() | {"on_commit": self._committed}
        self._last_progress = time.monotonic()
        self._reported: set[tuple[int, str]] = set()
        self._closed = False
        self._consumer: Consumer = build_client(Consumer, config, who)
        self._consumer.subscribe(
            self.topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._lost
        )

    @property
    def pending_offsets(self) -> dict[TopicPartition, int]:
        """Offsets given to `commit` that the broker has not confirmed yet."""
        with self._lock:
            return dict(self._pending)

    @property
    def outages(self) -> int:
        """How many times the broker became unreachable since this consumer started."""
        return self._watch.outage.outages

    def poll(self, max_records: int = 500, timeout_ms: int = 1000) -> list[Record]:
        """Up to `max_records` records, waiting up to about `timeout_ms` (nothing in an outage)."""
        if self._closed:
            raise TransportError(f"poll after the consumer of group {self.group_id!r} was closed")
        self._events.raise_fatal(self._watch.bootstrap)
        deadline = time.monotonic() + timeout_ms / 1000
        if not self._watch.wait_until_reachable(deadline):
            return []
        self._send_pending()
        remaining = max(0.0, deadline - time.monotonic())
        wanted = max(1, min(max_records, self.max_poll_records))
        try:
            messages = self._consumer.consume(num_messages=wanted, timeout=remaining)
        except KafkaException as exc:
            self._consume_failed(exc)
            return []
        records = [_record(message) for message in messages if not self._failed(message)]
        self._events.raise_fatal(self._watch.bootstrap)
        if self._events.take_suspect():
            self._watch.check()
        if records:
            self._last_progress = time.monotonic()
        elif time.monotonic() - self._last_progress > self.idle_probe_after:
            self._last_progress = time.monotonic()
            self._watch.check()
        return records

    def commit(self, offsets: Offsets) -> None:
        """Commit the next offset to read per partition; kept and retried if it cannot be now."""
        with self._lock:
            self._pending.update((TopicPartition(*tp), offset) for tp, offset in offsets.items())
        if self._watch.reachable:
            self._send_pending()

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now (empty until the group is joined)."""
        if self._closed:
            return set()
        return {TopicPartition(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def close(self) -> None:
        """Commit what is pending, give up the partitions (calling `on_revoke`), leave the group.

        Leaving waits up to `commit_timeout` seconds (half a second when the
        broker is known to be unreachable): librdkafka's own close has no
        deadline, so it runs on a helper thread that is left behind, with a
        warning, if the broker does not answer; the group then moves the
        partitions once the session times out, as after a crash.
        """
        if self._closed:
            return
        self._closed = True
        if self._watch.reachable:
            self._send_pending()
        else:  # no commit can get through: say so now rather than wait for each to time out
            with self._lock:
                lost, self._pending = self._pending, {}
            if lost:
                logger.warning(
                    "offsets not committed at close, the broker is unreachable; their records "
                    "will be read again (group=%s offsets=%s)",
                    self.group_id,
                    lost,
                )
        wait = self.commit_timeout if self._watch.reachable else _CLOSE_UNREACHABLE_S
        closer = threading.Thread(target=self._leave, name=f"close-{self.group_id}", daemon=True)
        closer.start()
        closer.join(wait)
        if closer.is_alive():
            logger.warning(
                "consumer did not leave its group within %.1fs (broker not answering); its "
                "partitions move when the session times out (group=%s)",
                wait,
                self.group_id,
            )
            return
        if self._pending:
            logger.warning(
                "offsets not committed at close; their records will be read again "
                "(group=%s offsets=%s)",
                self.group_id,
                self._pending,
            )

    # -- commits -------------------------------------------------------------------------------

    def _send_pending(self) -> None:
        """Send the pending offsets not already on their way (asynchronously)."""
        with self._lock:
            offsets = {
                tp: offset
                for tp, offset in self._pending.items()
                if self._in_flight.get(tp) != offset
            }
            self._in_flight.update(offsets)
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=_kafka_offsets(offsets), asynchronous=True)
        except KafkaException as exc:
            with self._lock:
                for tp in offsets:
                    self._in_flight.pop(tp, None)
            self._commit_failed(offsets, _error_of(exc))

    def _committed(self, error: KafkaError | None, partitions: list[KafkaTopicPartition]) -> None:
        """librdkafka's answer to a commit, served inside `poll` or `close`."""
        failed: dict[TopicPartition, int] = {}
        reason = error
        with self._lock:
            for kafka_tp in partitions:
                tp = TopicPartition(kafka_tp.topic, kafka_tp.partition)
                if self._in_flight.get(tp) == kafka_tp.offset:
                    del self._in_flight[tp]
                problem = kafka_tp.error or error
                if problem is None:
                    if self._pending.get(tp) == kafka_tp.offset:
                        del self._pending[tp]
                else:
                    failed[tp] = kafka_tp.offset
                    reason = reason or problem
        if failed and reason is not None:
            self._commit_failed(failed, reason)
        elif partitions:
            self._last_progress = time.monotonic()

    def _commit_failed(self, offsets: Offsets, error: KafkaError) -> None:
        """Keep the offsets for a retry: after an outage, or after the group settles."""
        if error.code() in OUTAGE_ERRORS:
            self._watch.failed(f"commit: {error.str()}")
            return
        held = self.assignment()
        logger.warning(
            "commit deferred until the group settles (group=%s error=%s)",
            self.group_id,
            error.str(),
        )
        self._forget(tp for tp in offsets if tp not in held)

    def _forget(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            lost = {tp: self._pending.pop(tp) for tp in list(partitions) if tp in self._pending}
        if lost:
            logger.warning(
                "offsets of partitions that moved away were not committed; their records "
                "will be read again by the new owner (group=%s offsets=%s)",
                self.group_id,
                lost,
            )

    # -- the group: served inside consume() or close(), on the caller's thread -------------------

    def _assigned(self, consumer: Consumer, assigned: list[KafkaTopicPartition]) -> None:
        logger.info(
            "partitions assigned (group=%s partitions=%s)",
            self.group_id,
            sorted((tp.topic, tp.partition) for tp in assigned),
        )

    def _revoked(self, consumer: Consumer, revoked: list[KafkaTopicPartition]) -> None:
        """Collect the final offsets of `revoked` and commit them, waiting for the answer."""
        partitions = sorted(TopicPartition(tp.topic, tp.partition) for tp in revoked)
        if not partitions:
            return
        with self._lock:
            offsets = {tp: self._pending.pop(tp) for tp in partitions if tp in self._pending}
            for tp in partitions:
                self._in_flight.pop(tp, None)
        if self._on_revoke is not None:
            offsets.update(self._on_revoke(partitions) or {})
        if not offsets:
            return
        try:
            answers = consumer.commit(offsets=_kafka_offsets(offsets), asynchronous=False)
        except KafkaException as exc:
            refused = _error_of(exc).str()
        else:
            refused = "; ".join(
                f"{tp.topic}[{tp.partition}]: {tp.error}" for tp in answers if tp.error
            )
        if refused:
            logger.warning(
                "offsets not committed before partitions moved; their records will be read "
                "again (group=%s offsets=%s error=%s)",
                self.group_id,
                offsets,
                refused,
            )

    def _lost(self, consumer: Consumer, lost: list[KafkaTopicPartition]) -> None:
        self._forget(TopicPartition(tp.topic, tp.partition) for tp in lost)

    def _leave(self) -> None:
        try:
            self._consumer.close()
        except (KafkaException, RuntimeError) as exc:
            logger.warning("consumer close failed (group=%s error=%r)", self.group_id, exc)

    # -- errors --------------------------------------------------------------------------------

    def _consume_failed(self, exc: KafkaException) -> None:
        error = _error_of(exc)
        if error.fatal() or error.code() not in OUTAGE_ERRORS:
            raise TransportError(f"consumer of group {self.group_id!r}: {error.str()}") from exc
        self._watch.failed(error.str())

    def _failed(self, message: Message) -> bool:
        """Whether `message` is an error event rather than a record (reported once per kind)."""
        error = message.error()
        if error is None:
            return False
        if error.fatal():
            raise TransportError(f"consumer of group {self.group_id!r}: {error.str()}")
        if error.code() in OUTAGE_ERRORS:
            self._watch.failed(error.str())
            return True
        key = (error.code(), str(message.topic()))
        if key not in self._reported:  # e.g. a topic that does not exist (yet)
            self._reported.add(key)
            logger.warning(
                "consumer error, waiting (group=%s topic=%s error=%s)",
                self.group_id,
                message.topic(),
                error.str(),
            )
        return True


def _error_of(exc: KafkaException) -> KafkaError:
    if exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return KafkaError(KafkaError._FAIL, str(exc))


def _kafka_offsets(offsets: Offsets) -> list[KafkaTopicPartition]:
    return [KafkaTopicPartition(tp[0], tp[1], offset) for tp, offset in offsets.items()]


def _record(message: Message) -> Record:
    value = message.value()
    return Record(
        message.topic() or "",
        message.partition() or 0,
        message.offset() or 0,
        message.key(),
        value if value is not None else b"",
        message.timestamp()[1],
    )

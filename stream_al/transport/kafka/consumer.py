"""`KafkaRecordConsumer`: one member of a Kafka consumer group, with explicit commits.

Auto-commit is off: the caller commits, per partition, the next offset to read
once the effects of the records before it are durable. A commit that cannot be
made now (broker down, group rebalancing) is kept and retried before the next
poll; offsets of partitions that moved to another member in between are dropped
with a warning (their records are read again there: at-least-once).

Before partitions move, the consumer calls `on_revoke` with them. It runs inside
`poll` (on kafka-python's I/O thread while `poll` waits), so it must not call
this consumer: it flushes what it has done and *returns* the offsets now safe to
commit, and the consumer commits them before letting the partitions go.

A broker outage is ridden out: `poll` returns nothing while the broker does not
answer, probing it with exponential backoff, and logs one line when the outage
starts and one when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kafka import KafkaConsumer
from kafka.consumer.subscription_state import AsyncConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from kafka.structs import TopicPartition as KafkaTopicPartition

from stream_al.transport.backoff import Backoff
from stream_al.transport.base import Offsets, Record, RevokeCallback, TopicPartition
from stream_al.transport.errors import TransportError
from stream_al.transport.kafka.options import consumer_options
from stream_al.transport.kafka.watch import BrokerWatch, connect, is_retriable

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["KafkaRecordConsumer"]

logger = logging.getLogger(__name__)


class KafkaRecordConsumer:
    """Reads `topics` as a member of `group_id`; implements `stream_al.transport.base.Consumer`.

    Parameters
    ----------
    topics
        Topics to subscribe to.
    group_id
        The consumer group (a fresh one reads from ``auto_offset_reset``).
    bootstrap
        ``host:port[,host:port...]`` of the brokers.
    client_options
        Extra kafka-python ``KafkaConsumer`` settings (TLS, SASL, timeouts...);
        they override our defaults, except ``enable_auto_commit`` (always off).
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
        Seconds a commit may take before it is kept for a later retry.
    connect_timeout
        Seconds to wait for the broker when starting (None: as long as it takes).
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
        health: Health | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        options = consumer_options(group_id, bootstrap, client_options)
        self.group_id = group_id
        self.topics = list(topics)
        self.idle_probe_after = idle_probe_after
        self.commit_timeout = commit_timeout
        self._on_revoke = on_revoke
        self._pending: dict[TopicPartition, int] = {}
        self._lock = threading.Lock()
        self._watch = BrokerWatch(
            f"client=consumer group={group_id} bootstrap={bootstrap}",
            bootstrap,
            options,
            backoff,
            probe_timeout,
            health=health,
            stop=stop,
        )
        self._consumer: KafkaConsumer = connect(
            lambda: KafkaConsumer(**options), self._watch, connect_timeout
        )
        self._consumer.subscribe(self.topics, listener=_Listener(self))
        self._last_progress = time.monotonic()
        self._closed = False

    @property
    def pending_offsets(self) -> dict[TopicPartition, int]:
        """Offsets given to `commit` that the broker has not accepted yet."""
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
        deadline = time.monotonic() + timeout_ms / 1000
        if not self._watch.wait_until_reachable(deadline):
            return []
        self._commit_pending()
        remaining = max(0, int((deadline - time.monotonic()) * 1000))
        try:
            batches = self._consumer.poll(timeout_ms=remaining, max_records=max_records)
        except KafkaError as exc:
            if not is_retriable(exc):
                raise TransportError(f"consumer of group {self.group_id!r}: {exc}") from exc
            self._watch.failed(str(exc))
            return []
        records = [_record(message) for messages in batches.values() for message in messages]
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
            self._commit_pending()

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now (empty until the group is joined)."""
        return {TopicPartition(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def close(self) -> None:
        """Commit what is pending, give up the partitions (calling `on_revoke`), leave the group."""
        if self._closed:
            return
        self._closed = True
        if self._watch.reachable:
            self._commit_pending()
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
        wait = self.commit_timeout if self._watch.reachable else 0.5  # leaving the group
        try:
            self._consumer.close(timeout_ms=int(wait * 1000))
        except KafkaError as exc:
            logger.warning("consumer close failed (group=%s error=%r)", self.group_id, exc)
        if self._pending:
            logger.warning(
                "offsets not committed at close; their records will be read again "
                "(group=%s offsets=%s)",
                self.group_id,
                self._pending,
            )

    # -- commits -------------------------------------------------------------------------------

    def _commit_pending(self) -> None:
        with self._lock:
            offsets = dict(self._pending)
        if not offsets:
            return
        try:
            self._consumer.commit(
                _kafka_offsets(offsets), timeout_ms=int(self.commit_timeout * 1000)
            )
        except KafkaError as exc:
            self._commit_failed(offsets, exc)
            return
        with self._lock:
            for tp, offset in offsets.items():
                if self._pending.get(tp) == offset:
                    del self._pending[tp]
        self._last_progress = time.monotonic()

    def _commit_failed(self, offsets: Offsets, exc: KafkaError) -> None:
        """Keep the offsets for a retry: after an outage, or after the group settles."""
        if is_retriable(exc):
            self._watch.failed(f"commit: {exc}")
            return
        held = self.assignment()
        logger.warning(
            "commit deferred until the group settles (group=%s error=%r)", self.group_id, exc
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

    async def _revoked(self, revoked: set[KafkaTopicPartition]) -> None:
        """On kafka-python's I/O thread: collect the final offsets and commit them."""
        partitions = sorted(TopicPartition(tp.topic, tp.partition) for tp in revoked)
        with self._lock:
            offsets = {tp: self._pending.pop(tp) for tp in partitions if tp in self._pending}
        if self._on_revoke is not None:
            offsets.update(self._on_revoke(partitions) or {})
        if not offsets:
            return
        try:
            await self._consumer.commit_async(_kafka_offsets(offsets))
        except KafkaError as exc:
            logger.warning(
                "offsets not committed before partitions moved; their records will be read "
                "again (group=%s offsets=%s error=%r)",
                self.group_id,
                offsets,
                exc,
            )


class _Listener(AsyncConsumerRebalanceListener):  # type: ignore[misc]
    """Async so that committing inside a rebalance does not block the I/O loop."""

    def __init__(self, owner: KafkaRecordConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[KafkaTopicPartition]) -> None:
        await self._owner._revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[KafkaTopicPartition]) -> None:
        logger.info(
            "partitions assigned (group=%s partitions=%s)",
            self._owner.group_id,
            sorted((tp.topic, tp.partition) for tp in assigned),
        )

    async def on_partitions_lost(self, lost: set[KafkaTopicPartition]) -> None:
        self._owner._forget(TopicPartition(tp.topic, tp.partition) for tp in lost)


def _kafka_offsets(offsets: Offsets) -> dict[KafkaTopicPartition, OffsetAndMetadata]:
    return {
        KafkaTopicPartition(tp[0], tp[1]): OffsetAndMetadata(offset, "", -1)
        for tp, offset in offsets.items()
    }


def _record(message: Any) -> Record:
    return Record(
        message.topic,
        message.partition,
        message.offset,
        message.key,
        message.value if message.value is not None else b"",
        message.timestamp,
    )

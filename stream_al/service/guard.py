"""`BatchGuard`: no batch stops a role's stream, and no record is lost on the way.

A role's handler validates records one by one and dead-letters the malformed
ones itself. What the guard catches is a failure of the handler as a whole: a
store that cannot write, a broker that does not take a flush, a bug that one
odd record sets off. Its steps, for one polled batch:

1. Run the handler on the batch, holding the service lock.
2. If it raises, count the failure, `rewind` what the role keeps in memory of
   the failed attempt (the scorer's budget and position), log one line, and
   wait (exponential backoff; a stop request ends the wait) before trying
   again. The batch was not committed, so nothing is lost meanwhile.
3. After `max_failures` failed attempts in a row, isolate: run the handler on
   each record alone. A record that fails alone is dead-lettered with the
   exception (reason class ``failure``), the dead letter flushed and its
   offset committed; the other records are handled as usual. An alert says
   how many records were isolated and why.
4. A failure of the store or the broker (`TRANSIENT`) is no record's fault:
   it is retried with backoff for as long as it lasts and never isolated, so
   an outage dead-letters nothing.

The guard holds the lock only while the handler runs, never while it waits,
so the annotation API keeps answering during a backoff.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from stream_al.drift.alerts import DriftAlert
from stream_al.service.counters import StreamCounters
from stream_al.service.health import Health
from stream_al.store.errors import StoreError
from stream_al.transport.backoff import Backoff
from stream_al.transport.base import Offsets, Producer, Record, next_offsets
from stream_al.transport.dead_letter import dead_letter
from stream_al.transport.errors import TransportError

__all__ = ["TRANSIENT", "BatchGuard", "Handler"]

logger = logging.getLogger(__name__)

#: A role's batch handler: records in, offsets committed through the callback.
Handler = Callable[[Sequence[Record], Callable[[Offsets], None]], Any]

#: Failures of the infrastructure, retried for as long as they last, never isolated.
TRANSIENT: tuple[type[BaseException], ...] = (StoreError, TransportError, sqlite3.OperationalError)


class BatchGuard:
    """Runs `handle` on each batch so that no failure stops the stream (see the module).

    Parameters
    ----------
    role
        Whose batches (``scorer``, ``learner``, ...), for log lines and alerts.
    handle
        The role's handler; it commits through the callback it is given.
    commit
        Commits offsets of the consumer the batches come from.
    producer, dlq_topic
        Where isolated records go.
    lock
        Held while the handler runs (the service loop's lock).
    stop
        Set to stop: ends a backoff wait, leaving the batch uncommitted.
    counters
        Counts batch failures and isolated records.
    max_failures
        Failed attempts in a row before the records are isolated one by one.
    backoff
        Delays between attempts.
    rewind
        Undoes what a failed attempt left in memory (called after each failure).
    alert
        Where the alert about isolated records goes.
    health
        Told while the batches keep failing (``<role>: failing since ...``).

    Examples
    --------
    >>> from stream_al.transport.memory import MemoryBroker
    >>> broker = MemoryBroker()
    >>> done = []
    >>> def handle(records, commit):
    ...     if any(r.value == b"bad" for r in records):
    ...         raise ValueError("cannot handle " + repr(records[-1].value))
    ...     done.extend(r.value for r in records)
    >>> guard = BatchGuard("scorer", handle, lambda offsets: None, broker.producer(), "dlq",
    ...                    threading.RLock(), threading.Event(), StreamCounters(),
    ...                    max_failures=2, backoff=Backoff(initial=0.001, jitter=0.0))
    >>> guard([Record("events", 0, n, None, v, 0) for n, v in enumerate([b"a", b"bad", b"c"])])
    >>> done, [read.key for read in broker.read("dlq")], guard.counters.dead_lettered
    ([b'a', b'c'], [None], {'failure': 1})
    """

    def __init__(
        self,
        role: str,
        handle: Handler,
        commit: Callable[[Offsets], None],
        producer: Producer,
        dlq_topic: str,
        lock: AbstractContextManager[Any],
        stop: threading.Event,
        counters: StreamCounters,
        *,
        max_failures: int = 5,
        backoff: Backoff | None = None,
        rewind: Callable[[], None] | None = None,
        alert: Callable[[DriftAlert], object] | None = None,
        health: Health | None = None,
    ) -> None:
        self.role = role
        self.handle = handle
        self.commit = commit
        self.producer = producer
        self.dlq_topic = dlq_topic
        self.lock = lock
        self.stop = stop
        self.counters = counters
        self.max_failures = max(1, max_failures)
        self.backoff = backoff or Backoff(initial=0.5, maximum=30.0)
        self.rewind = rewind
        self.alert = alert
        self.health = health
        #: When the last failure happened (None: the last batch went through).
        self.failing_since: float | None = None

    def __call__(self, records: list[Record]) -> None:
        """Handle one batch: in one go, or record by record after repeated failures."""
        failures = 0
        while True:
            error = self._attempt(records)
            if error is None:
                return
            failures += 1
            if failures >= self.max_failures and not isinstance(error, TRANSIENT):
                self._isolate(records, error)
                return
            if self.stop.wait(self.backoff.next_delay()):
                return  # uncommitted: the batch is read again after the restart

    def _attempt(self, records: Sequence[Record]) -> Exception | None:
        try:
            with self.lock:
                self.handle(records, self.commit)
        except Exception as error:  # noqa: BLE001 - counted, logged, retried; never swallowed
            self._failed(records, error)
            return error
        if self.failing_since is not None:
            logger.info(
                "batch handled again role=%s after_s=%.1f",
                self.role,
                time.time() - self.failing_since,
            )
            self.failing_since = None
            if self.health is not None:
                self.health.up(self.role)
        self.backoff.reset()
        return None

    def _failed(self, records: Sequence[Record], error: Exception) -> None:
        if self.rewind is not None:
            with self.lock:
                self.rewind()
        self.counters.batch_failures += 1
        first = self.failing_since is None
        if first:
            self.failing_since = time.time()
        if self.health is not None:
            self.health.down(self.role, f"failing ({type(error).__name__}: {error})"[:200])
        log = logger.warning if first else logger.debug
        log(
            "batch failed role=%s records=%d first=%s error=%r",
            self.role,
            len(records),
            records[0].where if records else "-",
            error,
            exc_info=first and not isinstance(error, TRANSIENT),
        )

    def _isolate(self, records: Sequence[Record], error: Exception) -> None:
        logger.warning(
            "isolating records role=%s records=%d after=%d failures error=%r",
            self.role,
            len(records),
            self.max_failures,
            error,
        )
        isolated: list[tuple[Record, Exception]] = []
        for index, record in enumerate(records):
            failure = self._attempt([record]) if len(records) > 1 else error
            if failure is None:
                continue
            if isinstance(failure, TRANSIENT):  # the store or broker went away meanwhile
                self(list(records[index:]))
                break
            self._dead_letter(record, failure)
            isolated.append((record, failure))
        if isolated and self.alert is not None:
            self.alert(_alert(self.role, isolated))

    def _dead_letter(self, record: Record, failure: Exception) -> None:
        reason = (
            f"the {self.role} failed on this record {self.max_failures} times "
            f"({type(failure).__name__}: {failure}); isolated and set aside so the stream "
            "goes on: report it with this dead letter"
        )
        with self.lock:
            dead_letter(self.producer, self.dlq_topic, record, reason, kind="failure")
            self.producer.flush()
            self.counters.dead_letter("failure")
            self.commit(next_offsets([record]))
        logger.error("dead-lettered role=%s where=%s reason=%s", self.role, record.where, reason)


def _alert(role: str, isolated: list[tuple[Record, Exception]]) -> DriftAlert:
    record, failure = isolated[0]
    where = ", ".join(r.where for r, _ in isolated[:3]) + (" ..." if len(isolated) > 3 else "")
    return DriftAlert(
        kind="stream_failure",
        severity="critical",
        detector=role,
        source="stream",
        statistic=float(len(isolated)),
        position=max(0, record.offset),
        time=time.time(),
        message=(
            f"the {role} isolated {len(isolated)} record(s) that kept failing "
            f"({type(failure).__name__}: {failure}) and dead-lettered them: {where}"
        ),
    )

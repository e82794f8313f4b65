"""`BrokerWatch`: an `Outage` fed by probes, and `wait_for_broker` for a client's start.

Both Kafka backends use it the same way: when something suggests the broker is
gone (a retriable error, a client's error callback, or no progress for a few
seconds) they `check`; while it is unreachable they wait for the backoff
delay, probe again, and carry on when it answers. The outage is logged once
when it starts and once when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from stream_al.transport.backoff import Backoff, Outage
from stream_al.transport.errors import BrokerUnavailableError
from stream_al.transport.probe import probe

if TYPE_CHECKING:
    from stream_al.service.health import Health

__all__ = ["BrokerWatch", "wait_for_broker"]

logger = logging.getLogger(__name__)


class BrokerWatch:
    """Whether the broker answers, checked by probes, with one log line per change.

    Parameters
    ----------
    client
        Who is watching, for the log lines (``client=consumer group=g bootstrap=...``).
    bootstrap
        The servers to probe.
    options
        TLS settings for the probe, in kafka-python's names (`stream_al.transport.probe`).
    backoff
        Delays between probes while the broker is unreachable.
    probe_timeout
        Seconds a probe waits for an answer.
    sleep
        How to wait (injected in tests).
    health
        Told when the broker stops answering and when it answers again
        (``broker``, for ``/healthz``).
    stop
        Set when the process stops: waiting for the broker ends at once, as
        if its deadline had passed.

    Examples
    --------
    >>> watch = BrokerWatch("client=doc", "127.0.0.1:1", {}, probe_timeout=0.2)
    >>> watch.check(), watch.reachable  # nothing listens on port 1
    (False, False)
    """

    def __init__(
        self,
        client: str,
        bootstrap: str,
        options: Mapping[str, Any],
        backoff: Backoff | None = None,
        probe_timeout: float = 1.5,
        sleep: Callable[[float], None] = time.sleep,
        health: Health | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.outage = Outage(client, backoff, log=logger)
        self.client = client
        self.bootstrap = bootstrap
        self.probe_timeout = probe_timeout
        self._options = dict(options)
        self._sleep = sleep if stop is None else stop.wait
        self._health = health
        self._stop = stop

    @property
    def reachable(self) -> bool:
        """False from a failed check until a successful one."""
        return self.outage.reachable

    def check(self) -> bool:
        """Probe the broker now; record and return whether it answered."""
        reason = probe(self.bootstrap, self._options, self.probe_timeout)
        if reason is None:
            self.outage.recovered()
            if self._health is not None:
                self._health.up("broker", self.client)
            return True
        self.failed(reason)
        return False

    def failed(self, reason: str) -> None:
        """Record a failure seen by the client itself (an error from the broker or the network)."""
        self.outage.failed(reason)
        if self._health is not None:
            self._health.down("broker", "unreachable", self.client)

    @property
    def stopping(self) -> bool:
        """Whether the process is stopping (waits end at once)."""
        return self._stop is not None and self._stop.is_set()

    def wait_until_reachable(self, deadline: float | None = None) -> bool:
        """Back off and probe until the broker answers (True), or `deadline` passes or the
        process stops (False)."""
        while not self.outage.reachable:
            if self.stopping:
                return False
            pause = self.outage.wait()
            if deadline is not None and time.monotonic() + pause > deadline:
                self._sleep(max(0.0, deadline - time.monotonic()))
                return False
            self._sleep(pause)
            self.check()
        return True


def wait_for_broker(watch: BrokerWatch, deadline: float | None, timeout: float | None) -> None:
    """Wait until `watch`'s broker answers; raise if `deadline` (`timeout` seconds from the
    start) passes or the process stops first.

    Raises
    ------
    BrokerUnavailableError
        No broker answered in time, or the process is stopping.
    """
    if watch.wait_until_reachable(deadline):
        return
    if watch.stopping:
        raise BrokerUnavailableError(f"stopped while waiting for {watch.bootstrap}")
    raise BrokerUnavailableError(
        f"no broker answered at {watch.bootstrap} within {timeout}s; check the "
        "bootstrap address and that the broker is running"
    )

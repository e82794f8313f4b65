"""`Health`: what a service process is waiting for, as ``GET /healthz`` tells it.

Parts report trouble as it starts and ends: the Kafka clients when the broker
stops answering (``broker``), the start-up while it connects, a role whose
batches keep failing (``scorer``, ``learner``...). A process is healthy when
nothing waits. Thread-safe: the loop, the clients' threads and the API's
threads all use one.

>>> from stream_al.clock import FakeClock
>>> health = Health(clock=FakeClock(1_800_000_000.0).now)
>>> health.down("broker", "unreachable", who="client=producer")
>>> health.ok, health.waiting()
(False, {'broker': 'unreachable since 2027-01-15T08:00:00Z'})
>>> health.up("broker", who="client=producer")
>>> health.ok, health.waiting()
(True, {})
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Health"]


class Health:
    """Parts of a process that wait for something, each since when.

    Parameters
    ----------
    clock
        Wall-clock seconds (injected in tests).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._down: dict[tuple[str, str], tuple[float, str]] = {}

    def down(self, part: str, what: str, who: str = "") -> None:
        """`part` (e.g. ``broker``) is `what` (e.g. ``unreachable``) for `who`, from now.

        A repeat keeps the first time and takes the newest `what`.
        """
        with self._lock:
            since = self._down.get((part, who), (self._clock(), what))[0]
            self._down[(part, who)] = (since, what)

    def up(self, part: str, who: str = "") -> None:
        """`part` is fine again for `who`."""
        with self._lock:
            self._down.pop((part, who), None)

    @property
    def ok(self) -> bool:
        """Whether nothing waits."""
        with self._lock:
            return not self._down

    def waiting(self) -> dict[str, str]:
        """What waits, by part: its oldest trouble and since when (UTC)."""
        with self._lock:
            entries = sorted(self._down.items(), key=lambda entry: entry[1][0])
        out: dict[str, str] = {}
        for (part, _), (since, what) in entries:
            if part not in out:
                moment = datetime.fromtimestamp(since, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                out[part] = f"{what} since {moment}"
        return out

"""`Pacer`: send at a steady rate without a busy loop (a token bucket that sleeps).

Tokens accrue at `rate` per second up to `burst`; each send takes one. When none
is left the pacer sleeps until enough have accrued for a few milliseconds of
sends, so high rates cost a sleep per batch, not per record, and low rates sleep
exactly one interval.

>>> from stream_al.clock import FakeClock
>>> clock = FakeClock(0.0)
>>> pacer = Pacer(rate=10.0, clock=clock.now, sleep=clock.advance)
>>> for _ in range(21):
...     pacer.wait()
>>> round(clock.now(), 6)  # 20 intervals of 0.1 s after the first send
2.0
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stream_al.exceptions import ConfigError

__all__ = ["Pacer"]


class Pacer:
    """Paces calls to `wait` at `rate` per second on average.

    Parameters
    ----------
    rate
        Sends per second.
    burst
        Most sends allowed back to back after an idle spell (default: 1, or 5 ms of sends).
    clock, sleep
        Monotonic time and how to wait (injected in tests).
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ConfigError(f"rate must be positive (sends per second), got {rate}")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate * 0.005)
        self._clock = clock
        self._sleep = sleep
        self._tokens = 1.0
        self._at = clock()

    def wait(self) -> None:
        """Return when the next send is due, sleeping if it is early."""
        self._refill()
        if self._tokens < 1.0:
            self._sleep((min(self.burst, 1.0 + self.rate * 0.005) - self._tokens) / self.rate)
            self._refill()
        self._tokens -= 1.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

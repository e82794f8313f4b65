"""Riding out a broker outage: exponential `Backoff` and the `Outage` state machine.

`Outage` tracks whether the broker answers. It logs exactly one line when the
broker stops answering and one when it answers again, whatever the number of
retries in between (those go to DEBUG), and tells the caller how long to wait
before the next try: never a busy spin, never an exception.

>>> import logging, random
>>> from stream_al.clock import FakeClock
>>> clock = FakeClock(100.0)
>>> outage = Outage("consumer", Backoff(initial=1.0, jitter=0.0), clock=clock.now)
>>> outage.failed("connection refused")
1.0
>>> clock.advance(1.0); outage.failed("connection refused")
2.0
>>> outage.reachable, outage.wait()
(False, 2.0)
>>> clock.advance(2.0); outage.recovered()
3.0
>>> outage.reachable, outage.wait()
(True, 0.0)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from stream_al.exceptions import ConfigError

__all__ = ["Backoff", "Outage"]

logger = logging.getLogger(__name__)


class Backoff:
    """Exponential delays with jitter, bounded by `maximum`.

    The k-th delay (from 0) is ``min(maximum, initial · multiplier^k)`` times a
    uniform factor in ``[1 - jitter, 1 + jitter]``, capped again at `maximum`.

    Parameters
    ----------
    initial
        First delay, in seconds.
    maximum
        Largest delay, in seconds.
    multiplier
        Growth factor between consecutive delays.
    jitter
        Relative spread of the random factor, in [0, 1).
    rng
        Random source of the jitter (seed it in tests).

    Examples
    --------
    >>> backoff = Backoff(initial=0.5, maximum=4.0, jitter=0.0)
    >>> [backoff.next_delay() for _ in range(6)]
    [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    >>> backoff.reset(); backoff.next_delay()
    0.5
    """

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        multiplier: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        if not 0.0 < initial <= maximum:
            raise ConfigError(f"backoff needs 0 < initial <= maximum, got {initial}, {maximum}")
        if multiplier < 1.0 or not 0.0 <= jitter < 1.0:
            raise ConfigError(
                f"backoff needs multiplier >= 1 and jitter in [0, 1), got {multiplier}, {jitter}"
            )
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self) -> float:
        """The delay before the next try; each call grows the following one."""
        base = min(self.maximum, self.initial * self.multiplier**self._attempt)
        self._attempt = min(self._attempt + 1, 64)
        spread = 1.0 + self.jitter * (2.0 * self._rng.random() - 1.0)
        return min(self.maximum, base * spread)

    def reset(self) -> None:
        """Start again from `initial` (after a success)."""
        self._attempt = 0


class Outage:
    """Whether a client's broker answers, with one log line per change of state.

    Parameters
    ----------
    client
        Who is talking to the broker, for the log lines (``consumer group=g``...).
    backoff
        Delays between tries while the broker does not answer.
    clock
        Monotonic seconds (injected in tests).
    log
        Where the two state-change lines go.
    """

    def __init__(
        self,
        client: str,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger = logger,
    ) -> None:
        self.client = client
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._log = log
        self._since: float | None = None
        self._next_try = 0.0
        self.outages = 0

    @property
    def reachable(self) -> bool:
        """False from the first failure until the next success."""
        return self._since is None

    def failed(self, reason: str) -> float:
        """Record a failed try; return how long to wait before the next one."""
        now = self._clock()
        delay = self.backoff.next_delay()
        self._next_try = now + delay
        if self._since is None:
            self._since = now
            self.outages += 1
            self._log.warning(
                "broker unreachable, retrying in %.1fs (%s reason=%r)", delay, self.client, reason
            )
        else:
            self._log.debug(
                "broker still unreachable after %.1fs, retrying in %.1fs (%s reason=%r)",
                now - self._since,
                delay,
                self.client,
                reason,
            )
        return delay

    def recovered(self) -> float:
        """Record a success; return how long the outage lasted (0.0 if there was none)."""
        self.backoff.reset()
        if self._since is None:
            return 0.0
        lasted = self._clock() - self._since
        self._since = None
        self._next_try = 0.0
        self._log.info("broker reachable again after %.1fs (%s)", lasted, self.client)
        return lasted

    def wait(self) -> float:
        """Seconds to wait before the next try (0.0 when reachable or when it is time)."""
        if self._since is None:
            return 0.0
        return max(0.0, self._next_try - self._clock())

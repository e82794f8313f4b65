"""Clocks: the one place the core reads the time, so tests can drive it.

>>> clock = FakeClock(start=100.0)
>>> clock.now()
100.0
>>> clock.advance(2.5)
>>> clock.now()
102.5
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the current time in seconds."""

    def now(self) -> float:
        """Current time in seconds (epoch for the system clock)."""
        ...


class SystemClock:
    """Wall-clock time (`time.time`)."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to; for tests and simulations.

    Parameters
    ----------
    start
        The initial time in seconds.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back in time (advance by {seconds})")
        self._t += seconds

    def set(self, t: float) -> None:
        """Jump to time `t`, which must not be in the past."""
        if t < self._t:
            raise ValueError(f"a clock cannot go back in time (from {self._t} to {t})")
        self._t = float(t)

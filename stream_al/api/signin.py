"""Failed sign-ins: each one logged, and too many from one address refused for a while.

A failed sign-in is a request the API refused with 401: no token, an unknown
one, a revoked annotator's, or a wrong ``/metrics`` token. Each is logged with
the client's address and a reason code, never with any part of the token.
After `failures` of them from one address within a window of `window_s`
seconds (the window opens at the first), the address's requests carrying
credentials (an ``Authorization`` header) are answered 429 with
``Retry-After`` until the window ends, without the token being looked at:
nothing more is learnt by guessing, and nothing more is logged, but one line
saying the address is held off. Requests without credentials still get their
401, unlogged while the address is held off.

Tokens are 256 random bits: no limit changes the odds of guessing one. The
limit bounds the log lines and the lookups a script with a wrong token (or a
guesser) can cause. Addresses are remembered in a table of at most `clients`
entries, the least recently seen forgotten first.

>>> guard = SignInGuard(failures=2, window_s=60.0, clock=lambda: 100.0)
>>> guard.failed("10.0.0.7", "unknown_token", "/v1/me")
>>> guard.retry_after("10.0.0.7") is None
True
>>> guard.failed("10.0.0.7", "unknown_token", "/v1/me")
>>> guard.retry_after("10.0.0.7"), guard.retry_after("10.0.0.8")
(60, None)
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from stream_al.api.errors import TooManyFailuresError, UnauthorizedError

__all__ = ["SignInGuard"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(slots=True)
class _Tally:
    """One address's failures in its current window."""

    start: float
    failures: int


class SignInGuard:
    """Counts failed sign-ins per client address and holds off the addresses past the limit.

    Thread-safe: the API's routes run on a thread pool.

    Parameters
    ----------
    failures
        Failed sign-ins an address may make within a window (``[api] signin_failures``).
    window_s
        Seconds of a window, from an address's first failure in it (``[api] signin_window_s``).
    clients
        Most addresses remembered (``[api] signin_clients``).
    clock
        Monotonic seconds (a fake one in tests).
    """

    def __init__(
        self,
        failures: int,
        window_s: float,
        clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.window_s = window_s
        self.clients = clients
        self._clock = clock
        self._tallies: OrderedDict[str, _Tally] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Addresses remembered now."""
        return len(self._tallies)

    def sign_in(self, client: str, has_credentials: bool, where: str, check: Callable[[], T]) -> T:
        """Run `check` (raises `UnauthorizedError` to refuse), counting and logging a refusal.

        A request with credentials from an address held off is refused with
        `TooManyFailuresError` before `check` runs.
        """
        if has_credentials:
            wait = self.retry_after(client)
            if wait is not None:
                raise TooManyFailuresError(
                    "too_many_failures",
                    f"too many failed sign-ins from your address ({self.failures} within "
                    f"{self.window_s:g} s); try again in {wait} s with a valid token",
                    retry_after=wait,
                )
        try:
            return check()
        except UnauthorizedError as error:
            self.failed(client, error.reason, where)
            raise

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until `client` may sign in again; None if it is not held off."""
        now = self._clock()
        with self._lock:
            tally = self._tallies.get(client)
            if tally is None or tally.failures < self.failures:
                return None
            left = tally.start + self.window_s - now
        return max(1, math.ceil(left)) if left > 0 else None

    def failed(self, client: str, reason: str, where: str) -> None:
        """Count and log one failed sign-in of `client` (`where`: the route, not the raw path)."""
        now = self._clock()
        with self._lock:
            tally = self._tallies.get(client)
            if tally is not None and now >= tally.start + self.window_s:
                tally = None  # its window is over: a new one opens
            if tally is not None and tally.failures >= self.failures:
                return  # held off already: neither counted nor logged again
            if tally is None:
                tally = _Tally(now, 0)
                self._tallies[client] = tally
            tally.failures += 1
            self._tallies.move_to_end(client)
            self._forget(now)
            failures, start = tally.failures, tally.start
        logger.warning(
            "api.signin_failed client=%s reason=%s route=%s failures=%d",
            client,
            reason,
            where,
            failures,
        )
        if failures >= self.failures:
            logger.warning(
                "api.signin_held_off client=%s failures=%d window_s=%g retry_after_s=%d",
                client,
                failures,
                self.window_s,
                max(1, math.ceil(start + self.window_s - now)),
            )

    def _forget(self, now: float) -> None:
        """Drop finished windows from the least recent end, then the least recent over `clients`."""
        tallies = self._tallies
        while tallies:
            oldest = next(iter(tallies.values()))
            if now < oldest.start + self.window_s and len(tallies) <= self.clients:
                return
            tallies.popitem(last=False)

"""Time-decayed priority, and an ordering key that never needs re-sorting.

An item's value halves every `half_life` seconds after it arrived::

    priority(t) = score · 2^(−(t − t_arrival) / half_life)

Taking the log, ``log priority(t) = key − t·ln2/half_life`` with::

    key = log(score) + t_arrival · ln2 / half_life

The second term is the same for every item at a given `t`, so ordering items
by `key` orders them by current priority at *every* time: a heap built on the
key stays valid as time passes. A score of 0 has key ``-inf`` (its priority is
0 forever), below every positive score.

>>> p = DecayedPriority(half_life=60.0)
>>> old = p.key(score=0.9, arrival=0.0)     # valuable, but a minute older
>>> new = p.key(score=0.5, arrival=60.0)
>>> new > old
True
>>> [(round(p.at(old, t), 3), round(p.at(new, t), 3)) for t in (60.0, 300.0)]
[(0.45, 0.5), (0.028, 0.031)]
>>> p.at(p.key(0.0, 10.0), 10.0)
0.0
"""

from __future__ import annotations

import math

from stream_al.exceptions import ConfigError

__all__ = ["DecayedPriority", "decayed_priority"]

_LN2 = math.log(2.0)


def decayed_priority(score: float, arrival: float, t: float, half_life: float) -> float:
    """The priority at time `t` of an item that arrived at `arrival` with `score`.

    Parameters
    ----------
    score
        Informativeness at arrival, ``>= 0``.
    arrival
        When the item arrived, in seconds.
    t
        When the priority is read, in seconds.
    half_life
        Seconds for the priority to halve, ``> 0``.

    Examples
    --------
    >>> decayed_priority(0.8, arrival=0.0, t=30.0, half_life=15.0)
    0.2
    """
    if score == 0.0:
        return 0.0
    try:
        return score * math.pow(2.0, -(t - arrival) / half_life)
    except OverflowError:  # arrival far after t
        return math.inf


class DecayedPriority:
    """Exponentially decaying priority, and its time-independent ordering key.

    Parameters
    ----------
    half_life
        Seconds for a priority to halve; finite and ``> 0``.
    origin
        A reference time subtracted from every time before use. Keys are only
        comparable between objects with the same `half_life` and `origin`.
        Setting it near the times in use (e.g. the queue's start time) keeps
        keys small, so no precision is lost with epoch-second timestamps.

    Examples
    --------
    Ordering by key is ordering by current priority, at any time:

    >>> p = DecayedPriority(half_life=10.0, origin=1_700_000_000.0)
    >>> a = p.key(score=1.0, arrival=1_700_000_000.0)
    >>> b = p.key(score=0.3, arrival=1_700_000_020.0)
    >>> for t in (1_700_000_020.0, 1_700_000_500.0):
    ...     print(p.at(b, t) > p.at(a, t), b > a)
    True True
    True True
    """

    def __init__(self, half_life: float, origin: float = 0.0) -> None:
        if not (math.isfinite(half_life) and half_life > 0):
            raise ConfigError(f"half_life must be a positive number of seconds, got {half_life}")
        if not math.isfinite(origin):
            raise ConfigError(f"origin must be a finite time, got {origin}")
        self.half_life = float(half_life)
        self.origin = float(origin)
        self._rate = _LN2 / self.half_life

    def key(self, score: float, arrival: float) -> float:
        """The ordering key of an item; larger key means higher priority at every time.

        Raises
        ------
        ValueError
            If `score` is negative or not finite, or `arrival` is not finite.
        """
        if not (math.isfinite(score) and score >= 0.0):
            raise ValueError(f"a priority score must be finite and >= 0, got {score}")
        if not math.isfinite(arrival):
            raise ValueError(f"an arrival time must be finite, got {arrival}")
        if score == 0.0:
            return -math.inf
        return math.log(score) + (arrival - self.origin) * self._rate

    def at(self, key: float, t: float) -> float:
        """The priority at time `t` of the item with ordering key `key`."""
        if key == -math.inf:
            return 0.0
        exponent = key - (t - self.origin) * self._rate
        try:
            return math.exp(exponent)
        except OverflowError:  # arrival far after t with a large score
            return math.inf

    def priority(self, score: float, arrival: float, t: float) -> float:
        """The priority at time `t` of an item that arrived at `arrival` with `score`."""
        return decayed_priority(score, arrival, t, self.half_life)

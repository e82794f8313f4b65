"""What became of a role's records: scored, dropped as duplicates, dead-lettered, failed.

Every record a role reads ends in exactly one of these places, and
`StreamCounters` counts them. The scorer and the learner save their counters
in the same store transaction as the effects they count (so a replay after a
crash does not count twice), under ``counters:<role>``; the annotation API
reads them back from the store for ``/v1/stats`` and ``/metrics``, whichever
process the role runs in.

>>> counters = StreamCounters()
>>> counters.dead_letter("id"); counters.dead_letter("id"); counters.scored += 3
>>> counters.state()["dead_lettered"]
{'id': 2}
>>> StreamCounters.from_state(counters.state()) == counters
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stream_al.store.base import Store

__all__ = ["StreamCounters", "counters_key", "read_counters"]


def counters_key(role: str) -> str:
    """The store key of `role`'s counters."""
    return f"counters:{role}"


@dataclass
class StreamCounters:
    """Counts of what became of the records of one role.

    Attributes
    ----------
    scored
        Records handled in full (items scored; labels learned or logged).
    duplicates
        Records dropped because their id was already handled (a replay, or the
        same id twice in a stream).
    dead_lettered
        Records sent to the dead-letter topic, by the class of the reason
        (`stream_al.transport.errors.REASON_KINDS`).
    batch_failures
        Attempts at a batch that raised (each retry counts).
    """

    scored: int = 0
    duplicates: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)
    batch_failures: int = 0

    def dead_letter(self, kind: str, n: int = 1) -> None:
        """Count `n` dead letters of reason class `kind`."""
        self.dead_lettered[kind] = self.dead_lettered.get(kind, 0) + n

    def add(self, other: StreamCounters) -> None:
        """Add `other`'s counts to these."""
        self.scored += other.scored
        self.duplicates += other.duplicates
        for kind, n in other.dead_lettered.items():
            self.dead_letter(kind, n)
        self.batch_failures += other.batch_failures

    def plus(self, other: StreamCounters) -> StreamCounters:
        """These counts with `other`'s added (neither is changed)."""
        total = StreamCounters.from_state(self.state())
        total.add(other)
        return total

    def state(self) -> dict[str, Any]:
        """The counts as JSON."""
        return {
            "scored": self.scored,
            "duplicates": self.duplicates,
            "dead_lettered": dict(self.dead_lettered),
            "batch_failures": self.batch_failures,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> StreamCounters:
        """Counters from `state` (zeros for what it lacks or does not hold as counts)."""
        state = state or {}
        letters = state.get("dead_lettered")
        return cls(
            scored=_count(state.get("scored")),
            duplicates=_count(state.get("duplicates")),
            dead_lettered={
                str(k): _count(v) for k, v in (letters.items() if isinstance(letters, dict) else ())
            },
            batch_failures=_count(state.get("batch_failures")),
        )

    def save(self, store: Store, role: str) -> None:
        """Write the counts under `role`'s key (inside the caller's transaction)."""
        store.save_state(counters_key(role), self.state())


def read_counters(store: Store, roles: Iterable[str]) -> dict[str, StreamCounters]:
    """The counters the `roles` saved in `store` (zeros for a role that saved none)."""
    return {role: StreamCounters.from_state(store.load_state(counters_key(role))) for role in roles}


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

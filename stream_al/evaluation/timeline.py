"""A bounded record of how a run evolves, for progress displays and reports.

Snapshots are taken every `every` items; when more than `max_points` pile up,
every other one is dropped and the interval doubles, so memory stays bounded
however long the stream.

>>> t = Timeline(every=1, max_points=4)
>>> for i in range(1, 11):
...     t.maybe_record(i, lambda: {"acc": i / 10})
>>> [p["position"] for p in t.points], t.every
([4, 8], 4)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Timeline"]


class Timeline:
    """Snapshots of named values against the stream position.

    Parameters
    ----------
    every
        Items between snapshots at the start.
    max_points
        Most snapshots kept; the interval doubles when this is exceeded.
    """

    def __init__(self, every: int = 100, max_points: int = 2000) -> None:
        self.every = max(1, every)
        self.max_points = max(4, max_points)
        self.points: list[dict[str, Any]] = []
        self.marks: list[dict[str, Any]] = []

    def maybe_record(self, position: int, values: Callable[[], dict[str, Any]]) -> None:
        """Record ``values()`` if `position` is on the current interval."""
        if position % self.every == 0:
            self.record(position, values())

    def record(self, position: int, values: dict[str, Any]) -> None:
        """Record a snapshot at `position` unconditionally."""
        if self.points and self.points[-1]["position"] == position:
            self.points[-1].update(values)
            return
        self.points.append({"position": position, **values})
        if len(self.points) > self.max_points:
            self.every *= 2
            self.points = [p for p in self.points if p["position"] % self.every == 0]

    def mark(self, position: int, kind: str, **info: Any) -> None:
        """Mark an event (a drift, a pause) at `position`; marks are kept up to `max_points`."""
        if len(self.marks) < self.max_points:
            self.marks.append({"position": position, "kind": kind, **info})

    def series(self, name: str) -> tuple[list[int], list[Any]]:
        """Positions and values of one recorded quantity."""
        pts = [p for p in self.points if name in p]
        return [p["position"] for p in pts], [p[name] for p in pts]

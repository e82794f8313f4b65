"""Detected drifts against the true ones: which true drift each alert found, and how late.

An alert *detects* the true drift at `p` when it is the first alert at or
after `p` and before the next true drift; every other alert is counted apart
(re-detections of the same change, or false alarms).

>>> m = match_drifts([1000, 2000], [400, 1300, 1500, 2900])
>>> m.delays, m.detected, m.other
([300, 900], 2, 2)
>>> m.describe(3)
'2 of 2 true drifts (delay 300, 900 items); 2 other alerts'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DriftMatch", "match_drifts"]


@dataclass(frozen=True)
class DriftMatch:
    """How a list of alerts lines up with the true drift positions.

    Attributes
    ----------
    delays
        For each true drift, items between it and the alert that detected it
        (None when no alert did).
    other
        Alerts that detected no true drift.
    """

    delays: list[int | None]
    other: int

    @property
    def detected(self) -> int:
        """True drifts detected."""
        return sum(d is not None for d in self.delays)

    def describe(self, limit: int = 6) -> str:
        """One line for the summary table."""
        if not self.delays:
            return f"{self.other} alerts (no known drift positions)"
        found = [f"{d:,}" for d in self.delays if d is not None][:limit]
        delay = f" (delay {', '.join(found)} items)" if found else ""
        plural = "" if self.other == 1 else "s"
        return (
            f"{self.detected} of {len(self.delays)} true drifts{delay}; "
            f"{self.other} other alert{plural}"
        )


def match_drifts(true: Sequence[int], alerts: Sequence[int]) -> DriftMatch:
    """Match alert positions to true drift positions (both in items)."""
    positions = sorted(true)
    ordered = sorted(alerts)
    delays: list[int | None] = []
    for k, start in enumerate(positions):
        end = positions[k + 1] if k + 1 < len(positions) else None
        hit = next((a for a in ordered if a >= start and (end is None or a < end)), None)
        delays.append(None if hit is None else hit - start)
    found = sum(d is not None for d in delays)
    return DriftMatch(delays=delays, other=len(ordered) - found)

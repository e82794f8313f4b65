"""What the demo shows while it runs: one snapshot of the loop.

`DemoStatus` feeds both the live display and the timeline behind the report
(`to_point` gives the timeline's series, under the names the report reads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from stream_al.drift.alerts import DriftAlert

__all__ = ["DemoStatus"]


@dataclass(frozen=True, slots=True)
class DemoStatus:
    """The state of a demo run at one moment.

    Attributes
    ----------
    position, total
        Items processed, and the stream length when known.
    sim_time
        Simulated seconds since the start.
    accuracy, window_accuracy
        Prequential accuracy over every item so far, and over the recent window
        (the demo knows every true label, the model does not).
    unbiased_accuracy, random_labels
        The estimate from the randomly drawn labels only (what a deployment
        without the truth would see; None until one arrived), and their number.
    labels_spent, budget_allowed
        Labels the rule has asked for, and what the budget allows by now.
    labels_received
        Labels the annotators returned, all learned by the model.
    queue_depth, leased, capacity
        Tasks waiting, tasks out with annotators, and the queue's bound.
    evicted, expired, dropped
        Tasks lost so far: pushed out of a full queue, too old, skipped too often.
    lag_seconds, lag_p95_seconds, lag_items
        Label lag of the recent labels (nan before any).
    drifts, last_drift
        Drift alerts raised so far, and the latest one.
    wall_seconds
        Real seconds since the start.

    Examples
    --------
    >>> s = DemoStatus(
    ...     position=500, total=1000, sim_time=50.0, accuracy=0.8, window_accuracy=0.85,
    ...     unbiased_accuracy=None, random_labels=0, labels_spent=25, budget_allowed=25.0,
    ...     labels_received=20, queue_depth=3, leased=2, capacity=200, evicted=0, expired=0,
    ...     dropped=0, lag_seconds=30.0, lag_p95_seconds=55.0, lag_items=300.0, drifts=0,
    ...     last_drift=None, wall_seconds=0.1)
    >>> s.fraction, s.to_point()["queue_depth"]
    (0.5, 3)
    """

    position: int
    total: int | None
    sim_time: float
    accuracy: float
    window_accuracy: float
    unbiased_accuracy: float | None
    random_labels: int
    labels_spent: int
    budget_allowed: float
    labels_received: int
    queue_depth: int
    leased: int
    capacity: int
    evicted: int
    expired: int
    dropped: int
    lag_seconds: float
    lag_p95_seconds: float
    lag_items: float
    drifts: int
    last_drift: DriftAlert | None
    wall_seconds: float

    @property
    def fraction(self) -> float | None:
        """Share of the stream processed, when its length is known."""
        return self.position / self.total if self.total else None

    def to_point(self) -> dict[str, Any]:
        """The values the timeline records (deterministic: no wall time)."""
        return {
            "time": self.sim_time,
            "accuracy": self.accuracy,
            "window_accuracy": self.window_accuracy,
            "unbiased_accuracy": self.unbiased_accuracy,
            "random_labels": self.random_labels,
            "labels": self.labels_spent,
            "labels_received": self.labels_received,
            "queue_depth": self.queue_depth,
            "leased": self.leased,
            "evicted": self.evicted,
            "expired": self.expired,
            "dropped": self.dropped,
            "lag_seconds": _or_none(self.lag_seconds),
            "lag_p95_seconds": _or_none(self.lag_p95_seconds),
            "lag_items": _or_none(self.lag_items),
        }


def _or_none(x: float) -> float | None:
    return None if math.isnan(x) else x

"""`LagWatch`: a ``label_lag`` alert when annotators fall behind the queue.

Pure: callers feed it the queue's numbers (how long the oldest task has waited,
how many wait) and route the alert; the router's cooldown keeps it from
repeating on every check.
"""

from __future__ import annotations

from stream_al.drift.alerts import DriftAlert
from stream_al.exceptions import AlertError

__all__ = ["LagWatch"]


class LagWatch:
    """Compare the annotation queue's lag with its limits.

    A limit is breached when its measure is above it; the alert is ``warning``,
    or ``critical`` when a measure reaches twice its limit. Its statistic is the
    largest measure-to-limit ratio.

    Parameters
    ----------
    limit_items
        Most tasks that may wait for a label; None: no limit on the count.
    limit_seconds
        Longest a task may wait for a label, in seconds; None: no limit on the age.

    Examples
    --------
    >>> watch = LagWatch(limit_items=5000, limit_seconds=3600.0)
    >>> watch.check(oldest_waiting_age_s=600.0, waiting_items=120, position=9000, now=50.0)
    >>> alert = watch.check(oldest_waiting_age_s=7500.0, waiting_items=120, position=9000,
    ...                     now=50.0)
    >>> alert.kind, alert.severity, alert.source, round(alert.statistic, 2)
    ('label_lag', 'critical', 'queue', 2.08)
    >>> print(alert.message)
    labeling lag: the oldest task has waited 7500 s (limit 3600 s); 120 tasks wait (limit 5000)
    """

    #: The detector name of the alerts (with source ``"queue"``, the dedupe key).
    detector = "lag_watch"

    def __init__(
        self, limit_items: int | None = 5000, limit_seconds: float | None = 3600.0
    ) -> None:
        if limit_items is not None and limit_items < 1:
            raise AlertError(f"limit_items must be >= 1 or None, got {limit_items}")
        if limit_seconds is not None and not limit_seconds > 0:
            raise AlertError(f"limit_seconds must be > 0 or None, got {limit_seconds}")
        self.limit_items = limit_items
        self.limit_seconds = limit_seconds

    def check(
        self, oldest_waiting_age_s: float, waiting_items: int, position: int, now: float
    ) -> DriftAlert | None:
        """A ``label_lag`` alert if a limit is breached, else None.

        Parameters
        ----------
        oldest_waiting_age_s
            Seconds the oldest task still waiting for a label has waited (0 when none waits).
        waiting_items
            Tasks waiting for a label (queued or leased).
        position
            Items seen so far in the stream, for the alert.
        now
            Clock time of the check, for the alert.
        """
        if oldest_waiting_age_s < 0 or waiting_items < 0:
            raise AlertError(
                f"queue lag cannot be negative: age {oldest_waiting_age_s} s, "
                f"{waiting_items} items; pass the queue's own numbers"
            )
        ratios = [
            value / limit
            for value, limit in (
                (oldest_waiting_age_s, self.limit_seconds),
                (float(waiting_items), self.limit_items),
            )
            if limit is not None
        ]
        worst = max(ratios, default=0.0)
        if worst <= 1.0:
            return None
        return DriftAlert(
            kind="label_lag",
            severity="critical" if worst >= 2.0 else "warning",
            detector=self.detector,
            source="queue",
            statistic=worst,
            position=position,
            time=now,
            message=self._message(oldest_waiting_age_s, waiting_items),
        )

    def _message(self, age_s: float, items: int) -> str:
        age_limit = (
            "no limit" if self.limit_seconds is None else f"limit {self.limit_seconds:.0f} s"
        )
        items_limit = "no limit" if self.limit_items is None else f"limit {self.limit_items}"
        return (
            f"labeling lag: the oldest task has waited {age_s:.0f} s ({age_limit}); "
            f"{items} tasks wait ({items_limit})"
        )

"""The scheduled-job contract, the periods jobs are keyed by, and the scheduler's error.

A job has a `name`, an `interval` in seconds, and ``run(now)`` which does
its work and returns a small JSON summary. Time is cut into periods
``[k·interval, (k+1)·interval)``; a job runs at most once per period, and
the last period it completed is kept in the store under ``job:<name>``.

>>> period_of(125.0, 60.0), period_start(125.0, 60.0)
(2, 120.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from stream_al.exceptions import SchedulerError

__all__ = [
    "Job",
    "JobRun",
    "JobStatus",
    "SchedulerError",
    "marker_key",
    "period_of",
    "period_start",
]

#: What became of one call for a job: ran, already done this period, or raised.
JobStatus = Literal["ran", "skipped", "failed"]


class Job(Protocol):
    """One periodic job; its effects should go through the store it is given."""

    @property
    def name(self) -> str:
        """Unique among the jobs of one store (it keys the job's progress)."""
        ...

    @property
    def interval(self) -> float:
        """Seconds between two runs: the length of a period."""
        ...

    def run(self, now: float) -> dict[str, Any]:
        """Do the work of the period containing `now`; return a JSON summary."""
        ...


@dataclass(frozen=True, slots=True)
class JobRun:
    """What one call for a job did.

    Attributes
    ----------
    name
        The job.
    period
        The period index, ``floor(now / interval)``.
    status
        ``"ran"``, ``"skipped"`` (that period was already done) or ``"failed"``.
    result
        The job's summary; ``{"error": ...}`` when it failed.
    """

    name: str
    period: int
    status: JobStatus
    result: dict[str, Any] = field(default_factory=dict)


def period_of(now: float, interval: float) -> int:
    """The index of the period that contains `now`."""
    return math.floor(now / interval)


def period_start(now: float, interval: float) -> float:
    """When the period containing `now` began (seconds); comparable across intervals."""
    return period_of(now, interval) * interval


def marker_key(name: str) -> str:
    """The store state key of the last period job `name` completed."""
    return f"job:{name}"

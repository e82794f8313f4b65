"""The one module that talks to APScheduler (3.x): a `BackgroundScheduler` of interval jobs.

Each job fires in the middle of its periods ``[k·interval, (k+1)·interval)``
of wall-clock time, so a late wake-up still lands in the right period. Runs
are never concurrent (one worker thread, one instance per job); runs missed
while the thread was busy are coalesced into one, however late.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from stream_al.scheduler.base import period_of

__all__ = ["start_background"]


def start_background(
    intervals: Mapping[str, float], fire: Callable[[str], None], now: float
) -> Any:
    """A started `BackgroundScheduler` calling ``fire(name)`` once a period of each job.

    Parameters
    ----------
    intervals
        Seconds between runs, by job name.
    fire
        Runs one job (on the scheduler's thread).
    now
        The current wall-clock time (epoch seconds), to align the periods.

    Returns
    -------
    The running scheduler; stop it with ``shutdown(wait=...)``.
    """
    background = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )
    for name, interval in intervals.items():
        middle = (period_of(now, interval) + 0.5) * interval
        trigger = IntervalTrigger(
            seconds=interval, start_date=datetime.fromtimestamp(middle, tz=UTC), timezone=UTC
        )
        background.add_job(fire, trigger, args=(name,), id=name, name=name)
    background.start()
    return background

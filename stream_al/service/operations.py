"""The operator's side of a service process: alerts and scheduled jobs.

`start_operations` routes the scorer's and learner's alerts through an
`AlertRouter` (dedupe, cooldown, the ``[alerts]`` sinks), wraps the scorer's
rule in the stopping criteria, and starts the scheduled jobs of what the
process holds (``[scheduler]``): lease expiry and TTL sweeps, pruning, model
checkpoints, metric snapshots, stopping criteria, and the labeling-lag watch.
Every job runs under the service loop's lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stream_al.alerts import AlertRouter, LagWatch, build_lag_watch, build_router
from stream_al.rules.stopping import PausableRule, StoppingCriteria
from stream_al.scheduler import JobScheduler, build_jobs
from stream_al.scheduler.base import Job

if TYPE_CHECKING:
    from stream_al.config import Settings
    from stream_al.service.wiring import Roles

__all__ = ["LagJob", "Operations", "metrics_snapshot", "start_operations"]

logger = logging.getLogger(__name__)


@dataclass
class Operations:
    """What `start_operations` started; `close` stops it (before the store closes)."""

    router: AlertRouter
    scheduler: JobScheduler | None
    criteria: StoppingCriteria | None

    def close(self, timeout: float = 5.0) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.router.close(timeout)


class LagJob:
    """Scheduled labeling-lag check: the oldest waiting task's age and the waiting count.

    Parameters
    ----------
    watch
        The limits (``[alerts] lag_items`` and ``lag_seconds``).
    emit
        Where an alert goes (the router's ``emit``; it deduplicates).
    waiting, oldest_arrival, position
        Tasks waiting in the queue, the arrival time of the oldest live one
        (None when none), and items scored so far.
    """

    name = "lag"

    def __init__(
        self,
        watch: LagWatch,
        emit: Callable[[Any], object],
        waiting: Callable[[], int],
        oldest_arrival: Callable[[], float | None],
        position: Callable[[], int],
        interval: float,
    ) -> None:
        self.watch, self.emit, self.interval = watch, emit, interval
        self.waiting, self.oldest_arrival, self.position = waiting, oldest_arrival, position

    def run(self, now: float) -> dict[str, Any]:
        oldest = self.oldest_arrival()
        age = 0.0 if oldest is None else max(0.0, now - oldest)
        waiting = self.waiting()
        alert = self.watch.check(age, waiting, self.position(), now)
        if alert is not None:
            self.emit(alert)
        return {"waiting": waiting, "age_s": age, "alert": alert is not None}


def metrics_snapshot(roles: Roles) -> Callable[[], Mapping[str, Any]]:
    """The figures a metric snapshot keeps (the operator dashboard plots them).

    Each group is there when the process holds the part it comes from:

    - always: ``time`` (unix seconds);
    - the queue: ``queue_depth`` and ``leased`` (tasks waiting and out with
      annotators), ``lag_items`` (tasks admitted and not labelled yet: both) and
      ``lag_seconds`` (age of the oldest of them; 0 when there is none);
    - the scorer: ``seen`` (items scored), ``spent`` (labels spent),
      ``spent_share`` (labels spent over items the budget saw), ``budget``
      (the share of the stream allowed now: paced to the annotators when
      ``[lag] pace_budget``), ``admission_rate`` (share of recent items sent to
      annotators), ``labeling_rate`` (human labels per recent item, when
      paced), ``label_free_accuracy`` (mean calibrated confidence) and
      ``pseudo_labels`` (learnt since start);
    - the learner: ``labels``, ``labelled_accuracy``, ``unbiased_labels``,
      ``unbiased_accuracy`` and ``model_version``.

    Cheap enough for every period: the lag scans the live tasks (at most the
    queue's capacity), the rest are counters.
    """

    def snapshot() -> Mapping[str, Any]:
        now = time.time()  # the service's queue runs on the system clock too
        out: dict[str, Any] = {"time": now}
        if roles.queue is not None:
            stats = roles.queue.stats()
            oldest = roles.queue.oldest_arrival()
            out.update(
                queue_depth=stats.depth,
                leased=stats.leased,
                lag_items=stats.depth + stats.leased,
                lag_seconds=0.0 if oldest is None else max(0.0, now - oldest),
            )
        if roles.scorer is not None:
            budget = roles.scorer.rule.budget
            out.update(
                seen=roles.scorer.position,
                spent=budget.spent,
                spent_share=budget.spent_fraction,
                budget=budget.fraction,
                **roles.scorer.lag_figures(),
            )
        if roles.learner is not None:
            metrics = roles.learner.learner
            out.update(
                labels=metrics.labelled.n,
                labelled_accuracy=metrics.labelled.recent_accuracy,
                unbiased_labels=metrics.unbiased.n,
                unbiased_accuracy=metrics.unbiased.recent_accuracy,
                model_version=roles.learner.version,
            )
        return out

    return snapshot


def start_operations(settings: Settings, roles: Roles) -> Operations:
    """Route alerts, wrap the rule in the stopping criteria, start the jobs."""
    assert roles.store is not None
    assert roles.producer is not None
    router = build_router(settings.alerts, roles.producer, settings.kafka.topic("alerts"))
    for part in (roles.scorer, roles.learner):
        if part is not None:
            part.emit_alert = router.emit
    roles.emit_alert = router.emit  # the loops' guards: records isolated after failures
    sched = settings.scheduler
    criteria = _pausable(settings, roles)
    learner = roles.learner
    jobs: list[Job] = build_jobs(
        sched,
        roles.store,
        seen_keep_last=settings.store.seen_keep_last,
        expire=roles.queue.expire if roles.queue is not None else None,
        checkpoint=learner.checkpoint if learner is not None else None,
        has_changes=(lambda: learner.has_changes) if learner is not None else None,
        snapshot=metrics_snapshot(roles),
        **_stopping_inputs(roles, criteria),
    )
    if roles.queue is not None:
        jobs.append(_lag_job(settings, roles, router))
    if not sched.enabled:
        return Operations(router, None, criteria)
    scheduler = JobScheduler(roles.store, roles.lock, jobs)
    for job in jobs:  # a drift resumes querying, saved at once
        on_drift = getattr(job, "on_drift", None)
        if on_drift is not None and learner is not None:
            learner.on_alert.append(on_drift)
    scheduler.start()
    logger.info("scheduler started jobs=%s", ",".join(job.name for job in jobs))
    return Operations(router, scheduler, criteria)


def _pausable(settings: Settings, roles: Roles) -> StoppingCriteria | None:
    scorer = roles.scorer
    if scorer is None or not settings.scheduler.enabled:
        return None
    criteria = settings.scheduler.criteria()
    scorer.rule = PausableRule(scorer.rule, criteria)
    return criteria


def _stopping_inputs(roles: Roles, criteria: StoppingCriteria | None) -> dict[str, Any]:
    if criteria is None or roles.scorer is None or roles.learner is None:
        return {}
    rule, unbiased = roles.scorer.rule, roles.learner.learner.unbiased

    def estimate() -> tuple[int, float] | None:
        return (unbiased.n, unbiased.window_accuracy) if unbiased.n else None

    return {"criteria": criteria, "spent": lambda: int(rule.budget.spent), "estimate": estimate}


def _lag_job(settings: Settings, roles: Roles, router: AlertRouter) -> LagJob:
    queue = roles.queue
    assert queue is not None
    assert roles.store is not None
    store, scorer = roles.store, roles.scorer

    def emit(alert: Any) -> None:
        store.log_drift(alert)
        router.emit(alert)

    return LagJob(
        build_lag_watch(settings.alerts),
        emit,
        waiting=lambda: queue.depth,
        oldest_arrival=queue.oldest_arrival,
        position=(lambda: scorer.position) if scorer is not None else (lambda: 0),
        interval=settings.scheduler.expire_every_s,
    )

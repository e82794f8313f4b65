"""`AnnotationService`: what the annotation API does, free of HTTP.

The routes of `stream_al.api.app` call it with the authenticated annotator.
Every queue and store operation runs under `lock`, the lock the service loop
holds around its handlers (`stream_al.service.wiring.run_roles`): the queue
is not thread-safe, and the loop and the API's threads share it. Label
submission is in `stream_al.api.labels`.

Leases are fair: one annotator holds at most ``[api]
max_leased_per_annotator`` tasks at once. A revoked annotator's tasks go back
to the queue: at once when revoked through the API (`release_leases_of`),
and when revoked by another process (`stream-al annotators revoke`, which
writes the shared annotators table) at the next `reclaim`, which the lease
route and the service loop's ticks call (at most once per `reclaim_every_s`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stream_al.api.auth import Annotator
from stream_al.api.classes import accept_class, classes_out, declare_classes, reject_class
from stream_al.api.errors import ConflictError
from stream_al.api.labels import submit_labels
from stream_al.api.reviews import Reviews
from stream_al.api.schemas import (
    AnnotatorOut,
    ClassDecisionOut,
    ClassesOut,
    DecisionOut,
    DisputesOut,
    LabelIn,
    LabelsOut,
    LeaseOut,
    Me,
    QualityOut,
    RecordsOut,
    StatsOut,
    TaskStateOut,
)
from stream_al.api.tallies import DriftWatch, LabelTally
from stream_al.api.tasks import held_lease, payload_of, task_out
from stream_al.classes import ClassBook
from stream_al.clock import Clock, SystemClock
from stream_al.config.sections import ApiSettings
from stream_al.items import Label
from stream_al.lag.tracker import LagTracker
from stream_al.queue import AnnotationQueue, QueueStats, Task
from stream_al.service.counters import StreamCounters
from stream_al.service.health import Health
from stream_al.store.base import Store
from stream_al.store.errors import StoreError
from stream_al.transport.base import Producer

__all__ = ["AnnotationService", "Probes", "Snapshot"]

logger = logging.getLogger(__name__)


def _unknown() -> None:
    return None


def _known(value: float) -> float | None:
    """`value`, or None for nan (JSON has no nan)."""
    return None if value != value else value


@dataclass(frozen=True)
class Probes:
    """Figures from the parts around the queue; each returns None when it does not know.

    Attributes
    ----------
    budget
        ``{"budget", "spent", "seen", "queries"}``: the allowed and spent shares
        of the stream, items scored, items sent to annotators.
    accuracy
        The model's current accuracy estimate.
    oldest_arrival
        Arrival time of the oldest task not yet labelled (`AnnotationQueue.oldest_arrival`).
    lag
        The scorer's lag figures (`Scorer.lag_figures`):
        ``admission_rate``, ``labeling_rate``, ``label_free_accuracy``, ``pseudo_labels``.
    records
        What became of each role's input records (`StreamCounters` by role).
    """

    budget: Callable[[], Mapping[str, float] | None] = _unknown
    accuracy: Callable[[], float | None] = _unknown
    oldest_arrival: Callable[[], float | None] = _unknown
    lag: Callable[[], Mapping[str, float | None] | None] = _unknown
    records: Callable[[], Mapping[str, StreamCounters] | None] = _unknown


@dataclass(frozen=True)
class Snapshot:
    """Everything `/v1/stats` and `/metrics` report, read at one instant."""

    queue: QueueStats
    lag_items: int
    lag_seconds: float
    labels_by_source: dict[str, int]
    drifts_by_kind: dict[str, int]
    last_drift: dict[str, Any] | None
    budget: Mapping[str, float] = field(default_factory=dict)
    accuracy: float | None = None
    lag: Mapping[str, float | None] = field(default_factory=dict)
    #: Median admission-to-label lag of the last 100 labels given here (nan: none yet).
    label_lag_median_seconds: float = float("nan")
    label_lag_median_items: float = float("nan")
    #: What became of each role's input records.
    records: Mapping[str, StreamCounters] = field(default_factory=dict)


class AnnotationService:
    """Leases, labels, skips, releases and statistics for authenticated annotators.

    Parameters
    ----------
    queue
        The annotation queue.
    store
        The store the queue saves to; labels are stored in it.
    producer, labels_topic
        Where labels are published for the learner.
    clock
        Stamps labels and measures the label lag (the queue's clock).
    lock
        Held around every queue and store operation (shared with the service loop).
    settings
        ``[api]``: label policy, lease cap and publishing timeout.
    probes
        Budget, accuracy and label-lag figures from the rest of the service.
    health
        What the process waits for (``/healthz``); None: nothing ever.
    reclaim_every_s
        Least seconds between two looks for revoked holders of leases (`reclaim`).
    classes
        The class set shared through the store: what tasks offer and labels
        must be; the store's set when None.
    """

    def __init__(
        self,
        queue: AnnotationQueue,
        store: Store,
        producer: Producer,
        labels_topic: str,
        *,
        clock: Clock | None = None,
        lock: threading.RLock | None = None,
        settings: ApiSettings | None = None,
        probes: Probes | None = None,
        health: Health | None = None,
        reclaim_every_s: float = 1.0,
        classes: ClassBook | None = None,
    ) -> None:
        self.queue = queue
        self.health = health or Health()
        self.classes = classes if classes is not None else ClassBook(store)
        self.store = store
        self.producer = producer
        self.labels_topic = labels_topic
        self.clock: Clock = clock or SystemClock()
        self.lock = lock if lock is not None else threading.RLock()
        self.settings = settings or ApiSettings()
        self.probes = probes or Probes()
        self.tally = LabelTally(store)
        #: Admission-to-label lag of the labels given here (seconds; items when known).
        self.label_lag = LagTracker(window=100)
        self.drifts = DriftWatch(store)
        self.reviews = Reviews(
            store,
            producer,
            labels_topic,
            queue,
            self.clock,
            self.tally,
            self.settings.publish_timeout_s,
            self.classes,
        )
        queue.on_finish.append(self.reviews.on_finish)
        self.reclaim_every_s = reclaim_every_s
        self._next_reclaim = float("-inf")

    def me(self, who: Annotator) -> Me:
        """Who the caller is and how many labels they gave."""
        with self.lock:
            labels = self.tally.of(who.name)
        return Me.model_validate({"name": who.name, "role": who.role.value, "labels": labels})

    def lease(self, who: Annotator, n: int = 1) -> LeaseOut:
        """Lease up to `n` tasks to the caller, highest current priority first (durably).

        The caller gets no more than fits under ``[api] max_leased_per_annotator``
        with what they hold; `ConflictError` (``lease_limit``) when nothing fits.
        """
        with self.lock:
            self.queue.expire()  # leases that ran out no longer count
            held = self.queue.leases_of(who.name)
            room = self.settings.max_leased_per_annotator - len(held)
            if room <= 0:
                raise _lease_limit(held[0].expires_at, len(held), self.settings)
            with self.store.transaction():
                leases = self.queue.lease(who.name, min(n, room))
            classes = self.classes.known
            tasks = [
                task_out(lease, self.queue.priority(lease.item_id), classes) for lease in leases
            ]
            logger.info("api.lease annotator=%s asked=%d leased=%d", who.name, n, len(tasks))
            return LeaseOut(tasks=tasks, queue_depth=self.queue.depth)

    def release_leases_of(self, name: str) -> list[str]:
        """Give back to the queue every task `name` holds leased (durably); their item ids."""
        with self.lock:
            self.queue.expire()
            with self.store.transaction():
                released = self.queue.release_all(name)
        if released:
            logger.info("api.leases_released annotator=%s tasks=%d", name, len(released))
        return released

    def reclaim(self, revoked: Callable[[Collection[str]], Collection[str]]) -> list[str]:
        """Give back the tasks of holders `revoked` says were revoked; returns their names.

        `revoked` reads who among the holders is revoked now (the annotators
        table, shared with `stream-al annotators revoke`). It is asked at most
        once per `reclaim_every_s`; a store error is logged and tried again then.
        """
        with self.lock:
            now = time.monotonic()
            if now < self._next_reclaim:
                return []
            self._next_reclaim = now + self.reclaim_every_s
            holders = self.queue.holders()
            if not holders:
                return []
            try:
                gone = sorted(revoked(holders))
            except StoreError as error:
                logger.warning("api.reclaim_failed error=%s", error)
                return []
            for name in gone:
                self.release_leases_of(name)
        return gone

    def submit(self, who: Annotator, labels: Sequence[LabelIn]) -> LabelsOut:
        """Store, acknowledge and publish a batch of labels (see `submit_labels`)."""
        with self.lock:
            return submit_labels(self, who, labels)

    def skip(self, who: Annotator, item_id: str) -> TaskStateOut:
        """The caller passes on their task: it goes to others (or is dropped)."""
        with self.lock:
            self.queue.expire()  # saved as it goes: not in a transaction a refusal rolls back
            lease = held_lease(self.queue, who.name, item_id)
            with self.store.transaction():
                state = self.queue.skip(lease.lease_id, who.name)
        return TaskStateOut(item_id=item_id, state=state.value)

    def release(self, who: Annotator, item_id: str) -> TaskStateOut:
        """The caller gives their task back unlabelled, for anyone (themselves included)."""
        with self.lock:
            self.queue.expire()  # saved as it goes: not in a transaction a refusal rolls back
            lease = held_lease(self.queue, who.name, item_id)
            with self.store.transaction():
                state = self.queue.release(lease.lease_id, who.name)
        return TaskStateOut(item_id=item_id, state=state.value)

    def stats(self, who: Annotator) -> StatsOut:
        """Queue depth, label lag, budget, accuracy and last drift; the caller's labels."""
        with self.lock:
            snap = self.snapshot()
            mine = self.tally.of(who.name)
        return StatsOut(
            queue_depth=snap.queue.depth,
            leased=snap.queue.leased,
            capacity=snap.queue.capacity,
            label_lag_items=snap.lag_items,
            label_lag_seconds=snap.lag_seconds,
            label_lag_median_seconds=_known(snap.label_lag_median_seconds),
            label_lag_median_items=_known(snap.label_lag_median_items),
            labels_total=sum(n for s, n in snap.labels_by_source.items() if s != "pseudo"),
            pseudo_labels=snap.labels_by_source.get("pseudo", 0),
            budget_spent=snap.budget.get("spent"),
            budget=snap.budget.get("budget"),
            admission_rate=snap.lag.get("admission_rate"),
            labeling_rate=snap.lag.get("labeling_rate"),
            accuracy_estimate=snap.accuracy,
            accuracy_label_free=snap.lag.get("label_free_accuracy"),
            last_drift=snap.last_drift,
            items_scored=snap.records["scorer"].scored if "scorer" in snap.records else 0,
            records={
                role: RecordsOut(
                    handled=c.scored,
                    duplicates=c.duplicates,
                    dead_lettered=dict(c.dead_lettered),
                    batch_failures=c.batch_failures,
                )
                for role, c in snap.records.items()
            },
            annotator=AnnotatorOut(name=who.name, labels=mine),
        )

    def record_lag(self, tasks: Sequence[Task], now: float) -> None:
        """The admission-to-label lag of freshly labelled `tasks`: seconds, and items
        when the scorer noted its position in the payload and the budget tells the
        current one."""
        seen = (self.probes.budget() or {}).get("seen")
        for task in tasks:
            position = payload_of(task).get("position")
            items = None
            if seen is not None and isinstance(position, int | float) and seen >= position:
                items = int(seen - position)
            self.label_lag.add(max(0.0, now - task.arrival), items)

    def snapshot(self) -> Snapshot:
        """Every figure the API reports, read now."""
        with self.lock:
            self.queue.expire()
            queue = self.queue.stats()
            oldest = self.probes.oldest_arrival()
            lag = 0.0 if oldest is None else max(0.0, self.clock.now() - oldest)
            return Snapshot(
                queue=queue,
                lag_items=queue.depth + queue.leased,
                lag_seconds=lag,
                labels_by_source=self.tally.by_source(),
                drifts_by_kind=self.drifts.by_kind(),
                last_drift=self.drifts.last(),
                budget=self.probes.budget() or {},
                accuracy=self.probes.accuracy(),
                lag=self.probes.lag() or {},
                label_lag_median_seconds=self.label_lag.recent_median(),
                label_lag_median_items=self.label_lag.recent_median(items=True),
                records=self.probes.records() or {},
            )

    def quality(self) -> QualityOut:
        """Agreement (Cohen's kappa), disputes, throughput and time per label."""
        with self.lock:
            return self.reviews.summary(self.queue.overlap)

    def disputes(self, limit: int) -> DisputesOut:
        """Items whose labels disagree and that nothing settled yet, oldest first."""
        with self.lock:
            return self.reviews.disputes(limit)

    def decide(self, who: Annotator, item_id: str, label: Label) -> DecisionOut:
        """An admin settles a disputed item (see `Reviews.decide`)."""
        with self.lock:
            self.queue.expire()
            return self.reviews.decide(who.name, item_id, label, self.settings.allow_new_classes)

    def class_set(self) -> ClassesOut:
        """The known classes, and new ones waiting for an admin."""
        with self.lock:
            return classes_out(self.classes, self.settings.allow_new_classes)

    def declare_classes(self, who: Annotator, classes: Sequence[Label]) -> ClassesOut:
        """An admin names the classes when none are known (see `declare_classes`)."""
        with self.lock:
            return declare_classes(self, who, classes)

    def accept_class(self, who: Annotator, label: Label) -> ClassDecisionOut:
        """An admin accepts a waiting class; its held labels go to the learner."""
        with self.lock:
            return accept_class(self, who, label)

    def reject_class(self, who: Annotator, label: Label) -> ClassDecisionOut:
        """An admin rejects a waiting class; its labels are never learned."""
        with self.lock:
            return reject_class(self, who, label)

    def labels_of(self, name: str) -> int:
        """Labels annotator `name` gave."""
        with self.lock:
            return self.tally.of(name)


def _lease_limit(first_expiry: float, held: int, settings: ApiSettings) -> ConflictError:
    return ConflictError(
        "lease_limit",
        f"you hold {held} leased tasks, the most one annotator may hold at once "
        f"([api] max_leased_per_annotator = {settings.max_leased_per_annotator}); label, skip "
        "or release some of them first (POST /v1/labels, /v1/tasks/{item_id}/skip or "
        f"/release); the first goes back to the queue by itself at {first_expiry:.0f} "
        "(unix seconds)",
    )

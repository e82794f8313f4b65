"""Label quality in the API: overlap tasks, held labels, decisions, agreement and times.

A share ``[queue] overlap`` of the tasks is labelled by two annotators
(`stream_al.queue.AnnotationQueue`). Their labels are stored and published at
once, but marked ``hold`` on the labels topic, so the learner does not learn
them; when they settle the item (`stream_al.review.judge`), the settled label
is stored as a *review* label (annotator ``review:auto``) and published
without ``hold``: the item is learned once. A conflict asks the queue for a
third label; when three labels still disagree, an admin decides
(`Reviews.decide`, ``POST /v1/reviews/{item_id}``: annotator
``review:<admin>``). An overlap task that leaves the queue with one label
only (expired, evicted, dropped) has that label settled as it is, when the
queue reports it (`Reviews.on_finish`).

`Reviews.summary` reports Cohen's kappa per annotator and overall
(`stream_al.review.Agreement`), labels per annotator in the last hour and the
median seconds per label, read from the store's label log as it grows.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stream_al.api.classes import check_class
from stream_al.api.errors import ConflictError, NotFoundError, UnavailableError
from stream_al.api.schemas import (
    AnnotatorQuality,
    DecisionOut,
    DisputeLabel,
    DisputeOut,
    DisputesOut,
    QualityOut,
)
from stream_al.api.tallies import LabelTally
from stream_al.classes import ClassBook, Status
from stream_al.clock import Clock
from stream_al.items import Label
from stream_al.queue import AnnotationQueue, TaskRecord, TaskState
from stream_al.review import Agreement, Verdict, judge
from stream_al.store.base import Store
from stream_al.store.records import REVIEW_PREFIX, LabelRecord
from stream_al.transport.base import Producer
from stream_al.transport.codec import encode_label
from stream_al.transport.errors import TransportError

__all__ = ["AUTO", "Reviews", "hold_of"]

logger = logging.getLogger(__name__)

#: The annotator name of a label the annotators' consensus settled.
AUTO = f"{REVIEW_PREFIX}auto"

#: Seconds-per-label samples kept per annotator for the median.
_TIMES_KEPT = 1000
#: Label times kept per annotator to count the last hour's labels.
_RECENT_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Held:
    """What one label does to its item: its hold on the topic, and the verdict."""

    hold: str | None
    verdict: Verdict | None


def hold_of(verdict: Verdict | None) -> str | None:
    """The ``hold`` of a human label given its item's verdict (None: learn it)."""
    if verdict is None:
        return None
    return "conflict" if verdict.kind == "conflict" else "overlap"


class Reviews:
    """Settles overlap items, takes admins' decisions, and measures label quality.

    Parameters
    ----------
    store, producer, labels_topic
        The label log and where settled labels are published.
    queue
        The annotation queue (its overlap tasks).
    clock
        Stamps settled labels; measures the last hour.
    tally
        The service's reader of the label log: it hands each new label to
        `Reviews` (pairs, times) and counts each annotator's labels.
    publish_timeout_s
        How long publishing a settled label waits for the broker.
    classes
        The class set: a settled label of a class waiting for an admin is
        published held (``hold: "class"``).
    """

    def __init__(
        self,
        store: Store,
        producer: Producer,
        labels_topic: str,
        queue: AnnotationQueue,
        clock: Clock,
        tally: LabelTally,
        publish_timeout_s: float = 10.0,
        classes: ClassBook | None = None,
    ) -> None:
        self.store = store
        self.classes = classes if classes is not None else ClassBook(store)
        self.producer = producer
        self.labels_topic = labels_topic
        self.queue = queue
        self.clock = clock
        self.publish_timeout_s = publish_timeout_s
        self.tally = tally
        self.agreement = Agreement()
        self._seconds: dict[str, deque[float]] = {}
        self._recent: dict[str, deque[float]] = {}
        tally.on_label.append(self._count)

    # -- a new label ---------------------------------------------------------------------

    def judge(self, item_id: str, stored: Sequence[LabelRecord], new: Label | None = None) -> Held:
        """The verdict on `item_id` from its `stored` labels, and a `new` one if given.

        A plain task (one label wanted, no second label) has no verdict: its
        label is learned. A settled item's human labels stay held (the settled
        label was learned).
        """
        if _settled(stored) is not None:
            return Held("overlap", None)
        labels = [r.label for r in _human(stored)] + ([] if new is None else [new])
        wanted = self.queue.wanted(item_id) if item_id in self.queue else 1
        if len(labels) < 2 and wanted < 2:
            return Held(None, None)
        verdict = judge(labels, max(wanted, 2))
        return Held(hold_of(verdict), verdict)

    def settle(self, item_id: str, label: Label, why: str, annotator: str = AUTO) -> None:
        """Store the settled `label` of `item_id` (inside the caller's transaction)."""
        self.store.add_label(item_id, label, annotator, self.clock.now(), "review")
        logger.info("review.settled item_id=%s why=%s by=%s", item_id, why, annotator)

    def message(self, item_id: str, item: Any = None) -> bytes | None:
        """The labels-topic value of the settled label of `item_id` (None if unsettled).

        It carries ``decided_by``: ``annotators`` (their consensus) or ``admin``,
        and ``hold: "class"`` while the label's class waits for an admin.
        """
        settled = _settled(self.store.labels_for(item_id))
        if settled is None:
            return None
        doc: dict[str, Any] = json.loads(
            encode_label(item_id, settled.label, settled.annotator, settled.time)
        )
        doc["decided_by"] = "annotators" if settled.annotator == AUTO else "admin"
        if self.classes.check(settled.label).status is not Status.KNOWN:
            doc["hold"] = "class"
        if isinstance(item, dict):
            doc["item"] = item
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()

    # -- an admin decides ------------------------------------------------------------------

    def decide(self, admin: str, item_id: str, label: Label, allow_new: bool) -> DecisionOut:
        """Settle `item_id` with `label` for admin `admin`: stored, out of the queue, published.

        404 if the item has no human label, 409 if it is settled already, 422 if
        the label is not one of the classes. With `allow_new`, a label of a new
        class is settled held, as an annotator's would be (`stream_al.api.classes`).
        """
        stored = self.store.labels_for(item_id)
        if not _human(stored):
            raise NotFoundError(
                "unknown_item",
                f"item {item_id!r} has no label from an annotator; only labelled items are "
                "reviewed (see GET /v1/reviews)",
                item_id,
            )
        settled = _settled(stored)
        if settled is not None:
            raise ConflictError(
                "already_settled",
                f"item {item_id!r} is settled already ({settled.label!r} by "
                f"{settled.annotator!r}); a settled label is final",
                item_id,
            )
        record = self._task_record(item_id)
        chosen, held = check_class(self.classes, label, allow_new, "", item_id)
        who = f"{REVIEW_PREFIX}{admin}"
        now = self.clock.now()
        with self.store.transaction():
            self.settle(item_id, chosen, "admin", annotator=who)
            if held:  # before the queue changes: a refusal leaves everything as it was
                row = next(r.rowid for r in self.store.labels_for(item_id) if r.annotator == who)
                self.classes.propose(chosen, admin, now, row)
            self.queue.settle(item_id)
        item = _item_of(record)
        message = self.message(item_id, item)
        assert message is not None
        self.publish([(item_id, message)])
        return DecisionOut(item_id=item_id, label=chosen, annotator=who)

    # -- a task leaves the queue -------------------------------------------------------

    def on_finish(self, record: TaskRecord) -> None:
        """An overlap task left without all its labels: settle what agrees, keep disputes.

        A queue listener (`AnnotationQueue.on_finish`), run inside the queue
        operation's transaction; the settled label is published at once.
        """
        if record.state is TaskState.ACKED or not record.labelled_by or record.wanted < 2:
            return
        stored = self.store.labels_for(record.item_id)
        human = _human(stored)
        if not human or _settled(stored) is not None:
            return
        verdict = judge([r.label for r in human], len(human))
        if verdict.kind != "agreed" or verdict.label is None:
            return  # a dispute: an admin decides (GET /v1/reviews)
        self.settle(record.item_id, verdict.label, "single" if len(human) == 1 else "agreed")
        message = self.message(record.item_id, _item_of(record))
        if message is None:
            return
        try:
            self.publish([(record.item_id, message)])
        except UnavailableError as error:
            logger.error("review.not_published item_id=%s reason=%s", record.item_id, error)

    # -- publishing ---------------------------------------------------------------------

    def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Send labels-topic messages and flush; 503 when the broker does not take them."""
        try:
            for item_id, value in messages:
                self.producer.send(self.labels_topic, value, key=item_id.encode())
            self.producer.flush(timeout=self.publish_timeout_s)
        except TransportError as error:
            raise UnavailableError(
                "not_published",
                f"the labels are stored but the labels topic did not take them ({error}); "
                "send the same request again: it is idempotent",
            ) from error

    # -- reading ------------------------------------------------------------------------

    def disputes(self, limit: int = 100) -> DisputesOut:
        """Items whose labels disagree and that nothing settled yet, oldest first."""
        out: list[DisputeOut] = []
        classes = self.classes.known
        for item_id in self.store.disputed(limit):
            live = item_id in self.queue
            out.append(
                DisputeOut(
                    item_id=item_id,
                    labels=[
                        DisputeLabel(annotator=r.annotator, label=r.label, time=r.time)
                        for r in _human(self.store.labels_for(item_id))
                    ],
                    classes=classes,
                    waiting_for_label=live,
                )
            )
        return DisputesOut(disputes=out)

    def summary(self, overlap: float) -> QualityOut:
        """Agreement, throughput and time per label, overall and per annotator."""
        labels = self.tally.by_annotator()  # reads the new labels: pairs and times too
        now = self.clock.now()
        overall = self.agreement.overall
        names = sorted(set(labels) | set(self.agreement.annotators()))
        annotators = []
        for name in names:
            kappa = self.agreement.of(name)
            seconds = self._seconds.get(name)
            recent = self._recent.get(name, ())
            annotators.append(
                AnnotatorQuality(
                    name=name,
                    labels=labels.get(name, 0),
                    kappa=kappa.kappa,
                    agreement=kappa.agreement,
                    pairs=kappa.pairs,
                    median_seconds=statistics.median(seconds) if seconds else None,
                    labels_last_hour=sum(t > now - 3600.0 for t in recent),
                )
            )
        disputed = self.store.disputed(10_000)
        gone = [i for i in disputed[:1000] if i not in self.queue]  # live ones: counted below
        held = self.queue.labels_so_far() + sum(len(_human(self.store.labels_for(i))) for i in gone)
        return QualityOut(
            overlap=overlap,
            kappa=overall.kappa,
            agreement=overall.agreement,
            pairs=overall.pairs,
            conflicts_open=len(disputed),
            held=held,
            annotators=annotators,
        )

    def _count(self, record: LabelRecord) -> None:
        """A label read from the log: its time, and a pair with each earlier one of its item."""
        if record.source != "human":
            return
        name = record.annotator
        self._recent.setdefault(name, deque(maxlen=_RECENT_KEPT)).append(record.time)
        if record.seconds is not None:
            self._seconds.setdefault(name, deque(maxlen=_TIMES_KEPT)).append(record.seconds)
        for earlier in _human(self.store.labels_for(record.item_id)):
            if earlier.rowid < record.rowid and earlier.annotator != name:
                self.agreement.add(earlier.annotator, earlier.label, name, record.label)

    def item_of(self, item_id: str) -> Any:
        """The item of `item_id`'s task payload, if the queue's table still has its task."""
        return _item_of(self._task_record(item_id))

    def _task_record(self, item_id: str) -> TaskRecord | None:
        table = self.store.queue_store()
        get = getattr(table, "get", None)
        return get(item_id) if get is not None else None


def _human(stored: Sequence[LabelRecord]) -> list[LabelRecord]:
    return [r for r in stored if r.source == "human"]


def _settled(stored: Sequence[LabelRecord]) -> LabelRecord | None:
    return next((r for r in stored if r.source == "review"), None)


def _item_of(record: TaskRecord | None) -> Any:
    payload = record.task.payload if record is not None else None
    return payload.get("item") if isinstance(payload, dict) else None

"""Label submission: a batch is checked whole, stored, acknowledged, then published.

`submit_labels` writes the order of the steps down; it runs under the
service lock. A label is durable in the store and on the labels topic before
the answer, and a repeated submission is answered as a duplicate and published
again, so a crash between storing and publishing is repaired by the client's
retry (the learner learns each (item, annotator) label once).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from stream_al.api.auth import Annotator
from stream_al.api.classes import check_class
from stream_al.api.errors import ConflictError, InvalidRequestError
from stream_al.api.reviews import Held
from stream_al.api.schemas import LabelIn, LabelResult, LabelsOut
from stream_al.api.tasks import held_lease, payload_of
from stream_al.classes import Status
from stream_al.exceptions import ClassError, LeaseError, UnknownItemError
from stream_al.items import Label
from stream_al.queue import Lease
from stream_al.store.errors import LabelConflictError
from stream_al.transport.codec import encode_label

if TYPE_CHECKING:
    from stream_al.api.service import AnnotationService

__all__ = ["EXPIRY_MARGIN_S", "submit_labels"]

logger = logging.getLogger(__name__)

#: Seconds before its end from which a lease counts as over. Step 1 checks the
#: leases and step 2 acknowledges them a few milliseconds later; a lease ending
#: in between would fail step 2 after earlier entries of the batch were
#: acknowledged in the queue's memory, while the store rolled them back.
EXPIRY_MARGIN_S = 1.0


@dataclass(frozen=True)
class _Entry:
    """One checked label of a batch, ready to apply."""

    item_id: str
    label: Label
    status: Literal["accepted", "duplicate"]
    time: float
    lease: Lease | None
    seconds_spent: float | None
    held: Held
    #: Its class waits for an admin: stored, published held, learned once accepted.
    new_class: bool = False

    @property
    def settles(self) -> bool:
        """Whether this new label settles its overlap item (a review label is stored)."""
        verdict = self.held.verdict
        return self.status == "accepted" and verdict is not None and verdict.settled

    @property
    def seconds(self) -> float | None:
        """Seconds the label took: as the client measured it, else since the lease."""
        if self.seconds_spent is not None:
            return self.seconds_spent
        return None if self.lease is None else max(0.0, self.time - self.lease.leased_at)


def submit_labels(
    service: AnnotationService, who: Annotator, labels: Sequence[LabelIn]
) -> LabelsOut:
    """Apply a batch of labels from `who`. The steps, in order:

    1. Check the whole batch: each item is known (else 404), leased to the
       caller (else 409) and labelled with one of the known classes (else 422;
       with ``[api] allow_new_classes``, a label of a new class is taken and
       held, `stream_al.api.classes`); an item the caller already labelled
       the same way is a duplicate, differently a 409. If any entry fails,
       nothing is applied and the error names the entry.
    2. One store transaction: store every new label with the seconds it took,
       and count a label of a new class as waiting for an admin; for an
       overlap task (`stream_al.api.reviews`), store the settled label when
       this one settles it, or ask the queue for a third opinion on a
       conflict; then acknowledge every lease (a task wanting more labels goes
       back to the queue for others, the rest leave it).
    3. Send every label of the batch, duplicates too, to the labels topic with
       its item (marked ``hold`` while its overlap item is not settled, or its
       class waits for an admin), then the settled labels, and flush the
       producer (a broker that does not answer in ``[api] publish_timeout_s``
       is a 503: retry, the labels are kept).
    4. Answer with each entry's status and the caller's label count.
    """
    now = service.clock.now()
    entries = _check(service, who, labels, now)  # 1
    try:
        with service.store.transaction():  # 2
            for entry in entries:
                if entry.status == "accepted":
                    _store(service, who, entry)
            for entry in entries:
                if entry.lease is not None:
                    service.queue.ack(entry.lease.lease_id, who.name)
    except LabelConflictError as error:
        raise ConflictError("label_conflict", str(error)) from error
    except ClassError as error:  # e.g. too many classes wait for an admin already
        raise InvalidRequestError("invalid_label", str(error)) from error
    service.record_lag([e.lease.task for e in entries if e.status == "accepted" and e.lease], now)
    _publish(service, who, entries)  # 3
    accepted = sum(entry.status == "accepted" for entry in entries)
    logger.info(
        "api.labels annotator=%s accepted=%d duplicate=%d",
        who.name,
        accepted,
        len(entries) - accepted,
    )
    return LabelsOut(  # 4
        results=[
            LabelResult(item_id=e.item_id, status=e.status, held="class" if e.new_class else None)
            for e in entries
        ],
        labels=service.tally.of(who.name),
    )


def _store(service: AnnotationService, who: Annotator, entry: _Entry) -> None:
    store, verdict = service.store, entry.held.verdict
    store.add_label(entry.item_id, entry.label, who.name, entry.time, seconds=entry.seconds)
    if entry.new_class:  # where the held labels of its class start in the label log
        row = next(r.rowid for r in store.labels_for(entry.item_id) if r.annotator == who.name)
        service.classes.propose(entry.label, who.name, entry.time, row)
    if verdict is None:
        return
    if verdict.settled and verdict.label is not None:
        service.reviews.settle(entry.item_id, verdict.label, verdict.kind)
    elif verdict.kind == "conflict" and entry.lease is not None:
        service.queue.want(entry.item_id, verdict.wanted)


def _check(
    service: AnnotationService, who: Annotator, labels: Sequence[LabelIn], now: float
) -> list[_Entry]:
    service.queue.expire()
    entries: list[_Entry] = []
    seen: set[str] = set()
    for index, given in enumerate(labels):
        if given.item_id in seen:
            raise InvalidRequestError(
                "duplicate_item",
                f"entry {index} labels item {given.item_id!r} again; send each item once",
                given.item_id,
            )
        seen.add(given.item_id)
        entries.append(_check_one(service, who, given, index, now))
    return entries


def _check_one(
    service: AnnotationService, who: Annotator, given: LabelIn, index: int, now: float
) -> _Entry:
    item_id = given.item_id
    stored = service.store.labels_for(item_id)
    before = [r for r in stored if r.annotator == who.name]
    if before:
        old = before[0].label
        if not _same(old, given.label):
            raise ConflictError(
                "label_conflict",
                f"entry {index}: you already labelled item {item_id!r} as {old!r}; "
                "labels cannot be changed",
                item_id,
            )
        lease = _held_by(service, who, item_id, now)
        held = service.reviews.judge(item_id, stored)
        new_class = service.classes.check(old).status is not Status.KNOWN
        return _Entry(
            item_id, old, "duplicate", before[0].time, lease, given.seconds_spent, held, new_class
        )
    lease = held_lease(service.queue, who.name, item_id, given.lease_id)
    if lease.expires_at <= now + EXPIRY_MARGIN_S:
        raise ConflictError(
            "not_your_lease",
            f"entry {index}: your lease on item {item_id!r} is running out; lease it again",
            item_id,
        )
    allow_new = service.settings.allow_new_classes
    label, new_class = check_class(
        service.classes, given.label, allow_new, f"entry {index}: ", item_id
    )
    held = service.reviews.judge(item_id, stored, label)
    return _Entry(item_id, label, "accepted", now, lease, given.seconds_spent, held, new_class)


def _held_by(service: AnnotationService, who: Annotator, item_id: str, now: float) -> Lease | None:
    """The caller's live lease on an item they already labelled (to acknowledge it too)."""
    try:
        lease = service.queue.lease_of(item_id)
    except (UnknownItemError, LeaseError):
        return None
    if lease.annotator != who.name or lease.expires_at <= now + EXPIRY_MARGIN_S:
        return None
    return lease


def _same(a: Label, b: Label) -> bool:
    """Whether two labels are the same answer (``"1"`` answers class ``1``; True is not 1)."""
    return json.dumps(a) == json.dumps(b) or str(a) == str(b)


def _publish(service: AnnotationService, who: Annotator, entries: Sequence[_Entry]) -> None:
    messages = [(entry.item_id, _message(who, entry)) for entry in entries]
    for entry in entries:
        if entry.settles or (entry.status == "duplicate" and entry.held.hold is not None):
            item = payload_of(entry.lease.task).get("item") if entry.lease is not None else None
            settled = service.reviews.message(entry.item_id, item)
            if settled is not None:
                messages.append((entry.item_id, settled))
    service.reviews.publish(messages)


def _message(who: Annotator, entry: _Entry) -> bytes:
    """The labels-topic value: `encode_label`'s fields plus the item and its random flag."""
    doc: dict[str, Any] = json.loads(encode_label(entry.item_id, entry.label, who.name, entry.time))
    if entry.lease is not None:
        payload = payload_of(entry.lease.task)
        if isinstance(payload.get("item"), dict):
            doc["item"] = payload["item"]
        if isinstance(payload.get("random"), bool):
            doc["random"] = payload["random"]
    if entry.seconds_spent is not None:
        doc["seconds_spent"] = entry.seconds_spent
    if entry.held.hold is not None:
        doc["hold"] = entry.held.hold
    elif entry.new_class:
        doc["hold"] = "class"
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()

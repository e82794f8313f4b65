"""The class set in the API: label checks, ``GET /v1/classes`` and the admins' decisions.

A label must be one of the known classes (`stream_al.classes.ClassBook`),
else it is refused with 422. With ``[api] allow_new_classes`` a label of a new
class is stored and acknowledged but *held*: published with ``hold: "class"``
so the learner does not learn it, and its class is listed as waiting. An
admin then accepts the class (`accept_class`: it becomes known, and its held
labels are published again without the hold, so the learner learns them) or
rejects it (`reject_class`: its labels stay in the label log and are never
learned; their tasks were finished when they were labelled and do not come
back; new labels of that class are refused). When no class is known at all,
an admin may declare them (`declare_classes`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from stream_al.api.errors import ConflictError, InvalidRequestError, NotFoundError
from stream_al.api.schemas import (
    ClassDecisionOut,
    ClassesOut,
    KnownClassOut,
    PendingClassOut,
    RejectedClassOut,
)
from stream_al.classes import ClassBook, Status
from stream_al.exceptions import ClassError, ClassStateError, UnknownClassError
from stream_al.items import Label
from stream_al.store.records import LabelRecord
from stream_al.transport.codec import encode_label

if TYPE_CHECKING:
    from stream_al.api.auth import Annotator
    from stream_al.api.service import AnnotationService

__all__ = [
    "accept_class",
    "check_class",
    "classes_out",
    "declare_classes",
    "reject_class",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Label-log rows read at once when looking for the held labels of an accepted class.
_PAGE = 1000


def check_class(
    book: ClassBook, label: Label, allow_new: bool, where: str, item_id: str | None = None
) -> tuple[Label, bool]:
    """`label` as its class spells it, and whether it is held (its class waits for an admin).

    422 when it is not a known class, unless `allow_new` and its class is new or
    waiting; `where` starts the message (e.g. ``"entry 0: "``).
    """
    match = book.check(label)
    if match.status is Status.KNOWN:
        return match.label, False
    if allow_new and match.status is Status.PENDING:
        return match.label, True
    if allow_new and match.status is Status.UNKNOWN:
        if not book.waiting_full():
            return match.label, True
        raise InvalidRequestError(
            "invalid_label",
            f"{where}label {label!r} is of a new class, and too many new classes wait for an "
            "admin already; use one of the classes, or ask an admin to decide on the waiting "
            "ones (GET /v1/classes)",
            item_id,
        )
    known = book.known
    listed = ", ".join(repr(c) for c in known)
    if not known:
        message = (
            f"{where}label {label!r} cannot be accepted: no classes are known yet. An admin "
            "declares them (POST /v1/classes) or sets [model] classes; skip or release the "
            "task meanwhile"
        )
    elif match.status is Status.REJECTED:
        message = (
            f"{where}an admin rejected class {match.label!r}; send one of the classes ({listed})"
        )
    else:
        message = f"{where}label {label!r} is not one of the classes ({listed}); send one of them"
    raise InvalidRequestError("invalid_label", message, item_id)


def classes_out(book: ClassBook, allow_new: bool) -> ClassesOut:
    """The class set as ``GET /v1/classes`` shows it."""
    now = book.snapshot()
    return ClassesOut(
        classes=now.known,
        known=[
            KnownClassOut(label=c.label, source=c.source, by=c.by, at=c.at) for c in now.classes
        ],
        pending=[
            PendingClassOut(
                label=p.label, proposed_by=list(p.proposed_by), labels=p.labels, since=p.since
            )
            for p in now.pending
        ],
        rejected=[
            RejectedClassOut(label=r.label, by=r.by, at=r.at, labels=r.labels) for r in now.rejected
        ],
        allow_new_classes=allow_new,
    )


def declare_classes(
    service: AnnotationService, who: Annotator, classes: Sequence[Label]
) -> ClassesOut:
    """Admin `who` names the classes when none are known (409 if some are)."""
    _decided(lambda: service.classes.declare(classes, who.name, service.clock.now()))
    return classes_out(service.classes, service.settings.allow_new_classes)


def accept_class(service: AnnotationService, who: Annotator, label: Label) -> ClassDecisionOut:
    """Admin `who` accepts the waiting class `label`; its held labels go to the learner.

    The acceptance is saved first, then every held label of the class is
    published again without its hold. Accepting a class an admin accepted
    before publishes them again (the learner learns each label once): the
    retry after a 503.
    """
    book = service.classes
    accepted = book.snapshot().known_class(label)
    if accepted is not None and accepted.source == "admin" and accepted.first_row is not None:
        first_row, chosen = accepted.first_row, accepted.label
    else:
        proposal = _decided(lambda: book.accept(label, who.name, service.clock.now()))
        first_row, chosen = proposal.first_row or 1, proposal.label
    sent = 0
    for messages in _held_messages(service, chosen, first_row):
        service.reviews.publish(messages)
        sent += len(messages)
    logger.info("api.class_accepted label=%r by=%s published=%d", chosen, who.name, sent)
    return ClassDecisionOut(label=chosen, status="accepted", labels=sent)


def reject_class(service: AnnotationService, who: Annotator, label: Label) -> ClassDecisionOut:
    """Admin `who` rejects the waiting class `label`: its labels are never learned."""
    rejection = _decided(lambda: service.classes.reject(label, who.name, service.clock.now()))
    return ClassDecisionOut(label=rejection.label, status="rejected", labels=rejection.labels)


def _decided(change: Callable[[], T]) -> T:
    """Run a change of the class set, its refusal as the API's error."""
    try:
        return change()
    except UnknownClassError as error:
        raise NotFoundError("unknown_class", str(error)) from error
    except ClassStateError as error:
        raise ConflictError("class_conflict", str(error)) from error
    except ClassError as error:
        raise InvalidRequestError("invalid_classes", str(error)) from error


def _held_messages(
    service: AnnotationService, label: Label, first_row: int
) -> Iterator[list[tuple[str, bytes]]]:
    """The labels-topic messages of the labels held for class `label`, a page at a time.

    A human label of an overlap item stays held (its item's settled label is
    the one learned); a settled label of the class is published as settled.
    """
    store, since = service.store, first_row - 1
    while True:
        page = list(store.iter_labels(since, limit=_PAGE))
        if not page:
            return
        since = page[-1].rowid
        messages = []
        for record in page:
            if record.source == "pseudo" or not _same(record.label, label):
                continue
            message = _message(service, record)
            if message is not None:
                messages.append((record.item_id, message))
        if messages:
            yield messages


def _message(service: AnnotationService, record: LabelRecord) -> bytes | None:
    reviews, item_id = service.reviews, record.item_id
    item = reviews.item_of(item_id)
    if record.source == "review":
        return reviews.message(item_id, item)
    if reviews.judge(item_id, service.store.labels_for(item_id)).hold is not None:
        return None  # an overlap item's label: its settled label is what is learned
    doc: dict[str, Any] = json.loads(
        encode_label(item_id, record.label, record.annotator, record.time)
    )
    if isinstance(item, dict):
        doc["item"] = item
    if record.seconds is not None:
        doc["seconds_spent"] = record.seconds
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _same(a: Label, b: Label) -> bool:
    return type(a) is type(b) and a == b

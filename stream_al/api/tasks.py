"""Leased tasks: the caller's lease on an item, and a task as the API shows it.

The scorer's payload is ``{"item", "prediction", "confidence", "random",
"model_version"}``; a task from elsewhere may carry less, and still gets a
valid answer (an item with its id and arrival time only).

>>> from stream_al.queue import Lease, Task
>>> task = Task("7", 0.5, 10.0, payload={"item": {"id": "7", "event_time": 3.0}}, classes=["a"])
>>> lease = Lease("L", "7", "ana", leased_at=10.0, expires_at=40.0, task=task)
>>> out = task_out(lease, 0.5, ["a", "b"])
>>> out.item.event_time, out.classes, out.prediction, out.expires_at
(3.0, ['a', 'b'], None, 40.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from stream_al.api.errors import ConflictError, NotFoundError
from stream_al.api.schemas import ItemOut, LabelOut, TaskOut
from stream_al.exceptions import LeaseError, UnknownItemError
from stream_al.items import Item, Label
from stream_al.queue import AnnotationQueue, Lease, Task
from stream_al.transport.codec import decode_item
from stream_al.transport.errors import MalformedEventError

__all__ = [
    "held_lease",
    "label_value",
    "labels_of",
    "payload_of",
    "task_item",
    "task_out",
]


def held_lease(
    queue: AnnotationQueue, annotator: str, item_id: str, lease_id: str | None = None
) -> Lease:
    """The live lease `annotator` holds on `item_id`: 404 if unknown, 409 if not theirs."""
    try:
        lease = queue.lease_of(item_id)
    except UnknownItemError:
        state = queue.state(item_id)
        if state is None:
            raise NotFoundError(
                "unknown_item",
                f"no item {item_id!r} in the queue: it was never queued or finished long ago; "
                "lease a task first",
                item_id,
            ) from None
        raise ConflictError(
            "not_leased",
            f"item {item_id!r} is no longer in the queue (it is {state.value}); lease a new task",
            item_id,
        ) from None
    except LeaseError:
        raise ConflictError(
            "not_your_lease",
            f"item {item_id!r} is waiting in the queue, not leased to you (a lease that "
            "expired gives the task back); lease it again",
            item_id,
        ) from None
    if lease.annotator != annotator or (lease_id is not None and lease_id != lease.lease_id):
        raise ConflictError(
            "not_your_lease",
            f"item {item_id!r} is leased under another lease than yours; lease a task of your own",
            item_id,
        )
    return lease


def payload_of(task: Task) -> dict[str, Any]:
    """The task's payload if it is a JSON object, else an empty one."""
    return task.payload if isinstance(task.payload, dict) else {}


def label_value(value: Any) -> LabelOut | None:
    """`value` as a JSON label (str, int or bool; numpy scalars too), or None."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    as_python = getattr(value, "item", None)  # a numpy scalar such as numpy.bool_
    return label_value(as_python()) if callable(as_python) else None


def labels_of(values: Iterable[Any]) -> list[LabelOut]:
    """The labels of `values` that are JSON labels."""
    return [v for v in map(label_value, values) if v is not None]


def task_item(task: Task) -> Item:
    """The item of the task's payload, or a bare item with the task's id and arrival."""
    raw = payload_of(task).get("item")
    if isinstance(raw, dict):
        try:
            return decode_item(raw)
        except MalformedEventError:
            pass  # not an item: fall back to what the task itself knows
    return Item(id=task.item_id, event_time=task.arrival)


def task_out(lease: Lease, priority: float, classes: Sequence[Label]) -> TaskOut:
    """The JSON of one leased task, offering the known `classes` (the class set's, now)."""
    payload = payload_of(lease.task)
    confidence = payload.get("confidence")
    version = payload.get("model_version")
    return TaskOut(
        lease_id=lease.lease_id,
        item_id=lease.item_id,
        expires_at=lease.expires_at,
        priority=priority if math.isfinite(priority) else 0.0,
        classes=labels_of(classes),
        item=ItemOut(**task_item(lease.task).to_json()),
        prediction=label_value(payload.get("prediction")),
        confidence=_finite(confidence),
        model_version=None if version is None else str(version),
    )


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None

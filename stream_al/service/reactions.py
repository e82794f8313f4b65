"""Reactions to a drift confirmed by labels, registered on the learner's alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from stream_al.model.base import Model
from stream_al.queue import AnnotationQueue, Task, task_score
from stream_al.strategies.base import Strategy
from stream_al.strategies.scoring import score_items
from stream_al.transport.codec import decode_item

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert

__all__ = ["rescore_on_drift"]


def rescore_on_drift(
    queue: AnnotationQueue, model: Model, strategy: Strategy
) -> Callable[[DriftAlert], None]:
    """After a labelled drift, score the queued tasks again with the current model.

    Priorities computed before the drift rank items by what the old concept
    found uncertain; the changed model knows better. Random-share tasks keep
    their score (their order must not depend on the model).
    """

    def score(task: Task) -> float:
        payload = task.payload
        if not isinstance(payload, dict) or payload.get("random") or "item" not in payload:
            return task.score
        item = decode_item(payload["item"])
        return task_score(float(score_items(model, strategy, [item])[0]), False)

    def react(alert: DriftAlert) -> None:
        if alert.source == "labelled":
            queue.rescore(score)

    return react

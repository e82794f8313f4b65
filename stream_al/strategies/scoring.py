"""Score items with a model and a strategy in one call (committee members included)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from stream_al.items import Item
from stream_al.model.base import CommitteeModel, Model
from stream_al.strategies.base import Scored, Strategy

__all__ = ["score_items"]


def score_items(model: Model, strategy: Strategy, items: Sequence[Item]) -> np.ndarray:
    """Informativeness of `items` under the current `model`, finite and ``>= 0``.

    Used to re-rank queued tasks after a drift: the scores they arrived with
    came from a model that no longer holds.

    >>> from stream_al.model import make_model
    >>> from stream_al.strategies.uncertainty import Margin
    >>> score_items(make_model("logreg", ["a", "b"]), Margin(), [Item(id="1", event_time=0)])
    array([1.])
    """
    proba = model.predict_proba_many(items)
    members = None
    if strategy.needs_members and isinstance(model, CommitteeModel):
        members = model.predict_member_proba_many(items)
    scores = strategy.score(Scored(items, proba, model.classes, member_proba=members))
    return np.array([s if math.isfinite(s) and s >= 0.0 else 0.0 for s in scores], dtype=float)

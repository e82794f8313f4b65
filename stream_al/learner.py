"""The learner: test-then-train on each arriving label, and labels that arrive late.

Each label is first used to test the current model (was its prediction right?),
which feeds the prequential estimates and the drift monitor, and only then to
train it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from stream_al.evaluation.metrics import PrequentialMetrics
from stream_al.items import Item, Label
from stream_al.model.base import Model

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert
    from stream_al.drift.monitor import DriftMonitor
    from stream_al.lag.rehearsal import Rehearsal

__all__ = ["LabelDelay", "Learner", "PendingLabel"]


class Learner:
    """Applies labels to a model, test first.

    Parameters
    ----------
    model
        The model to teach.
    monitor
        Drift monitor fed with the error of every label (optional).
    window
        Window of the recent-accuracy estimates.
    on_test
        Told of every test: the model's confidence, whether it was right, the label.
    rehearsal
        Replays recent human labels while labels lag (optional); models with
        their own replay (the torch models: a ``replay`` attribute) are left to it.

    Examples
    --------
    >>> from river import linear_model
    >>> from stream_al.model import RiverModel
    >>> learner = Learner(RiverModel(linear_model.LogisticRegression(), classes=["n", "y"]))
    >>> for i in range(200):
    ...     x = Item(id=str(i), event_time=i, features={"v": float(i % 2)})
    ...     _ = learner.learn(x, "y" if i % 2 else "n", position=i, random=True)
    >>> learner.unbiased.window_accuracy > 0.9
    True
    """

    def __init__(
        self,
        model: Model,
        monitor: DriftMonitor | None = None,
        window: int = 500,
        on_test: Callable[[float, bool, Label], None] | None = None,
        rehearsal: Rehearsal | None = None,
    ):
        self.model = model
        self.monitor = monitor
        #: Told of every test: the model's confidence, whether it was right, the label.
        self.on_test = on_test
        #: Every human label, tested before training (biased towards hard items).
        self.labelled = PrequentialMetrics(window)
        #: Only labels drawn at random: an unbiased estimate of stream accuracy.
        self.unbiased = PrequentialMetrics(window)
        own_replay = getattr(model, "replay", None) is not None
        self.rehearsal = None if own_replay else rehearsal

    def predict(self, item: Item) -> Label | None:
        """The model's current best guess for `item` (None before any class is known)."""
        return self._guess(item)[0]

    def _guess(self, item: Item) -> tuple[Label | None, float]:
        """The best guess and the model's confidence in it (None and 0 with no class)."""
        classes = self.model.classes
        if not classes:
            return None, 0.0
        proba = self.model.predict_proba_many([item])[0]
        best = int(np.argmax(proba))
        return classes[best], float(proba[best])

    def learn(
        self,
        item: Item,
        label: Label,
        *,
        position: int,
        random: bool = False,
        weight: float = 1.0,
        lag: float | None = None,
    ) -> DriftAlert | None:
        """Test the model on `item`, then train it; returns a drift alert if one fired.

        `lag` is how late the label came (items or seconds, as the rehearsal's
        ``min_lag``), for the rehearsal; None if unknown.
        """
        predicted, confidence = self._guess(item)
        correct = self.labelled.update(label, predicted)
        if random:
            self.unbiased.update(label, predicted)
        if self.on_test is not None and predicted is not None:
            self.on_test(confidence, correct, label)
        self.model.learn_one(item, label, weight)
        if self.rehearsal is not None:
            self.rehearsal.after(self.model, item, label, weight, lag)
        if self.monitor is None:
            return None
        return self.monitor.update_error(position, not correct)


@dataclass(frozen=True, slots=True)
class PendingLabel:
    """A label paid for but not yet delivered."""

    release: int
    position: int
    item: Item
    label: Label
    random: bool
    info: Any = None


class LabelDelay:
    """Labels delivered `delay` items after they were asked for, in order.

    Memory is bounded by the labels in flight: at most ``budget · delay`` plus
    the budget's burst.

    >>> d = LabelDelay(delay=2)
    >>> d.put(position=0, item=None, label="a")
    >>> [p.label for p in d.due(2)], [p.label for p in d.due(3)]
    ([], ['a'])
    """

    def __init__(self, delay: int) -> None:
        if delay < 0:
            raise ValueError(f"label delay must be >= 0 items, got {delay}")
        self.delay = delay
        self._pending: deque[PendingLabel] = deque()

    def put(
        self,
        position: int,
        item: Any,
        label: Label,
        random: bool = False,
        info: Any = None,
        start: int | None = None,
    ) -> None:
        """Ask for the label of the item at `position`; it arrives before item
        ``start + 1 + delay`` is scored (`start`: when the annotator took the
        item on, by default its own position). Calls must come in order of `start`."""
        begin = position if start is None else start
        self._pending.append(
            PendingLabel(begin + 1 + self.delay, position, item, label, random, info)
        )

    def due(self, position: int) -> Iterator[PendingLabel]:
        """Pop every label whose release position is at or before `position`."""
        pending = self._pending
        while pending and pending[0].release <= position:
            yield pending.popleft()

    @property
    def next_release(self) -> int | None:
        """Position at which the next label arrives, or None."""
        return self._pending[0].release if self._pending else None

    def __len__(self) -> int:
        return len(self._pending)

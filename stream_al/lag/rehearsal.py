"""Rehearsal: while labels lag, replay recent human labels after each new one.

A model trained online by one SGD step per label learns slowly from a few
hundred labels. When labels come back fresh, that slowness is what lets it
follow a drifting concept; when they come back thousands of items late, the
freshest label is already old, the model cannot follow the drift anyway, and
every step it takes from the labels it has is worth more. So while the
recent label lag is at least `min_lag`, each human label is followed by
`replays` steps on labels drawn at random from the last `memory` human
labels, each at `weight` times its own weight. Labels also lag when the
annotators deliver fewer than the budget asks (`behind`: the `pacer` of the
budget holds it below its target): then there are fewer of them, and each is
worth more.

On the label-lag benchmark (README) it is what lets the fallback win back
part of the loss at a 5,000-item delay (+0.9 to +1.9 points alone on three
of the four streams, +0.7 on Weather), and most of that loss on streams
that do not drift. It also slows a model that should follow a drift: where
fresh labels come back among late ones (a plain queue's backlog at delay 0)
it costs Electricity and the rotating hyperplane 0.4 points, hence the gate.
Where the annotators are behind the budget and the fresh-first queue returns
labels at once, it gains Weather 2.5 points and SEA 0.5 and costs
Electricity 0.2 and hyperplane 0.3. Pseudo-labels never enter the memory,
and replays are not tests: the accuracy estimates and drift detectors see
each label once. Memory is `memory` labelled items, whatever the length of
the stream; `state` and `restore` carry it (and the smoothed lag) across a
restart.

>>> from river import linear_model
>>> from stream_al.items import Item
>>> from stream_al.model import RiverModel
>>> model = RiverModel(linear_model.LogisticRegression(), classes=["n", "y"])
>>> r = Rehearsal(replays=2, memory=3, min_lag=100)
>>> x = Item(id="1", event_time=0, features={"v": 1.0})
>>> r.after(model, x, "y", lag=10), r.lagging  # labels come back fast: no replay
(0, False)
>>> r.after(model, x, "y", lag=10_000), r.lagging  # one label to replay so far
(1, True)
>>> r.after(model, x, "y", lag=10_000), len(r), r.replayed
(2, 3, 3)
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from stream_al.exceptions import ConfigError
from stream_al.items import Item, Label
from stream_al.lag.throughput import ThroughputPacer
from stream_al.model.base import Model
from stream_al.transport.codec import decode_item

__all__ = ["Rehearsal"]


class Rehearsal:
    """Replays of recent human labels while the label lag is long.

    Parameters
    ----------
    replays
        Steps on remembered labels after each new human label, while lagging.
    weight
        Weight of a replayed step, as a multiple of the label's own weight.
    memory
        Most recent human labels kept for replay.
    min_lag
        Rehearse while the smoothed lag of the arriving labels is at least
        this (in the unit the caller measures lag in: items in a
        simulation, seconds in the service).
    smoothing
        Weight of each new label's lag in the smoothed lag (exponential average).
    seed
        Seed of the draws from the memory.
    """

    def __init__(
        self,
        replays: int = 8,
        weight: float = 0.5,
        memory: int = 500,
        min_lag: float = 250.0,
        smoothing: float = 0.05,
        seed: int = 0,
    ) -> None:
        if replays < 1 or memory < 1:
            raise ConfigError(
                f"rehearsal needs replays >= 1 and memory >= 1, got {replays} and {memory}"
            )
        if not 0.0 < weight <= 1.0 or not 0.0 < smoothing <= 1.0:
            raise ConfigError(
                f"rehearsal weight and smoothing must be in (0, 1], got {weight} and {smoothing}"
            )
        if min_lag < 0:
            raise ConfigError(f"rehearsal min_lag must be >= 0, got {min_lag}")
        self.replays = replays
        self.weight = weight
        self.min_lag = min_lag
        self.smoothing = smoothing
        self._memory: deque[tuple[Item, Label, float]] = deque(maxlen=memory)
        self._rng = random.Random(seed)
        #: Smoothed lag of the arriving labels (None before the first known lag).
        self.lag: float | None = None
        #: Replayed steps so far.
        self.replayed = 0
        #: The pacer of the budget, if any: it tells when the annotators are behind.
        self.pacer: ThroughputPacer | None = None

    @property
    def behind(self) -> bool:
        """Whether the annotators label less than the budget asks (False without a pacer)."""
        return self.pacer is not None and self.pacer.behind

    @property
    def lagging(self) -> bool:
        """Whether labels lag enough to rehearse: late, or fewer than the budget asks."""
        return self.behind or (self.lag is not None and self.lag >= self.min_lag)

    def __len__(self) -> int:
        return len(self._memory)

    def after(
        self, model: Model, item: Item, label: Label, weight: float = 1.0, lag: float | None = None
    ) -> int:
        """Called after `model` learned a human label (`lag`: how late it came,
        None if unknown); replays remembered labels while lagging, then
        remembers this one. Returns the steps replayed."""
        if lag is not None:
            self.lag = lag if self.lag is None else self.lag + self.smoothing * (lag - self.lag)
        done = 0
        if self.lagging and self._memory:
            memory, draw = self._memory, self._rng.randrange
            for _ in range(min(self.replays, len(memory))):
                x, y, w = memory[draw(len(memory))]
                model.learn_one(x, y, w * self.weight)
                done += 1
        self._memory.append((item, label, weight))
        self.replayed += done
        return done

    def state(self) -> dict[str, Any]:
        """The memory and the smoothed lag, as JSON-ready values."""
        return {
            "lag": self.lag,
            "replayed": self.replayed,
            "memory": [[x.to_json(), y, w] for x, y, w in self._memory],
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take back what `state` returned (the newest labels if the memory is now smaller)."""
        self.lag = state.get("lag")
        self.replayed = int(state.get("replayed", 0))
        self._memory.clear()
        for item, label, weight in state.get("memory", []):
            self._memory.append((decode_item(item), label, float(weight)))

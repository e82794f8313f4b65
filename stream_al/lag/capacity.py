"""Annotators who cannot keep up: a bounded queue between the rule and the labels.

In `stream-al simulate` an item the rule queries is normally labelled at
once (and delivered `label_delay` items later). `LimitedAnnotators` models
annotators with a fixed throughput instead: queried items wait in the real
`AnnotationQueue` (bounded, time-decayed priority, item TTL), on a clock that
counts stream items, and the annotators take the highest-priority task
whenever they have `capacity` labels' worth of time: `capacity` labels per
item of the stream. A task taken at position p is delivered ``p + 1 +
label_delay``. When the rule queries faster than that, the queue fills and
its policy decides which items are ever labelled.

>>> from stream_al.learner import LabelDelay
>>> delay = LabelDelay(0)
>>> team = LimitedAnnotators(capacity=0.5, queue_size=2, half_life=10.0)
>>> for position in range(4):
...     team.ask(position, item=None, label=position, random=False, score=0.5)
...     _ = team.work(position, delay)
>>> [p.label for p in delay.due(10)], team.labelled  # the freshest first; 0 was evicted
([1, 3], 2)
>>> [lease.item_id for lease in team.queue.lease("someone", 5)]  # still waiting
['2']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stream_al.clock import FakeClock
from stream_al.exceptions import ConfigError
from stream_al.items import Label
from stream_al.learner import LabelDelay
from stream_al.queue import AnnotationQueue, OnFull, Task, task_score

__all__ = ["LimitedAnnotators"]

_NAME = "annotators"


@dataclass(frozen=True, slots=True)
class _Asked:
    """A queried item waiting for the annotators: where it was, and its hidden label."""

    position: int
    item: Any
    label: Label
    random: bool


class LimitedAnnotators:
    """Annotators with a throughput, fed through a bounded priority queue.

    Parameters
    ----------
    capacity
        Labels the annotators deliver per item of the stream (e.g. 0.02).
    queue_size
        Capacity of the annotation queue (tasks).
    half_life
        Items for a task's priority to halve; None: no decay (priority is the
        score at arrival for ever).
    item_ttl
        Items after which a waiting task is dropped; None: never.
    on_full
        What a full queue does with a newcomer (see `AnnotationQueue`).
    """

    def __init__(
        self,
        capacity: float,
        queue_size: int = 500,
        half_life: float | None = 2000.0,
        item_ttl: float | None = None,
        on_full: OnFull = "evict_lowest",
    ) -> None:
        if not 0.0 < capacity <= 1.0:
            raise ConfigError(
                f"annotator capacity must be in (0, 1] labels per item, got {capacity}"
            )
        self.capacity = capacity
        self._clock = FakeClock()
        self.queue = AnnotationQueue(
            capacity=queue_size,
            half_life=half_life if half_life is not None else 1e300,
            lease_ttl=1e300,  # a taken task is labelled: the latency is the label delay
            item_ttl=item_ttl,
            clock=self._clock,
            on_full=on_full,
            max_skips=None,
        )
        self._credit = 0.0
        self._seen = 0
        #: Labels taken on so far (delivered or still in the delay).
        self.labelled = 0

    def ask(self, position: int, item: Any, label: Label, random: bool, score: float) -> None:
        """The rule queried the item at `position`: queue it with its score as priority."""
        self._clock.set(max(self._clock.now(), float(position)))
        task = Task(
            item_id=str(position),
            score=task_score(score, random),  # as the service queues it
            arrival=float(position),
            payload=_Asked(position, item, label, random),
        )
        self.queue.offer(task)

    def work(self, position: int, delay: LabelDelay) -> int:
        """Time passes up to `position`: take tasks with the capacity earned; how many."""
        self._clock.set(max(self._clock.now(), float(position)))
        if position >= self._seen:
            self._credit = min(self._credit + self.capacity * (position + 1 - self._seen), 1.0)
            self._seen = position + 1
        taken = 0
        while self._credit >= 1.0:
            leases = self.queue.lease(_NAME, 1)
            if not leases:
                break
            self.queue.ack(leases[0].lease_id, _NAME)
            asked: _Asked = leases[0].task.payload
            delay.put(asked.position, asked.item, asked.label, asked.random, start=position)
            self._credit -= 1.0
            taken += 1
        self.labelled += taken
        return taken

"""Simulated annotators: they pull tasks from the queue and return labels late.

Each annotator takes a new task about every ``1 / speed`` simulated seconds
(highest current priority first, through `AnnotationQueue.lease`) and returns
its label about `think` seconds after taking it, so it holds about
``speed · think`` tasks at once: `speed` sets the throughput, `think` the
latency. Both gaps are drawn from a gamma distribution (coefficient of
variation 0.5) so the annotators do not move in lockstep. A share of the leases
comes back unlabelled instead (half released, half skipped).

The annotators know the truth: a task's payload carries the item's true label,
which the model never sees before the label is delivered.

Events (a pull, or the end of a lease) sit in a heap by simulated time;
`run_until` plays them in order, moving the clock to each one.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from stream_al.clock import FakeClock
from stream_al.exceptions import LeaseError
from stream_al.items import Item, Label
from stream_al.queue import AnnotationQueue, Lease, Task

__all__ = ["AnnotatorPool", "Payload"]

logger = logging.getLogger(__name__)

_SHAPE = 4.0  # gamma shape: coefficient of variation 1/sqrt(4) = 0.5


@dataclass(frozen=True, slots=True)
class Payload:
    """What a demo task carries: the item, its hidden true label, and where it arrived."""

    item: Item
    label: Label
    position: int
    random: bool = False


@dataclass(order=True, frozen=True, slots=True)
class _Event:
    time: float
    seq: int
    annotator: int
    lease: Lease | None = None  # None: a pull; else the end of this lease


class AnnotatorPool:
    """A team of simulated annotators sharing one queue.

    Parameters
    ----------
    queue
        The annotation queue to lease from.
    clock
        The simulation clock; the pool moves it to each event it plays.
    on_label
        Called with the task (and the annotator's name) when a label is acked.
    n
        Number of annotators.
    speed
        Tasks each annotator takes per simulated second.
    think
        Mean simulated seconds from taking a task to returning its label.
    pass_share
        Share of leases given back unlabelled (half released, half skipped).
    seed
        Seed of the annotators' timing and choices.

    Examples
    --------
    >>> from stream_al.clock import FakeClock
    >>> clock = FakeClock()
    >>> queue = AnnotationQueue(capacity=10, half_life=60, lease_ttl=100, clock=clock)
    >>> for i in range(5):
    ...     _ = queue.offer(Task(str(i), score=i / 10, arrival=0.0))
    >>> labelled = []
    >>> pool = AnnotatorPool(queue, clock, lambda task, who: labelled.append(task.item_id),
    ...                      n=2, speed=0.5, think=0.0, seed=1)
    >>> pool.run_until(60.0)
    >>> labelled, pool.counts["acked"], len(queue)  # highest priority first
    (['4', '3', '2', '1', '0'], 5, 0)
    """

    def __init__(
        self,
        queue: AnnotationQueue,
        clock: FakeClock,
        on_label: Callable[[Task, str], None],
        *,
        n: int,
        speed: float,
        think: float,
        pass_share: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.queue = queue
        self.clock = clock
        self.on_label = on_label
        self.names = [f"annotator-{k + 1}" for k in range(n)]
        self.gap = 1.0 / speed
        self.think = think
        self.pass_share = pass_share
        #: What the annotators did: ``pulled``, ``idle``, ``acked``, ``released``,
        #: ``skipped``, ``late`` (the lease ran out before the label came back).
        self.counts: Counter[str] = Counter()
        self._rng = np.random.default_rng([seed, 7])
        self._events: list[_Event] = []
        self._seq = 0
        start = clock.now()
        for k in range(n):
            self._push(start + self.gap * float(self._rng.random()), k)

    @property
    def next_time(self) -> float:
        """Simulated time of the next event (infinity when none is due)."""
        return self._events[0].time if self._events else float("inf")

    @property
    def in_flight(self) -> int:
        """Leases out with annotators, as the annotators see them."""
        return sum(1 for event in self._events if event.lease is not None)

    def run_until(self, t: float) -> None:
        """Play every event due at or before `t`, in time order."""
        events = self._events
        while events and events[0].time <= t:
            event = heapq.heappop(events)
            self.clock.set(event.time)
            if event.lease is None:
                self._pull(event.annotator)
            else:
                self._finish(event.lease)

    def _pull(self, k: int) -> None:
        now = self.clock.now()
        self._push(now + self._draw(self.gap), k)
        self.counts["pulled"] += 1
        leases = self.queue.lease(self.names[k], n=1)
        if not leases:
            self.counts["idle"] += 1
            return
        self._push(now + self._draw(self.think), k, leases[0])

    def _finish(self, lease: Lease) -> None:
        who = lease.annotator
        u = float(self._rng.random())
        try:
            if u < self.pass_share / 2:
                self.queue.release(lease.lease_id, who)
                self.counts["released"] += 1
            elif u < self.pass_share:
                self.queue.skip(lease.lease_id, who)
                self.counts["skipped"] += 1
            else:
                task = self.queue.ack(lease.lease_id, who)
                self.counts["acked"] += 1
                self.on_label(task, who)
        except LeaseError as error:  # held too long: the queue took the task back
            self.counts["late"] += 1
            logger.debug("annotator.late item_id=%s error=%s", lease.item_id, error)

    def _draw(self, mean: float) -> float:
        if mean <= 0:
            return 0.0
        return float(self._rng.gamma(_SHAPE, mean / _SHAPE))

    def _push(self, t: float, k: int, lease: Lease | None = None) -> None:
        self._seq += 1
        heapq.heappush(self._events, _Event(t, self._seq, k, lease))

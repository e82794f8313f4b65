"""The demo loop: stream → score → decide → queue → annotators → learner, in one process.

Items arrive on a `FakeClock` at `rate` per simulated second. Each item is
predicted first (prequential accuracy: the demo knows the truth), its
uncertainty feeds the label-free drift detector, and the rule decides whether
to ask for its label; a queried item is offered to the annotation queue as a
`Task` carrying its true label for the simulated annotators. Annotator events
(pulls, returned labels) are played in simulated-time order between items; a
returned label is acked and handed to the `Learner` (test, then train), whose
errors feed the labelled drift detector. Drift alerts call ``rule.on_drift``,
are marked on the timeline and, for alerts confirmed by labels, re-score the
queued tasks with the adapted model.

Items are scored in chunks, cut wherever an annotator event falls, so every
item is predicted by the model that had learned every label returned before
it arrived.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from stream_al.clock import FakeClock
from stream_al.datasets import open_stream
from stream_al.demo.annotators import AnnotatorPool, Payload
from stream_al.demo.config import ACCURACY_WINDOW, LAG_WINDOW, UNBIASED_WINDOW, DemoConfig
from stream_al.demo.status import DemoStatus
from stream_al.demo.summary import summarise
from stream_al.drift.alerts import DriftAlert
from stream_al.drift.monitor import DriftMonitor
from stream_al.evaluation.metrics import PrequentialMetrics
from stream_al.evaluation.timeline import Timeline
from stream_al.items import Example, Label
from stream_al.lag.tracker import LagTracker
from stream_al.learner import Learner
from stream_al.model import make_model
from stream_al.queue import AnnotationQueue, Task, task_score
from stream_al.rules import make_rule
from stream_al.rules.base import Decision
from stream_al.step import ActiveLearningStep
from stream_al.strategies.scoring import score_items

__all__ = ["DemoResult", "DemoRun", "ProgressFn", "run_demo"]

logger = logging.getLogger(__name__)

#: Called after each chunk with the position and a (lazy) status.
ProgressFn = Callable[[int, Callable[[], DemoStatus]], None]


@dataclass
class DemoResult:
    """What a demo run produced: the summary, the settings and the timeline."""

    summary: dict[str, Any]
    config: dict[str, Any]
    timeline: Timeline


class DemoRun:
    """One demo run, built from a `DemoConfig` (call `run` once).

    Examples
    --------
    >>> run = DemoRun(DemoConfig(items=1500, annotators=2, annotator_speed=0.3))
    >>> result = run.run()
    >>> result.summary["items"], result.summary["labels"] == run.model.n_learned > 0
    (1500, True)
    """

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.stream = open_stream(config.source, limit=config.limit, seed=config.seed)
        info = self.stream.info
        self.total = info.n_items
        self.clock = FakeClock()
        self.model = make_model(
            config.model, classes=info.classes, seed=config.seed, text=info.text is not None
        )
        self.rule = make_rule(config.strategy, config.budget, seed=config.seed)
        self.monitor = DriftMonitor(labelled=config.drift, clock=self.clock)
        #: Score, decide, observe, watch: the loop's one step (`stream_al.step`).
        self.step = ActiveLearningStep(self.model, self.rule, monitor=self.monitor)
        self.step.on_alert.append(self._on_alert)
        self.learner = Learner(self.model, self.monitor, window=UNBIASED_WINDOW)
        self.queue = AnnotationQueue(
            capacity=config.queue_capacity,
            half_life=config.half_life,
            lease_ttl=config.lease_seconds,
            item_ttl=config.item_ttl,
            clock=self.clock,
        )
        self.pool = AnnotatorPool(
            self.queue,
            self.clock,
            self._deliver,
            n=config.annotators,
            speed=config.annotator_speed,
            think=config.label_delay,
            pass_share=config.pass_share,
            seed=config.seed,
        )
        self.metrics = PrequentialMetrics(window=ACCURACY_WINDOW)
        self.timeline = Timeline(every=20, max_points=1000)
        self.lag = LagTracker(window=LAG_WINDOW)
        self.labels_seen: Counter[Label] = Counter()
        self.received = 0
        self.queue_max = 0
        self._started = time.perf_counter()

    # -- the loop ---------------------------------------------------------------------------
    def run(self, progress: ProgressFn | None = None) -> DemoResult:
        """Play the whole stream; `progress` is called after every chunk."""
        self._started = time.perf_counter()
        for batch in self._chunks(iter(self.stream)):
            self._score(batch)
            if progress is not None:
                progress(self.position, self.status)
        self.queue.expire()
        self.timeline.record(self.position, self.status().to_point())
        seconds = time.perf_counter() - self._started
        summary = summarise(self, seconds)
        logger.info(
            "demo.done items=%d labels=%d accuracy=%.4f seconds=%.1f",
            self.position,
            self.received,
            self.metrics.accuracy,
            seconds,
        )
        return DemoResult(summary=summary, config=self.config.to_dict(), timeline=self.timeline)

    def arrival(self, position: int) -> float:
        """Simulated arrival time of the item at `position`."""
        return position / self.config.rate

    def _chunks(self, stream: Iterator[Example]) -> Iterator[list[Example]]:
        """Batches of items with no annotator event between their arrivals."""
        carry: list[Example] = []
        size = self.config.chunk
        while True:
            while len(carry) < size and (example := next(stream, None)) is not None:
                carry.append(example)
            if not carry:
                return
            self.pool.run_until(self.arrival(self.position))
            nxt = self.pool.next_time
            n = 1
            while n < len(carry) and self.arrival(self.position + n) < nxt:
                n += 1
            batch, carry = carry[:n], carry[n:]
            yield batch

    @property
    def position(self) -> int:
        """Items scored so far."""
        return self.step.position

    def _score(self, batch: list[Example]) -> None:
        scored = self.step.score([example.item for example in batch])
        classes = scored.classes
        predicted = np.argmax(scored.proba, axis=1)
        for out in self.step.decide(scored):
            example = batch[out.row]
            self.clock.set(self.arrival(out.position))
            self.metrics.update(example.label, classes[predicted[out.row]] if classes else None)
            self.labels_seen[example.label] += 1
            if out.decision.query:
                self._offer(example, out.position, out.decision)
            self.timeline.maybe_record(self.position, self._snapshot)
        self.step.finish(scored, len(batch))

    # -- queue and learner ------------------------------------------------------------------
    def _offer(self, example: Example, position: int, decision: Decision) -> None:
        """Offer a queried item (a random draw jumps the queue: `task_score`)."""
        task = Task(
            item_id=example.item.id,
            score=task_score(decision.score, decision.random),
            arrival=self.clock.now(),
            payload=Payload(example.item, example.label, position, decision.random),
            classes=self.model.classes,
        )
        self.queue.offer(task)
        self.queue_max = max(self.queue_max, len(self.queue))

    def _deliver(self, task: Task, annotator: str) -> None:
        """An annotator's label reaches the learner: test, then train."""
        payload: Payload = task.payload
        self.received += 1
        self.lag.add(
            seconds=self.clock.now() - task.arrival, items=self.position - payload.position
        )
        alert = self.learner.learn(
            payload.item, payload.label, position=self.position, random=payload.random
        )
        if alert is not None:
            self.step.react(alert)

    def _on_alert(self, alert: DriftAlert) -> None:
        """The demo's reactions to a drift (the rule's came first: `ActiveLearningStep.react`)."""
        self.timeline.mark(
            alert.position,
            "drift",
            source=alert.source,
            detector=alert.detector,
            severity=alert.severity,
            time=alert.time,
        )
        if alert.source == "labelled":
            self.queue.rescore(self._rescore)

    def _rescore(self, task: Task) -> float:
        """A queued task's score under the current model (random draws keep theirs)."""
        payload: Payload = task.payload
        if payload.random:
            return task.score
        return task_score(
            float(score_items(self.model, self.rule.strategy, [payload.item])[0]), False
        )

    # -- what it looks like -----------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        self.queue.expire()  # the TTL sweep a scheduler would run
        return self.status().to_point()

    def status(self) -> DemoStatus:
        """The loop's state now."""
        stats = self.queue.stats()
        counts = stats.counts
        unbiased = self.learner.unbiased
        return DemoStatus(
            position=self.position,
            total=self.total,
            sim_time=self.clock.now(),
            accuracy=self.metrics.accuracy,
            window_accuracy=self.metrics.window_accuracy,
            unbiased_accuracy=unbiased.window_accuracy if unbiased.n else None,
            random_labels=unbiased.n,
            labels_spent=self.rule.budget.spent,
            budget_allowed=self.rule.budget.fraction * self.position,
            labels_received=self.received,
            queue_depth=stats.depth,
            leased=stats.leased,
            capacity=stats.capacity,
            evicted=counts.get("evicted", 0),
            expired=counts.get("expired", 0),
            dropped=counts.get("dropped", 0),
            lag_seconds=self.lag.recent_mean(),
            lag_p95_seconds=self.lag.recent_p95(),
            lag_items=self.lag.recent_mean(items=True),
            drifts=len(self.monitor.alerts),
            last_drift=self.monitor.last_alert,
            wall_seconds=time.perf_counter() - self._started,
        )


def run_demo(config: DemoConfig, progress: ProgressFn | None = None) -> DemoResult:
    """Build a `DemoRun` from `config` and play it."""
    return DemoRun(config).run(progress)

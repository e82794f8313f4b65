"""Prequential simulation of the active-learning loop on a labelled stream.

Every item is predicted first (and scored for accuracy), then the rule decides
whether to pay for its label; a paid label reaches the learner `label_delay`
items later. This is `stream-al simulate`.

Items are scored in chunks for speed; a chunk is cut short wherever a label
arrives, so each item is predicted by exactly the model that had learned every
label delivered before it (the semantics of one-by-one processing).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from stream_al.evaluation.metrics import PrequentialMetrics
from stream_al.evaluation.timeline import Timeline
from stream_al.items import Example
from stream_al.learner import LabelDelay, Learner
from stream_al.model.base import CommitteeModel, Model
from stream_al.rules.base import DecisionRule
from stream_al.strategies.base import Scored
from stream_al.strategies.uncertainty import least_confidence

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert
    from stream_al.drift.monitor import DriftMonitor

__all__ = ["SimulationResult", "simulate"]


@dataclass
class SimulationResult:
    """What a simulation measured (`to_dict` is the `--json` document)."""

    items: int
    labels: int
    label_fraction: float
    accuracy: float
    kappa: float
    items_per_s: float
    seconds: float
    drifts: list[int]
    strategy: str
    budget: float
    label_delay: int
    model: str
    seed: int
    random_labels: int
    data: str = ""
    timeline: Timeline | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the timeline)."""
        out = asdict(self)
        out.pop("timeline")
        extra = out.pop("extra")
        out.update(extra)
        return out


def simulate(
    examples: Iterable[Example],
    model: Model,
    rule: DecisionRule,
    *,
    label_delay: int = 0,
    monitor: DriftMonitor | None = None,
    chunk: int | None = None,
    timeline: Timeline | None = None,
    on_progress: Callable[[int], None] | None = None,
    seed: int = 0,
    data: str = "",
) -> SimulationResult:
    """Run the loop prequentially over `examples` and measure it.

    Parameters
    ----------
    examples
        The labelled stream, in order; labels stay hidden until paid for.
    model
        The model to score with and teach.
    rule
        The decision rule (with its budget and strategy).
    label_delay
        Items between paying for a label and receiving it.
    monitor
        Drift monitor; its alarms are passed to ``rule.on_drift``.
    chunk
        Most items scored in one call to the model; by default the model's
        ``preferred_chunk`` (8 for river models, which score item by item).
    timeline
        Where to record the evolution of the run (optional).
    on_progress
        Called with the position after each chunk (for progress displays).
    """
    run = _Run(model, rule, monitor, label_delay, timeline)
    run.play(iter(examples), chunk or int(getattr(model, "preferred_chunk", 8)), on_progress)
    labels = rule.budget.spent
    items = run.position
    return SimulationResult(
        items=items,
        labels=labels,
        label_fraction=labels / items if items else 0.0,
        accuracy=run.metrics.accuracy,
        kappa=run.metrics.kappa,
        items_per_s=items / run.seconds if run.seconds > 0 else float("inf"),
        seconds=run.seconds,
        drifts=[a["position"] for a in run.alerts],
        strategy=rule.name,
        budget=rule.budget.fraction,
        label_delay=label_delay,
        model=getattr(model, "name", type(model).__name__),
        seed=seed,
        random_labels=run.random_labels,
        data=data,
        timeline=timeline,
        extra={"drift_alerts": run.alerts},
    )


class _Run:
    """The state of one simulation: the model, what is owed to it, and what was measured."""

    def __init__(
        self,
        model: Model,
        rule: DecisionRule,
        monitor: DriftMonitor | None,
        label_delay: int,
        timeline: Timeline | None,
    ) -> None:
        self.model = model
        self.rule = rule
        self.monitor = monitor
        self.timeline = timeline
        self.learner = Learner(model, monitor)
        self.committee = (
            model if isinstance(model, CommitteeModel) and rule.strategy.needs_members else None
        )
        self.metrics = PrequentialMetrics()
        self.delay = LabelDelay(label_delay)
        self.alerts: list[dict[str, Any]] = []
        self.random_labels = 0
        self.position = 0
        self.seconds = 0.0

    def play(
        self,
        stream: Iterator[Example],
        chunk: int,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        """Consume the stream chunk by chunk, then deliver the labels still in flight."""
        started = time.perf_counter()
        carry: list[Example] = []
        while True:
            if len(carry) < chunk:
                carry.extend(itertools.islice(stream, chunk - len(carry)))
            if not carry:
                break
            self.deliver(self.position)
            carry = carry[self.step(carry) :]
            if on_progress is not None:
                on_progress(self.position)
        self.deliver(self.position + self.delay.delay + 1)
        self.seconds = time.perf_counter() - started

    def step(self, carry: list[Example]) -> int:
        """Score a chunk, decide item by item, and stop where a paid label comes due.

        Returns how many items of `carry` were consumed.
        """
        end = len(carry)
        due = self.delay.next_release
        if due is not None:
            end = min(end, max(1, due - self.position))
        batch = carry[:end]
        items = [e.item for e in batch]
        proba = self.model.predict_proba_many(items)
        classes = self.model.classes
        members = self.committee.predict_member_proba_many(items) if self.committee else None
        scored = Scored(items=items, proba=proba, classes=classes, member_proba=members)
        predicted = np.argmax(proba, axis=1) if classes else None
        uncertainty = least_confidence(proba) if self.monitor is not None else None
        start = self.position
        for k, decision in enumerate(self.rule.decide(scored)):
            example = batch[k]
            self.metrics.update(
                example.label, classes[predicted[k]] if predicted is not None else None
            )
            self.model.observe(example.item)
            if self.monitor is not None and uncertainty is not None:
                self.on_alert(
                    self.position, self.monitor.update_score(self.position, float(uncertainty[k]))
                )
            self.position += 1
            if self.timeline is not None:
                self.timeline.maybe_record(self.position, self.snapshot)
            if decision.query:
                self.random_labels += decision.random
                self.delay.put(self.position - 1, example.item, example.label, decision.random)
                if self.position + self.delay.delay < start + end:
                    return k + 1  # the label is due inside this chunk: score the rest again
        return end

    def deliver(self, upto: int) -> None:
        """Hand every label due by `upto` to the learner (test, then train)."""
        for pending in self.delay.due(upto):
            alert = self.learner.learn(
                pending.item, pending.label, position=pending.position, random=pending.random
            )
            self.on_alert(upto, alert)

    def on_alert(self, position: int, alert: DriftAlert | None) -> None:
        if alert is None:
            return
        self.alerts.append(
            {"position": position, "source": alert.source, "detector": alert.detector}
        )
        self.rule.on_drift(alert)
        if self.timeline is not None:
            self.timeline.mark(position, "drift", source=alert.source, detector=alert.detector)

    def snapshot(self) -> dict[str, Any]:
        return {
            "accuracy": self.metrics.accuracy,
            "window_accuracy": self.metrics.window_accuracy,
            "labels": self.rule.budget.spent,
            "labelled_accuracy": self.learner.labelled.window_accuracy,
            "unbiased_accuracy": self.learner.unbiased.window_accuracy,
        }

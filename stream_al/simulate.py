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
    if chunk is None:
        chunk = int(getattr(model, "preferred_chunk", 8))
    learner = Learner(model, monitor)
    committee = model if isinstance(model, CommitteeModel) and rule.strategy.needs_members else None
    metrics = PrequentialMetrics()
    delay = LabelDelay(label_delay)
    drifts: list[int] = []
    alerts: list[dict[str, Any]] = []
    random_labels = 0
    position = 0
    stream: Iterator[Example] = iter(examples)
    carry: list[Example] = []
    started = time.perf_counter()

    def deliver(upto: int) -> None:
        for pending in delay.due(upto):
            alert = learner.learn(
                pending.item, pending.label, position=pending.position, random=pending.random
            )
            if alert is not None:
                drifts.append(upto)
                alerts.append(
                    {"position": upto, "source": alert.source, "detector": alert.detector}
                )
                rule.on_drift(alert)
                if timeline is not None:
                    timeline.mark(upto, "drift", source=alert.source, detector=alert.detector)

    while True:
        if len(carry) < chunk:
            carry.extend(itertools.islice(stream, chunk - len(carry)))
        if not carry:
            break
        deliver(position)
        end = len(carry)
        nxt = delay.next_release
        if nxt is not None:
            end = min(end, max(1, nxt - position))
        batch = carry[:end]
        items = [e.item for e in batch]
        proba = model.predict_proba_many(items)
        classes = model.classes
        members = committee.predict_member_proba_many(items) if committee is not None else None
        scored = Scored(items=items, proba=proba, classes=classes, member_proba=members)
        predicted = np.argmax(proba, axis=1) if classes else None
        uncertainty = least_confidence(proba) if monitor is not None else None
        consumed = 0
        for k, decision in enumerate(rule.decide(scored)):
            example = batch[k]
            y_pred = classes[predicted[k]] if predicted is not None else None
            metrics.update(example.label, y_pred)
            model.observe(example.item)
            if monitor is not None and uncertainty is not None:
                alert = monitor.update_score(position, float(uncertainty[k]))
                if alert is not None:
                    drifts.append(position)
                    alerts.append(
                        {"position": position, "source": alert.source, "detector": alert.detector}
                    )
                    rule.on_drift(alert)
                    if timeline is not None:
                        timeline.mark(
                            position, "drift", source=alert.source, detector=alert.detector
                        )
            position += 1
            consumed = k + 1
            if decision.query:
                random_labels += decision.random
                delay.put(position - 1, example.item, example.label, decision.random)
                if label_delay == 0 or position + label_delay < position - consumed + end:
                    break
            if timeline is not None:
                timeline.maybe_record(position, lambda: _snapshot(metrics, learner, rule))
        carry = carry[consumed:]
        if on_progress is not None:
            on_progress(position)
    deliver(position + label_delay + 1)
    seconds = time.perf_counter() - started
    labels = rule.budget.spent
    return SimulationResult(
        items=position,
        labels=labels,
        label_fraction=labels / position if position else 0.0,
        accuracy=metrics.accuracy,
        kappa=metrics.kappa,
        items_per_s=position / seconds if seconds > 0 else float("inf"),
        seconds=seconds,
        drifts=drifts,
        strategy=rule.name,
        budget=rule.budget.fraction,
        label_delay=label_delay,
        model=getattr(model, "name", type(model).__name__),
        seed=seed,
        random_labels=random_labels,
        data=data,
        timeline=timeline,
        extra={"drift_alerts": alerts},
    )


def _snapshot(metrics: PrequentialMetrics, learner: Learner, rule: DecisionRule) -> dict[str, Any]:
    return {
        "accuracy": metrics.accuracy,
        "window_accuracy": metrics.window_accuracy,
        "labels": rule.budget.spent,
        "labelled_accuracy": learner.labelled.window_accuracy,
        "unbiased_accuracy": learner.unbiased.window_accuracy,
    }

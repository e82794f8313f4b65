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
from river import stats

from stream_al.evaluation.metrics import PrequentialMetrics
from stream_al.evaluation.timeline import Timeline
from stream_al.items import Example, Label
from stream_al.lag.capacity import LimitedAnnotators
from stream_al.lag.estimate import LabelFreeAccuracy
from stream_al.lag.rehearsal import Rehearsal
from stream_al.lag.selftrain import SelfTraining
from stream_al.lag.throughput import ThroughputPacer
from stream_al.learner import LabelDelay, Learner
from stream_al.model.base import Model
from stream_al.rules.base import Decision, DecisionRule
from stream_al.step import ActiveLearningStep
from stream_al.strategies.base import Scored

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
    annotators: LimitedAnnotators | None = None,
    self_training: SelfTraining | None = None,
    pacer: ThroughputPacer | None = None,
    warmup: int = 0,
    rehearsal: Rehearsal | None = None,
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
    annotators
        Annotators of limited throughput behind a bounded queue; by default
        every query is labelled (and delivered `label_delay` items later).
    self_training
        Learn from confident pseudo-labels while human labels lag.
    pacer
        Fit the budget's rate to the annotators' throughput.
    warmup
        Also report the accuracy over the items after the first `warmup`
        (``accuracy_after_warmup``): with labels `label_delay` items late,
        the first items are predicted before any label could arrive.
    rehearsal
        Replay recent human labels while labels lag (lag in items).
    """
    run = _Run(
        model,
        rule,
        monitor,
        label_delay,
        timeline,
        annotators=annotators,
        self_training=self_training,
        pacer=pacer,
        warmup=warmup,
        rehearsal=rehearsal,
    )
    run.play(iter(examples), chunk or int(getattr(model, "preferred_chunk", 8)), on_progress)
    labels = annotators.labelled if annotators is not None else rule.budget.spent
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
        budget=pacer.target if pacer is not None else rule.budget.fraction,
        label_delay=label_delay,
        model=getattr(model, "name", type(model).__name__),
        seed=seed,
        random_labels=run.random_labels,
        data=data,
        timeline=timeline,
        extra={"drift_alerts": run.alerts, **run.lag_report()},
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
        *,
        annotators: LimitedAnnotators | None = None,
        self_training: SelfTraining | None = None,
        pacer: ThroughputPacer | None = None,
        warmup: int = 0,
        rehearsal: Rehearsal | None = None,
    ) -> None:
        self.model = model
        self.rule = rule
        self.timeline = timeline
        #: Score, decide, observe, watch: the loop's one step (`stream_al.step`).
        self.core = ActiveLearningStep(model, rule, monitor=monitor, self_training=self_training)
        self.learner = Learner(model, monitor, on_test=self.on_test, rehearsal=rehearsal)
        if self.learner.rehearsal is not None:
            self.learner.rehearsal.pacer = pacer  # annotators behind the budget: rehearse
        self.metrics = PrequentialMetrics()
        self.warmup = warmup
        self.after_warmup = PrequentialMetrics()
        self.delay = LabelDelay(label_delay)
        self.alerts: list[dict[str, Any]] = []
        self.random_labels = 0
        self.seconds = 0.0
        self.annotators = annotators
        self.pacer = pacer
        self.self_training = self_training
        self.checks = _EstimateErrors()
        self.newest_labelled = -1  # position of the newest item whose label was learnt
        self.lag_total = 0

    @property
    def position(self) -> int:
        """Items scored so far."""
        return self.core.position

    @property
    def label_free(self) -> LabelFreeAccuracy:
        """Accuracy estimated without labels (the step's)."""
        return self.core.label_free

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
        scored = self.core.score([e.item for e in batch])
        classes = scored.classes
        predicted = np.argmax(scored.proba, axis=1) if classes else None
        start = self.position
        consumed = end
        for out in self.core.decide(scored):
            example = batch[out.row]
            guess = classes[predicted[out.row]] if predicted is not None else None
            self.metrics.update(example.label, guess)
            if out.position >= self.warmup:
                self.after_warmup.update(example.label, guess)
            if out.alert is not None:
                self.record(out.position, out.alert)
            if self.timeline is not None:
                self.timeline.maybe_record(self.position, self.snapshot)
            self.ask(example, out.position, out.decision)
            due = self.delay.next_release
            if due is not None and due < start + end:
                consumed = out.row + 1  # a label is due inside this chunk: score the rest again
                break
        self.after_chunk(batch[:consumed], scored, consumed, start)
        return consumed

    def ask(self, example: Example, position: int, decision: Decision) -> None:
        """Pass a queried item to the annotators; let them work through this item's time."""
        team = self.annotators
        if team is None:
            if decision.query:
                self.delay.put(position, example.item, example.label, decision.random)
            taken = int(decision.query)
        else:
            if decision.query:
                team.ask(position, example.item, example.label, decision.random, decision.score)
            taken = team.work(position, self.delay)
        if self.pacer is not None:
            self.pacer.update(labelled=taken)

    def after_chunk(self, batch: list[Example], scored: Scored, consumed: int, start: int) -> None:
        """The step's end of a chunk (the label-free estimate, pseudo-labels chosen): learn
        the pseudo-labels, and check the estimates every `_CHECK_EVERY` items."""
        pseudo = self.core.finish(scored, consumed, lag=start - self.newest_labelled)
        if scored.classes and self.position // _CHECK_EVERY > self.checks.n:
            self.checks.add(self.metrics.window_accuracy, self.label_free.value, self.learner)
        st = self.self_training
        for row, label in pseudo:
            assert st is not None  # pseudo-labels come from it
            self.model.learn_one(batch[row].item, label, st.weight)

    def on_test(self, confidence: float, correct: bool, label: Label) -> None:
        """A human label tested the model: calibration data."""
        if self.self_training is not None:
            self.self_training.on_label(confidence, correct, label)
        else:
            self.label_free.calibrator.update(confidence, correct)

    def deliver(self, upto: int) -> None:
        """Hand every label due by `upto` to the learner (test, then train)."""
        for pending in self.delay.due(upto):
            lag = pending.release - pending.position - 1
            alert = self.learner.learn(
                pending.item,
                pending.label,
                position=pending.position,
                random=pending.random,
                lag=lag,
            )
            self.random_labels += pending.random
            self.newest_labelled = max(self.newest_labelled, pending.position)
            self.lag_total += lag
            if alert is not None:
                self.record(upto, alert)
                self.core.react(alert)

    def record(self, position: int, alert: DriftAlert) -> None:
        """Note an alert raised at `position` (its reactions are the step's `react`)."""
        self.alerts.append(
            {"position": position, "source": alert.source, "detector": alert.detector}
        )
        if self.timeline is not None:
            self.timeline.mark(position, "drift", source=alert.source, detector=alert.detector)

    def snapshot(self) -> dict[str, Any]:
        return {
            "accuracy": self.metrics.accuracy,
            "window_accuracy": self.metrics.window_accuracy,
            "labels": self.rule.budget.spent,
            "labelled_accuracy": self.learner.labelled.window_accuracy,
            "unbiased_accuracy": self.learner.unbiased.window_accuracy,
            "label_free_accuracy": self.label_free.value,
            "pseudo_labels": self.self_training.count if self.self_training else 0,
        }

    def lag_report(self) -> dict[str, Any]:
        """What the labeling lag did to the run (part of the `--json` document)."""
        delivered = self.learner.labelled.n
        st, team, rehearsal = self.self_training, self.annotators, self.learner.rehearsal
        return {
            "queried": self.rule.budget.spent,
            "warmup": self.warmup,
            "accuracy_after_warmup": self.after_warmup.accuracy,
            "labels_delivered": delivered,
            "mean_lag_items": self.lag_total / delivered if delivered else None,
            "unbiased_accuracy": self.learner.unbiased.accuracy
            if self.learner.unbiased.n
            else None,
            "label_free_accuracy": self.label_free.value,
            "label_free_mae": self.checks.label_free_mae,
            "unbiased_mae": self.checks.unbiased_mae,
            "pseudo_labels": st.count if st is not None else 0,
            "pseudo_labels_by_class": {str(k): v for k, v in st.by_class.items()} if st else {},
            "rehearsed": rehearsal.replayed if rehearsal is not None else 0,
            "annotator_capacity": team.capacity if team is not None else None,
            "queue": dict(team.queue.stats().counts) if team is not None else None,
        }


#: Items between two comparisons of the accuracy estimates with the truth.
_CHECK_EVERY = 500


class _EstimateErrors:
    """How far the label-free and random-share estimates were from the true recent accuracy.

    Every `_CHECK_EVERY` items, each estimate is compared with the accuracy of
    the last 1,000 predictions (known in a simulation, never in production).
    """

    def __init__(self) -> None:
        self.n = 0
        self._label_free = stats.Mean()
        self._unbiased = stats.Mean()

    def add(self, truth: float, label_free: float | None, learner: Learner) -> None:
        self.n += 1
        if label_free is not None:
            self._label_free.update(abs(label_free - truth))
        if learner.unbiased.n:
            self._unbiased.update(abs(learner.unbiased.window_accuracy - truth))

    @property
    def label_free_mae(self) -> float | None:
        return self._label_free.get() if self._label_free.n else None

    @property
    def unbiased_mae(self) -> float | None:
        return self._unbiased.get() if self._unbiased.n else None

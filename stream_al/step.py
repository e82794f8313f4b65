"""`ActiveLearningStep`: one batch of items scored, decided, observed and watched for drift.

This is the heart of the loop, written once. The scorer (`stream_al.service.scorer`),
`stream-al simulate` (`stream_al.simulate`) and the demo (`stream_al.demo.runner`)
are adapters around it: the transport and the store; the prequential clock and
delayed labels; the display and the simulated annotators. So what `simulate`
measures is what the service runs.

For a batch of items the step:

1. `score`: predicts class probabilities (and the committee members' own,
   when the rule's strategy needs them and the model has members);
2. `decide`: lazily, item by item, lets the rule decide (budget, threshold,
   reason) and feeds the item's uncertainty to the label-free drift detector.
   An alert is passed to the one fan-out, `react`: the rule (a budget boost), self-training
   (a pause), and the adapters' own reactions (`on_alert`). Lazy, so an
   adapter may stop early (a label falls due inside the batch) and score the
   rest again with the model that learned it;
3. `finish`: lets the model observe the items consumed (its unsupervised
   statistics, as one batch: every item of a batch was predicted before any
   of them was observed), updates the label-free accuracy estimate, and
   returns the confident pseudo-labels self-training chose among them
   (learning them is the adapter's, once they are recorded).

Examples
--------
>>> from stream_al.items import Item
>>> from stream_al.model import make_model
>>> from stream_al.rules import make_rule
>>> step = ActiveLearningStep(make_model("logreg", ["a", "b"]), make_rule("random", 0.5, seed=1))
>>> items = [Item(id=str(i), event_time=i, features={"x": float(i)}) for i in range(4)]
>>> scored = step.score(items)
>>> [(out.position, out.decision.reason) for out in step.decide(scored)]
[(0, 'not_drawn'), (1, 'not_drawn'), (2, 'random'), (3, 'not_drawn')]
>>> step.position, step.finish(scored, consumed=4)
(4, [])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stream_al.exceptions import StrategyError
from stream_al.items import Item, Label
from stream_al.lag.calibration import ConfidenceCalibrator
from stream_al.lag.estimate import LabelFreeAccuracy
from stream_al.model.base import CommitteeModel, Model
from stream_al.rules.base import Decision, DecisionRule
from stream_al.strategies.base import Scored
from stream_al.strategies.uncertainty import least_confidence

if TYPE_CHECKING:
    from stream_al.drift.alerts import DriftAlert
    from stream_al.drift.monitor import DriftMonitor
    from stream_al.lag.selftrain import SelfTraining

__all__ = ["ActiveLearningStep", "Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the step did with one item of a batch.

    Attributes
    ----------
    row
        The item's index in the batch (its row of ``scored.proba``).
    position
        The item's place in the stream: how many items were scored before it.
    decision
        The rule's decision, with its score, threshold and reason.
    alert
        The label-free drift alert this item raised, if any (already passed to
        `ActiveLearningStep.react`).
    """

    row: int
    position: int
    decision: Decision
    alert: DriftAlert | None = None


class ActiveLearningStep:
    """Scores, decides, observes and watches one batch of items at a time.

    Parameters
    ----------
    model
        The model that predicts (and observes every item); swap it by assigning
        `model`. A strategy that needs committee members needs a model that has
        them (`StrategyError` otherwise, at once rather than at the first batch).
    rule
        The decision rule with its budget and strategy.
    monitor
        Drift monitor whose label-free detector sees every item's uncertainty
        (optional; its labelled detector is fed by the learner).
    self_training
        Picks confident pseudo-labels while labels lag (optional).
    calibrator
        Judges the model's confidence for the label-free accuracy estimate;
        self-training's own when it runs, else this one, else a fresh one.
    position
        Items scored before the first batch (a restarted scorer's count).
    """

    def __init__(
        self,
        model: Model,
        rule: DecisionRule,
        *,
        monitor: DriftMonitor | None = None,
        self_training: SelfTraining | None = None,
        calibrator: ConfidenceCalibrator | None = None,
        position: int = 0,
    ) -> None:
        if rule.strategy.needs_members and not isinstance(model, CommitteeModel):
            raise StrategyError(
                f"strategy {rule.strategy.name!r} needs a model with members (an ensemble such "
                f"as bagging, arf or torch_ensemble); {getattr(model, 'name', 'this model')!r} "
                "has none: choose another strategy or model"
            )
        self.model = model
        self.rule = rule
        self.monitor = monitor
        self.self_training = self_training
        if self_training is not None:
            calibrator = self_training.calibrator
        #: Mean calibrated confidence of recent items: accuracy estimated without labels.
        self.label_free = LabelFreeAccuracy(calibrator or ConfidenceCalibrator())
        #: Items scored so far.
        self.position = position
        #: The adapters' reactions to a drift alert, after the rule's and self-training's.
        self.on_alert: list[Callable[[DriftAlert], object]] = []

    def score(self, items: Sequence[Item]) -> Scored:
        """What the model says of `items`: probabilities, and members' when the rule needs them."""
        model = self.model
        proba = model.predict_proba_many(items)
        members = None
        if self.rule.strategy.needs_members and isinstance(model, CommitteeModel):
            members = model.predict_member_proba_many(items)
        return Scored(items=items, proba=proba, classes=model.classes, member_proba=members)

    def decide(self, scored: Scored) -> Iterator[Outcome]:
        """Decide, observe and watch each item of `scored` in order (lazily: see the module)."""
        monitor = self.monitor
        watch = monitor is not None and monitor.label_free is not None
        uncertainty = least_confidence(scored.proba) if watch else None
        for row, decision in enumerate(self.rule.decide(scored)):
            position = self.position
            alert = None
            if uncertainty is not None and monitor is not None:
                alert = monitor.update_score(position, float(uncertainty[row]))
                if alert is not None:  # reactions see the stream at this item
                    self.react(alert)
            self.position = position + 1
            yield Outcome(row, position, decision, alert)

    def react(self, alert: DriftAlert) -> None:
        """The one drift fan-out: the rule, self-training, then every `on_alert` reaction.

        Adapters pass the learner's labelled alerts here too.
        """
        self.rule.on_drift(alert)
        if self.self_training is not None:
            self.self_training.on_drift(self.position, alert)
        for reaction in self.on_alert:
            reaction(alert)

    def finish(self, scored: Scored, consumed: int, lag: float = 0.0) -> list[tuple[int, Label]]:
        """After the first `consumed` items of `scored` were decided: let the model observe
        them, update the label-free estimate, and return the pseudo-labels
        self-training chose among them as
        ``(row, label)`` pairs (none without self-training). `lag` is how late
        labels are (seconds or items, as self-training's ``min_lag``)."""
        if consumed <= 0:
            return []
        self.model.observe_many(scored.items[:consumed])
        if not scored.classes:
            return []
        proba = scored.proba[:consumed]
        self.label_free.update(proba)
        st = self.self_training
        if st is None:
            return []
        return st.select(self.position - consumed, lag, proba, scored.classes)

"""The lag fallback of one process: the scorer's self-training and budget pacing (``[lag]``).

Self-training needs the learner and the queue in the same process: the
learner's labels calibrate the scorer's confidence, the queue's oldest waiting
task is the lag. Without them it is off (and says so once at start).

Pacing needs only the annotators' throughput. Beside the learner the scorer
reads the learner's count after every batch; on its own it reads the count
the learner announces with each model version on the models topic, which the
scorer already follows to swap models (`AnnouncedLabels`): no other consumer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stream_al.clock import SystemClock
from stream_al.lag.throughput import AnnouncedLabels
from stream_al.service.learner import CHECKPOINT_EVERY, LearnerService

if TYPE_CHECKING:
    from stream_al.budget import Budget
    from stream_al.config import LagSettings
    from stream_al.service.scorer import Scorer
    from stream_al.service.wiring import Roles

__all__ = ["LagFallback", "calibrate_scorer"]

logger = logging.getLogger(__name__)


class LagFallback:
    """What the scorer of `roles` gets: self-training, a pacer, and their two readings.

    Parameters
    ----------
    settings
        The ``[lag]`` section.
    roles
        The parts of this process (the queue and the learner are read when used).
    budget
        The scorer's budget, for the pacer to steer.
    with_learner
        Whether the learner runs in this process too.
    """

    def __init__(
        self, settings: LagSettings, roles: Roles, budget: Budget, with_learner: bool
    ) -> None:
        self.roles = roles
        local = with_learner and roles.queue is not None
        self.self_training = settings.self_training() if local else None
        self.pacer = settings.pacer(budget)
        #: Without the learner: its announced label counts, for the pacer.
        self.announced = None if with_learner else AnnouncedLabels()
        self._seen = self._learnt()
        if not local and settings.self_training_enabled:
            logger.info("self-training off: it needs the learner and the queue in this process")

    def lag(self) -> float:
        """Seconds the oldest task waiting for a label has waited (0 when none waits)."""
        queue = self.roles.queue
        oldest = queue.oldest_arrival() if queue is not None else None
        return 0.0 if oldest is None else max(0.0, SystemClock().now() - oldest)

    def pace(self, position: int, items: int) -> None:
        """Tell the pacer of the labels taken on while `items` more arrived from `position`."""
        if self.pacer is None:
            return
        if self.announced is None:
            seen = self._learnt()
            self.pacer.update(labelled=max(0, seen - self._seen), items=items)
            self._seen = seen
            return
        rate = self.announced.rate(position)
        if rate is not None:  # none until the learner has announced twice
            self.pacer.update(labelled=rate * items, items=items)

    def on_model(self, doc: dict[str, Any], position: int) -> None:
        """A model announcement heard at `position`: its label count feeds the pacer."""
        if self.announced is None:
            return
        metrics = doc.get("metrics")
        labels = metrics.get("labels") if isinstance(metrics, dict) else None
        every = doc.get("checkpoint_every", CHECKPOINT_EVERY)
        items = doc.get("items")
        if isinstance(labels, int) and isinstance(every, int):
            whole = items if isinstance(items, int) and not isinstance(items, bool) else None
            self.announced.announce(labels, position, every, items=whole)

    def _learnt(self) -> int:
        """Human labels the learner of this process has learnt (0 without it)."""
        learner = self.roles.learner
        return learner.learner.labelled.n if learner is not None else 0


def calibrate_scorer(learner: LearnerService, scorer: Scorer) -> None:
    """Each label the learner tests calibrates the scorer; its drift alarms pause self-training."""
    st = scorer.self_training
    if st is None:
        calibrator = scorer.label_free.calibrator
        learner.learner.on_test = lambda confidence, correct, _: calibrator.update(
            confidence, correct
        )
        return
    learner.learner.on_test = st.on_label
    learner.on_alert.append(lambda alert: st.on_drift(scorer.position, alert))

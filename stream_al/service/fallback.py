"""The lag fallback of one process: the scorer's self-training and budget pacing (``[lag]``).

Both need the learner in the same process: its labels calibrate the scorer's
confidence and measure the annotators' throughput. Self-training also needs
the queue, whose oldest waiting task is the lag. With the roles in separate
processes the fallback is off (and says so once at start).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from stream_al.clock import SystemClock

if TYPE_CHECKING:
    from stream_al.budget import Budget
    from stream_al.config import LagSettings
    from stream_al.service.learner import LearnerService
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
        self.pacer = settings.pacer(budget) if with_learner else None
        if not with_learner and (settings.self_training_enabled or settings.pace_budget):
            logger.info("lag fallback off: self-training and pacing need the learner in process")

    def lag(self) -> float:
        """Seconds the oldest task waiting for a label has waited (0 when none waits)."""
        queue = self.roles.queue
        oldest = queue.oldest_arrival() if queue is not None else None
        return 0.0 if oldest is None else max(0.0, SystemClock().now() - oldest)

    def labels_seen(self) -> int:
        """Human labels the learner of this process has learned."""
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

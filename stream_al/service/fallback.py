"""The lag fallback of one process: the scorer's self-training and budget pacing (``[lag]``).

Self-training needs the learner and the queue in the same process: the
learner's labels calibrate the scorer's confidence, the queue's oldest waiting
task is the lag. Pacing needs only the annotators' throughput: a scorer
beside the learner reads the learner's count, a scorer on its own counts the
labels topic (`LabelCounter`). Without the learner self-training is off (and
says so once at start).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stream_al.clock import SystemClock

if TYPE_CHECKING:
    from stream_al.budget import Budget
    from stream_al.config import LagSettings
    from stream_al.service.learner import LearnerService
    from stream_al.service.scorer import Scorer
    from stream_al.service.wiring import Roles
    from stream_al.transport.base import Record

__all__ = ["LabelCounter", "LagFallback", "calibrate_scorer"]

logger = logging.getLogger(__name__)


class LabelCounter:
    """Counts the labels produced on the labels topic since `since_ms` (epoch milliseconds).

    A scorer in a process of its own reads the labels topic only for this:
    labels given before it started are history, not throughput.

    >>> from stream_al.transport.base import Record
    >>> counter = LabelCounter(since_ms=1_000)
    >>> counter.handle([Record("labels", 0, i, None, b"{}", t) for i, t in enumerate((999, 1_000, 2_000))])
    >>> counter.count
    2
    """  # noqa: E501

    def __init__(self, since_ms: int) -> None:
        self.since_ms = since_ms
        self.count = 0

    def handle(self, records: Sequence[Record]) -> None:
        """Count the records produced since `since_ms`."""
        self.count += sum(1 for r in records if r.timestamp_ms >= self.since_ms)


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
    counter
        Without the learner: the labels topic's count, for the pacer (None: no pacing).
    """

    def __init__(
        self,
        settings: LagSettings,
        roles: Roles,
        budget: Budget,
        with_learner: bool,
        counter: LabelCounter | None = None,
    ) -> None:
        self.roles = roles
        self.counter = counter
        local = with_learner and roles.queue is not None
        self.self_training = settings.self_training() if local else None
        self.pacer = settings.pacer(budget) if with_learner or counter is not None else None
        if not with_learner and settings.self_training_enabled:
            logger.info("self-training off: it needs the learner and the queue in this process")

    def lag(self) -> float:
        """Seconds the oldest task waiting for a label has waited (0 when none waits)."""
        queue = self.roles.queue
        oldest = queue.oldest_arrival() if queue is not None else None
        return 0.0 if oldest is None else max(0.0, SystemClock().now() - oldest)

    def labels_seen(self) -> int:
        """Human labels the learner of this process has learned, or the labels topic counted."""
        learner = self.roles.learner
        if learner is not None:
            return learner.learner.labelled.n
        return self.counter.count if self.counter is not None else 0


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

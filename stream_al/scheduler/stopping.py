"""The stopping-criteria job: feed `StoppingCriteria` and keep its state in the store.

The criteria's state lives under the state key ``stopping``: it is restored
when the job is built, saved with every run, and saved when a drift alarm
resumes querying, so a restart neither forgets a pause nor revives one.

>>> from stream_al.store import MemoryStore
>>> store = MemoryStore()
>>> criteria = StoppingCriteria(max_labels=10)
>>> job = StoppingJob(criteria, store, spent=lambda: 12, estimate=lambda: None, interval=60.0)
>>> job.run(now=0.0)
{'paused': True, 'reason': 'label_cap'}
>>> again = StoppingCriteria(max_labels=10)
>>> _ = StoppingJob(again, store, spent=lambda: 0, estimate=lambda: None, interval=60.0)
>>> again.paused  # restored from the store
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stream_al.rules.stopping import StoppingCriteria
from stream_al.store.base import Store

__all__ = ["STOPPING_STATE", "StoppingJob"]

logger = logging.getLogger(__name__)

#: State key of the stopping criteria.
STOPPING_STATE = "stopping"


class StoppingJob:
    """Update the stopping criteria once a period and persist them.

    Parameters
    ----------
    criteria
        The criteria a `PausableRule` reads; restored from `store` here.
    store
        Where the criteria's state is kept.
    spent
        Labels spent in all, e.g. ``lambda: rule.budget.spent`` (a restored budget).
    estimate
        ``(labels, accuracy)`` of the unbiased estimate, or None when there is none yet.
    interval
        Seconds between two updates.
    name
        The job's name.
    """

    def __init__(
        self,
        criteria: StoppingCriteria,
        store: Store,
        spent: Callable[[], int],
        estimate: Callable[[], tuple[int, float] | None],
        interval: float,
        name: str = "stopping",
    ) -> None:
        self.criteria = criteria
        self.store = store
        self.spent = spent
        self.estimate = estimate
        self.interval = interval
        self.name = name
        saved = store.load_state(STOPPING_STATE)
        if saved is not None:
            criteria.restore(saved)
            logger.info("scheduler.stopping restored paused=%s", criteria.reason or "no")

    def run(self, now: float) -> dict[str, Any]:
        before = self.criteria.state()
        was = self.criteria.reason
        try:
            self.criteria.update(self.spent(), self.estimate())
            self.store.save_state(STOPPING_STATE, self.criteria.state())
        except BaseException:
            self.criteria.restore(before)  # the store rolls back: so does memory
            raise
        if self.criteria.reason != was:
            logger.info("scheduler.stopping paused=%s", self.criteria.reason or "no")
        return {"paused": self.criteria.paused, "reason": self.criteria.reason}

    def on_drift(self, alert: Any) -> None:
        """Resume querying on a drift alarm, durably (register on ``learner.on_alert``)."""
        was = self.criteria.paused
        self.criteria.on_drift(alert)
        self.store.save_state(STOPPING_STATE, self.criteria.state())
        if was and not self.criteria.paused:
            logger.info("scheduler.stopping resumed on drift")

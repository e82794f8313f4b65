"""Stopping criteria: when querying pauses, and the drift that resumes it.

Two reasons pause querying:

- **label cap**: `max_labels` labels have been spent in all (a hard cap, not
  a rate: the rate is the budget's job). Nothing is queried any more, not
  even the random share; a drift does not lift the cap, a larger cap does.
- **plateau**: the unbiased accuracy estimate gained less than `min_gain`
  over the last `window` snapshots, once it rests on `min_labels` labels.
  Uncertainty queries stop, but the rule's random share goes on, so the
  estimate keeps flowing and a labelled drift detector still sees errors.

A drift alarm resumes a plateau pause and forgets the plateau history.
`PausableRule` applies the criteria to any `DecisionRule`.

>>> criteria = StoppingCriteria(window=3, min_gain=0.01, min_labels=100)
>>> for n, accuracy in [(100, 0.80), (150, 0.85), (200, 0.852), (250, 0.853)]:
...     _ = criteria.update(spent=n, estimate=(n, accuracy))
>>> criteria.paused, criteria.reason
(True, 'plateau')
>>> criteria.on_drift(None)
>>> criteria.paused
False
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from stream_al.exceptions import ConfigError
from stream_al.rules.base import Decision, DecisionRule

__all__ = ["PausableRule", "StoppingCriteria"]


class StoppingCriteria:
    """Decides whether querying is paused: label cap spent, or accuracy plateau.

    Parameters
    ----------
    max_labels
        Labels that may be spent in all; None sets no cap.
    window
        Snapshots of the accuracy estimate compared for a plateau (at least
        2); None never pauses on a plateau.
    min_gain
        Least accuracy gain over `window` snapshots that keeps querying on.
    min_labels
        Labels the estimate must rest on before a plateau is judged.
    """

    def __init__(
        self,
        max_labels: int | None = None,
        window: int | None = 5,
        min_gain: float = 0.005,
        min_labels: int = 200,
    ) -> None:
        if max_labels is not None and max_labels < 0:
            raise ConfigError(f"max_labels must be >= 0 or None, got {max_labels}")
        if window is not None and window < 2:
            raise ConfigError(f"plateau window must be at least 2 snapshots, got {window}")
        if not min_gain >= 0.0:
            raise ConfigError(f"plateau min_gain must be >= 0, got {min_gain}")
        if min_labels < 0:
            raise ConfigError(f"plateau min_labels must be >= 0, got {min_labels}")
        self.max_labels = max_labels
        self.window = window
        self.min_gain = float(min_gain)
        self.min_labels = min_labels
        self.spent = 0
        self.plateaued = False
        self._history: deque[tuple[int, float]] = deque(maxlen=window or 1)

    @property
    def capped(self) -> bool:
        """Whether the label cap is spent."""
        return self.max_labels is not None and self.spent >= self.max_labels

    @property
    def paused(self) -> bool:
        """Whether uncertainty queries are paused (for either reason)."""
        return self.capped or self.plateaued

    @property
    def reason(self) -> str | None:
        """``"label_cap"``, ``"plateau"``, or None while querying."""
        return "label_cap" if self.capped else "plateau" if self.plateaued else None

    def update(self, spent: int, estimate: tuple[int, float] | None = None) -> bool:
        """Take the labels spent in all and, optionally, an accuracy snapshot.

        `spent` counts over the service's whole life (a restored budget's
        `spent`); a smaller number than seen before is ignored. `estimate` is
        ``(labels it rests on, unbiased accuracy)``; a snapshot without new
        labels since the last one tells nothing and is skipped. Returns `paused`.
        """
        self.spent = max(self.spent, int(spent))
        if estimate is not None and self.window is not None and not self.plateaued:
            n, accuracy = int(estimate[0]), float(estimate[1])
            if n >= self.min_labels and (not self._history or n > self._history[-1][0]):
                self._history.append((n, accuracy))
                self.plateaued = len(self._history) == self.window and self._gain() < self.min_gain
        return self.paused

    def _gain(self) -> float:
        """Best later accuracy over the first of the window (noise errs towards querying)."""
        first = self._history[0][1]
        return max(accuracy for _, accuracy in list(self._history)[1:]) - first

    def on_drift(self, alert: Any) -> None:
        """A drift alarm resumes a plateau pause (alerts of another kind are ignored)."""
        if getattr(alert, "kind", "drift") == "drift":
            self.plateaued = False
            self._history.clear()

    def state(self) -> dict[str, Any]:
        """Everything needed to resume after a restart (JSON-ready)."""
        return {
            "spent": self.spent,
            "plateaued": self.plateaued,
            "history": [list(pair) for pair in self._history],
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Resume from `state()`; the cap is judged against the current `max_labels`."""
        self.spent = int(state["spent"])
        self.plateaued = bool(state["plateaued"]) and self.window is not None
        self._history.clear()
        self._history.extend((int(n), float(a)) for n, a in state["history"])


class PausableRule(DecisionRule):
    """A decision rule whose uncertainty queries pause as `criteria` say.

    It shares the wrapped rule's budget, strategy and random generator, so it
    decides exactly as that rule does while querying. On a plateau only the
    random share (decisions flagged ``random``) is still queried; on a spent
    label cap nothing is. The cap is checked at every decision against the
    budget's `spent`, so it is never overshot between two scheduled updates.

    Parameters
    ----------
    rule
        The rule to pause.
    criteria
        When to pause; updated elsewhere (e.g. by a scheduled job).

    Examples
    --------
    >>> from stream_al.budget import Budget
    >>> from stream_al.rules.auto import Auto
    >>> from stream_al.strategies.base import Scored
    >>> criteria = StoppingCriteria(window=2, min_gain=0.01, min_labels=0)
    >>> rule = PausableRule(Auto(Budget(0.2), seed=0), criteria)
    >>> p = np.random.default_rng(0).uniform(0.5, 1.0, 3000)
    >>> batch = Scored(items=[None] * 3000, proba=np.c_[p, 1 - p], classes=[0, 1])
    >>> for n in (100, 200):
    ...     _ = criteria.update(spent=0, estimate=(n, 0.9))
    >>> decisions = list(rule.decide(batch))
    >>> queried = [d for d in decisions if d.query]
    >>> 0 < len(queried) < 60 and all(d.random for d in queried)
    True
    >>> sum(d.reason == "paused_plateau" for d in decisions) > 300
    True
    """

    def __init__(self, rule: DecisionRule, criteria: StoppingCriteria) -> None:
        self.rule = rule
        self.criteria = criteria
        self.name = rule.name
        self.budget = rule.budget
        self.strategy = rule.strategy
        self.rng: np.random.Generator = rule.rng

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        decision = self.rule._decide_one(score, proba)
        criteria = self.criteria
        if criteria.max_labels is not None:
            criteria.update(self.budget.spent)
        if not decision.query or not criteria.paused or (decision.random and not criteria.capped):
            return decision
        reason = f"paused_{criteria.reason}"
        return Decision(
            False, decision.score, decision.threshold, reason, False, decision.components
        )

    def on_drift(self, alert: Any) -> None:
        """Resume a plateau pause, and pass the alarm to the wrapped rule."""
        self.criteria.on_drift(alert)
        self.rule.on_drift(alert)

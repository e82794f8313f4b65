"""Self-training on confident pseudo-labels while human labels lag.

When annotators fall behind, the model's newest human knowledge grows stale.
`SelfTraining` then lets the model learn from its own most confident
predictions, with four guards against teaching itself its own mistakes:

1. **Calibrated threshold.** An item is pseudo-labelled only if its
   confidence is above the cut at which recent human labels show the model
   right at least `precision` of the time (`ConfidenceCalibrator.threshold`);
   with too few labels to tell, nothing is pseudo-labelled.
2. **Class-balance guard.** A class may take at most `class_slack` times its
   share among recent human labels of the recent pseudo-labels, so a model
   sure of one class cannot flood itself with it (class-balanced self-training,
   Zou et al., ECCV 2018).
3. **Lower weight, capped rate.** Pseudo-labels are learnt with `weight`
   (below a human label's 1) and at most `max_rate` per item of the stream.
4. **Off after a drift.** A drift alarm switches self-training off for
   `drift_pause` items and forgets the calibration, since the old
   reliability no longer holds. By default any alarm counts, label-free
   warnings included: while labels lag, the label-free detectors are the only
   ones that see a change in time (a labelled detector hears of it a whole
   lag later).

It only runs while the lag (items since the newest human-labelled item) is at
least `min_lag`. Pseudo-labels never feed accuracy estimates or drift
detectors, and are counted apart (`count`, `by_class`).

>>> import numpy as np
>>> st = SelfTraining(precision=0.9, min_lag=100, min_support=20, max_rate=1.0)
>>> for i in range(200):  # human labels: right whenever the model was sure
...     st.on_label(confidence=0.99 if i % 2 else 0.6, correct=i % 2 == 1 or i % 4 == 0,
...                 label="a" if i % 3 else "b")
>>> proba = np.array([[0.99, 0.01], [0.6, 0.4], [0.01, 0.99]])
>>> st.select(position=1000, lag=50, proba=proba, classes=["a", "b"])  # labels keep up: off
[]
>>> st.select(position=1000, lag=500, proba=proba, classes=["a", "b"])
[(0, 'a'), (2, 'b')]
>>> st.on_drift(position=1000)
>>> st.select(position=1500, lag=500, proba=proba, classes=["a", "b"])
[]
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from stream_al.exceptions import ConfigError
from stream_al.items import Label
from stream_al.lag.calibration import ConfidenceCalibrator

__all__ = ["SelfTraining"]


class SelfTraining:
    """Chooses which scored items the model may learn from its own prediction.

    Parameters
    ----------
    precision
        Share of pseudo-labels that should be right, judged on recent human
        labels (the threshold's target).
    weight
        Learning weight of a pseudo-label (a human label weighs 1).
    max_rate
        Most pseudo-labels per item of the stream (a token bucket).
    class_slack
        A class may take at most this multiple of its human-label share of
        the recent pseudo-labels.
    min_lag
        Lag from which self-training runs, in the unit the caller measures
        lag in: items since the newest human-labelled item in a simulation,
        seconds the oldest waiting task has waited in the service.
    drift_pause
        Items after a drift alarm during which nothing is pseudo-labelled.
    window
        Recent human labels behind the calibration and the class shares, and
        recent pseudo-labels behind the class guard.
    min_support
        Fewest human labels above the threshold before it is trusted.
    pause_on
        Alarm severities that pause self-training.
    """

    def __init__(
        self,
        precision: float = 0.9,
        weight: float = 0.5,
        max_rate: float = 0.5,
        class_slack: float = 1.5,
        min_lag: float = 1000,
        drift_pause: int = 1000,
        window: int = 1000,
        min_support: int = 20,
        pause_on: Sequence[str] = ("warning", "critical"),
    ) -> None:
        if not 0.5 <= precision < 1.0:
            raise ConfigError(f"self-training precision must be in [0.5, 1), got {precision}")
        if not 0.0 < weight <= 1.0:
            raise ConfigError(f"pseudo-label weight must be in (0, 1], got {weight}")
        if not 0.0 < max_rate <= 1.0:
            raise ConfigError(f"pseudo-label max_rate must be in (0, 1], got {max_rate}")
        if class_slack < 1.0:
            raise ConfigError(f"class_slack must be >= 1, got {class_slack}")
        if min_lag < 0 or drift_pause < 0:
            raise ConfigError("min_lag and drift_pause must be >= 0 items")
        self.precision = precision
        self.weight = weight
        self.max_rate = max_rate
        self.class_slack = class_slack
        self.min_lag = min_lag
        self.drift_pause = drift_pause
        self.pause_on = frozenset(pause_on)
        self.calibrator = ConfidenceCalibrator(window=window, min_support=min_support)
        self._human = _Window(window)
        self._pseudo = _Window(window)
        self._paused_until = -1
        self._tokens = 1.0
        self._position = 0
        #: Pseudo-labels handed out so far, in all and by class.
        self.count = 0
        self.by_class: Counter[Label] = Counter()

    # -- what it learns from -----------------------------------------------------------
    def on_label(self, confidence: float, correct: bool, label: Label) -> None:
        """A human label tested the model: its confidence then, and whether it was right."""
        self.calibrator.update(confidence, correct)
        self._human.add(label)

    def on_drift(self, position: int, alert: Any = None) -> None:
        """A drift alarm at `position`: pause, and forget the calibration."""
        severity = getattr(alert, "severity", "critical")
        if severity not in self.pause_on:
            return
        self._paused_until = position + self.drift_pause
        self.calibrator.reset()

    # -- deciding ------------------------------------------------------------------------
    def paused(self, position: int) -> bool:
        """Whether a recent drift keeps self-training off at `position`."""
        return position < self._paused_until

    def select(
        self, position: int, lag: float, proba: np.ndarray, classes: Sequence[Label]
    ) -> list[tuple[int, Label]]:
        """Rows of a scored batch to learn as pseudo-labels, with their labels.

        `position` is the stream position of the batch's first row, `lag` the
        items since the newest human-labelled item. Rows are taken in order.
        """
        n = len(proba)
        self._refill(position + n)
        if lag < self.min_lag or self.paused(position) or len(classes) < 2 or n == 0:
            return []
        threshold = self.calibrator.threshold(self.precision)
        if threshold is None:
            return []
        confidence = proba.max(axis=1)
        best = proba.argmax(axis=1)
        chosen: list[tuple[int, Label]] = []
        for row in np.flatnonzero(confidence >= threshold):
            if self._tokens < 1.0:
                break
            label = classes[int(best[row])]
            if not self._balanced(label, len(classes)):
                continue
            self._tokens -= 1.0
            self._record(label)
            chosen.append((int(row), label))
        return chosen

    # -- helpers -------------------------------------------------------------------------
    def _refill(self, position: int) -> None:
        """Add `max_rate` tokens per item since the last call; few are carried over."""
        gained = max(0, position - self._position) * self.max_rate
        carried = min(self._tokens, max(1.0, 10 * self.max_rate))
        self._tokens = carried + gained
        self._position = max(self._position, position)

    def _balanced(self, label: Label, k: int) -> bool:
        """Whether one more pseudo-label of `label` keeps within its class share."""
        human, pseudo = self._human, self._pseudo
        prior = (human.counts[label] + 1) / (len(human) + k)
        share = (pseudo.counts[label] + 1) / (len(pseudo) + k)
        return share <= self.class_slack * prior

    def _record(self, label: Label) -> None:
        self._pseudo.add(label)
        self.count += 1
        self.by_class[label] += 1


class _Window:
    """The last `size` labels, with their counts kept up to date."""

    def __init__(self, size: int) -> None:
        self._labels: deque[Label] = deque(maxlen=size)
        self.counts: Counter[Label] = Counter()

    def __len__(self) -> int:
        return len(self._labels)

    def add(self, label: Label) -> None:
        labels = self._labels
        if len(labels) == labels.maxlen:
            self.counts[labels[0]] -= 1
        labels.append(label)
        self.counts[label] += 1

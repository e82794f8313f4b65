"""The drift monitor: detectors on both streams, alerts with cooldown, reactions.

Two detectors run side by side. The labelled one sees the 0/1 error of each
labelled item (late, sparse, but the truth); the label-free one sees the
uncertainty of every scored item (early, plentiful, but only a hint). When one
fires, the monitor resets it, turns the detection into a `DriftAlert` unless an
alert of the same source was raised less than `cooldown_items` items ago,
keeps it in a bounded history and calls the registered reactions.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from stream_al.clock import Clock, SystemClock
from stream_al.drift.alerts import AlertSource, DriftAlert, Severity
from stream_al.drift.base import DriftDetector
from stream_al.drift.registry import LABEL_FREE_DETECTORS, LABELLED_DETECTORS, make_detector
from stream_al.exceptions import DriftError

__all__ = ["DriftMonitor"]

logger = logging.getLogger(__name__)

#: Severity by source: labels confirm a drift, uncertainty only suggests one.
SEVERITY: dict[AlertSource, Severity] = {"labelled": "critical", "label_free": "warning"}


class DriftMonitor:
    """Watches the error stream and the uncertainty stream; raises deduplicated alerts.

    Parameters
    ----------
    labelled
        Detector of the labelled error stream: a name from
        `LABELLED_DETECTORS` (built with our defaults) or a `DriftDetector`.
    label_free
        Detector of every item's uncertainty: a name from
        `LABEL_FREE_DETECTORS`, a `DriftDetector`, or None to skip it.
    cooldown_items
        After an alert, detections of the same source within this many items
        are counted in `n_suppressed` but raise no alert. 1000 items is about
        one re-arm of the label-free detector (its reference is 1000 items).
    clock
        Where alert times come from; the system clock by default.
    history
        How many alerts `alerts` keeps (the oldest are dropped).

    Attributes
    ----------
    on_alert
        Reactions, called in order with each alert raised (e.g. a budget
        boost, a queue re-score). An exception in one propagates to the
        caller of `update_error` / `update_score`; the alert is already
        recorded by then.
    alerts
        The most recent alerts, oldest first.
    n_suppressed
        Detections swallowed by the cooldown.

    Examples
    --------
    >>> import numpy as np
    >>> from stream_al.clock import FakeClock
    >>> rng = np.random.default_rng(3)
    >>> monitor = DriftMonitor(labelled="adwin", clock=FakeClock(start=50.0))
    >>> boosts = []
    >>> monitor.on_alert.append(boosts.append)
    >>> for position in range(6000):
    ...     shifted = position >= 3000
    ...     _ = monitor.update_score(position, rng.beta(5, 2) if shifted else rng.beta(2, 5))
    ...     if position % 10 == 0:  # one item in ten gets a label
    ...         _ = monitor.update_error(position, rng.random() < (0.5 if shifted else 0.1))
    >>> [(a.source, a.severity, a.position) for a in monitor.alerts]
    [('label_free', 'warning', 3149), ('labelled', 'critical', 3520)]
    >>> monitor.drift_positions
    [3149, 3520]
    >>> len(boosts)
    2
    """

    def __init__(
        self,
        labelled: str | DriftDetector = "adwin",
        label_free: str | DriftDetector | None = "uncertainty_ks",
        cooldown_items: int = 1000,
        clock: Clock | None = None,
        history: int = 1000,
    ) -> None:
        if cooldown_items < 0:
            raise DriftError(f"cooldown_items must be >= 0, got {cooldown_items}")
        if history < 1:
            raise DriftError(f"history must be at least 1, got {history}")
        self.labelled = _resolve(labelled, LABELLED_DETECTORS, "labelled")
        self.label_free = (
            None if label_free is None else _resolve(label_free, LABEL_FREE_DETECTORS, "label_free")
        )
        self.cooldown_items = cooldown_items
        self.clock: Clock = clock or SystemClock()
        self.on_alert: list[Callable[[DriftAlert], None]] = []
        self.alerts: deque[DriftAlert] = deque(maxlen=history)
        self.n_suppressed = 0
        self._last_alert_at: dict[AlertSource, int] = {}

    def update_error(self, position: int, error: bool) -> DriftAlert | None:
        """Feed whether the model was wrong on a labelled item.

        Parameters
        ----------
        position
            The current item count of the stream (where the monitor is now,
            not where the labelled item was), so both sources share one axis.
        error
            True when the prediction made before learning the label was wrong.

        Returns
        -------
        The alert raised, or None.
        """
        detector = self.labelled
        detector.update(1.0 if error else 0.0)
        if not detector.drift_detected:
            return None
        return self._detected(detector, "labelled", position)

    def update_score(self, position: int, uncertainty: float) -> DriftAlert | None:
        """Feed the uncertainty of one scored item (every item, in stream order).

        Returns
        -------
        The alert raised, or None (always None without a label-free detector).
        """
        detector = self.label_free
        if detector is None:
            return None
        detector.update(uncertainty)
        if not detector.drift_detected:
            return None
        return self._detected(detector, "label_free", position)

    def rebase_label_free(self) -> None:
        """Start a new uncertainty reference, e.g. after swapping in a new model.

        A new model has a new uncertainty distribution; without a rebase the
        label-free detector would report the swap itself as a drift.
        """
        if self.label_free is not None:
            self.label_free.reset()

    @property
    def drift_positions(self) -> list[int]:
        """Positions of the drift alerts in the history, oldest first."""
        return [alert.position for alert in self.alerts if alert.kind == "drift"]

    @property
    def last_alert(self) -> DriftAlert | None:
        """The most recent alert, if any."""
        return self.alerts[-1] if self.alerts else None

    def _detected(
        self, detector: DriftDetector, source: AlertSource, position: int
    ) -> DriftAlert | None:
        statistic = detector.statistic
        detector.reset()
        last = self._last_alert_at.get(source)
        if last is not None and position - last < self.cooldown_items:
            self.n_suppressed += 1
            logger.debug(
                "drift suppressed source=%s detector=%s position=%d last_alert=%d",
                source,
                detector.name,
                position,
                last,
            )
            return None
        self._last_alert_at[source] = position
        alert = DriftAlert(
            kind="drift",
            severity=SEVERITY[source],
            detector=detector.name,
            source=source,
            statistic=statistic,
            position=position,
            time=self.clock.now(),
            message=_message(detector, source, position, statistic),
        )
        self.alerts.append(alert)
        logger.warning(
            "drift alert source=%s detector=%s severity=%s position=%d statistic=%.4g",
            source,
            alert.detector,
            alert.severity,
            position,
            statistic,
        )
        for reaction in self.on_alert:
            reaction(alert)
        return alert


def _resolve(detector: str | DriftDetector, names: tuple[str, ...], role: str) -> DriftDetector:
    if isinstance(detector, DriftDetector):
        return detector
    if not isinstance(detector, str) or detector not in names:
        raise DriftError(
            f"{role} drift detector must be one of {', '.join(names)} "
            f"or a DriftDetector instance, got {detector!r}"
        )
    return make_detector(detector)


def _message(detector: DriftDetector, source: AlertSource, position: int, statistic: float) -> str:
    watched = "error rate of labelled items" if source == "labelled" else "uncertainty distribution"
    return (
        f"{detector.name} detected a drift in the {watched} at item {position} "
        f"({detector.statistic_name} {statistic:.3g})"
    )

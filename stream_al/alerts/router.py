"""`AlertRouter`: one alert in, every configured sink out, repeats held back.

An alert repeats another when kind, detector and source are the same and it
comes within the cooldown of its kind since the last one sent; it is then
suppressed and counted. A repeat that is *more* severe than the alert that
opened the window (a warning growing critical) is sent, and opens a new window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import get_args

from stream_al.alerts.base import AlertSink
from stream_al.clock import Clock, SystemClock
from stream_al.drift.alerts import AlertKind, AlertSource, DriftAlert, Severity
from stream_al.exceptions import AlertError

__all__ = ["DEFAULT_COOLDOWN_S", "AlertRouter"]

logger = logging.getLogger(__name__)

#: Cooldown of a kind that a per-kind mapping leaves out, in seconds.
DEFAULT_COOLDOWN_S = 300.0
_KINDS: tuple[AlertKind, ...] = get_args(AlertKind)
_RANK: dict[Severity, int] = {"warning": 0, "critical": 1}

_Key = tuple[AlertKind, str, AlertSource]


class AlertRouter:
    """Send each alert to every sink, once per cooldown window.

    Parameters
    ----------
    sinks
        Where alerts go; one failing (raising) does not stop the others.
    cooldown_s
        Seconds during which a repeat is suppressed: one value for every kind,
        or one per kind (kinds left out get `DEFAULT_COOLDOWN_S`).
    clock
        The time of the cooldowns (injected in tests).

    Examples
    --------
    >>> from stream_al.clock import FakeClock
    >>> class Collect:
    ...     name = "collect"
    ...     def __init__(self): self.alerts = []
    ...     def send(self, alert): self.alerts.append(alert)
    ...     def close(self, timeout=None): pass
    >>> sink, clock = Collect(), FakeClock()
    >>> router = AlertRouter([sink], cooldown_s={"drift": 60.0}, clock=clock)
    >>> alert = DriftAlert(kind="drift", severity="warning", detector="adwin", source="labelled",
    ...                    statistic=0.3, position=100, time=0.0, message="error rate rose")
    >>> router.emit(alert), router.emit(alert)
    (True, False)
    >>> clock.advance(60.0); router.emit(alert)
    True
    >>> len(sink.alerts), router.stats()["suppressed"]
    (2, {'drift': 1, 'label_lag': 0, 'stream_failure': 0})
    """

    def __init__(
        self,
        sinks: Sequence[AlertSink],
        cooldown_s: Mapping[AlertKind, float] | float = DEFAULT_COOLDOWN_S,
        clock: Clock | None = None,
    ) -> None:
        self.sinks: tuple[AlertSink, ...] = tuple(sinks)
        self.cooldown_s = _cooldowns(cooldown_s)
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._last: dict[_Key, tuple[float, Severity]] = {}
        self._sent: dict[str, int] = dict.fromkeys(_KINDS, 0)
        self._suppressed: dict[str, int] = dict.fromkeys(_KINDS, 0)
        self._sink_errors: dict[str, int] = {sink.name: 0 for sink in self.sinks}

    def emit(self, alert: DriftAlert) -> bool:
        """Send `alert` to every sink; False if it was a repeat or no sink took it.

        Never raises because of a sink: a sink's error is logged and counted.
        A window opens only when at least one sink took the alert, so an alert
        no sink could take is tried again at its next occurrence.
        """
        key: _Key = (alert.kind, alert.detector, alert.source)
        with self._lock:
            now = self._clock.now()
            if self._repeats(key, alert.severity, now):
                self._suppressed[alert.kind] += 1
                logger.debug(
                    "alert suppressed kind=%s detector=%s source=%s position=%d",
                    alert.kind,
                    alert.detector,
                    alert.source,
                    alert.position,
                )
                return False
            taken = sum(self._deliver(sink, alert) for sink in self.sinks)
            if taken:
                self._last[key] = (now, alert.severity)
                self._sent[alert.kind] += 1
            return taken > 0

    def stats(self) -> dict[str, dict[str, int]]:
        """Counters for metrics: alerts sent and suppressed per kind, errors per sink."""
        with self._lock:
            return {
                "sent": dict(self._sent),
                "suppressed": dict(self._suppressed),
                "sink_errors": dict(self._sink_errors),
            }

    def close(self, timeout: float | None = None) -> None:
        """Close every sink, each given up to `timeout` seconds to deliver what it holds."""
        for sink in self.sinks:
            try:
                sink.close(timeout)
            except Exception:
                logger.error("alert sink close failed sink=%s", sink.name, exc_info=True)

    def _repeats(self, key: _Key, severity: Severity, now: float) -> bool:
        last = self._last.get(key)
        if last is None:
            return False
        at, opened_by = last
        return now - at < self.cooldown_s[key[0]] and _RANK[severity] <= _RANK[opened_by]

    def _deliver(self, sink: AlertSink, alert: DriftAlert) -> bool:
        try:
            sink.send(alert)
        except Exception:
            self._sink_errors[sink.name] = self._sink_errors.get(sink.name, 0) + 1
            logger.error(
                "alert sink failed sink=%s kind=%s detector=%s source=%s position=%d",
                sink.name,
                alert.kind,
                alert.detector,
                alert.source,
                alert.position,
                exc_info=True,
            )
            return False
        return True


def _cooldowns(cooldown_s: Mapping[AlertKind, float] | float) -> dict[AlertKind, float]:
    """One cooldown per kind, checked: known kinds, finite values >= 0."""
    if isinstance(cooldown_s, Mapping):
        unknown = sorted(set(cooldown_s) - set(_KINDS))
        if unknown:
            raise AlertError(f"cooldown_s names unknown alert kinds {unknown}; use {_KINDS}")
        values = {kind: float(cooldown_s.get(kind, DEFAULT_COOLDOWN_S)) for kind in _KINDS}
    else:
        values = dict.fromkeys(_KINDS, float(cooldown_s))
    for kind, seconds in values.items():
        if not 0.0 <= seconds < float("inf"):
            raise AlertError(f"cooldown_s of {kind!r} must be finite and >= 0, got {seconds}")
    return values

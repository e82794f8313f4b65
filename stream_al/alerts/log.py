"""`LogSink`: alerts as log lines, WARNING or CRITICAL by severity."""

from __future__ import annotations

import logging
import math

from stream_al.drift.alerts import DriftAlert

__all__ = ["LogSink"]

_LEVELS = {"warning": logging.WARNING, "critical": logging.CRITICAL}


class LogSink:
    """Write each alert as one structured log line.

    Parameters
    ----------
    log
        The logger to write to (this module's by default).

    Examples
    --------
    >>> import logging, sys
    >>> log = logging.getLogger("example.alerts")
    >>> log.propagate = False
    >>> log.addHandler(logging.StreamHandler(sys.stdout))
    >>> LogSink(log).send(DriftAlert(kind="drift", severity="critical", detector="adwin",
    ...     source="labelled", statistic=0.42, position=1040, time=12.5, message="error rate rose"))
    alert kind=drift severity=critical detector=adwin source=labelled statistic=0.42
    position=1040 time=12.500 message='error rate rose'
    """

    name = "log"

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._log = log or logging.getLogger(__name__)

    def send(self, alert: DriftAlert) -> None:
        """Log `alert` at WARNING (severity warning) or CRITICAL (severity critical)."""
        statistic = f"{alert.statistic:.4g}" if math.isfinite(alert.statistic) else "nan"
        self._log.log(
            _LEVELS[alert.severity],
            "alert kind=%s severity=%s detector=%s source=%s statistic=%s "
            "position=%d time=%.3f message=%r",
            alert.kind,
            alert.severity,
            alert.detector,
            alert.source,
            statistic,
            alert.position,
            alert.time,
            alert.message,
        )

    def close(self, timeout: float | None = None) -> None:
        """Nothing to release."""

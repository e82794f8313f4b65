"""The contract of an alert sink: `AlertSink`, where the router delivers alerts.

A sink is one destination (the log, a webhook, the alerts topic). `send` must
return quickly: the router calls it on the scoring loop's thread, so a sink
that talks to the network hands the work to a thread of its own. A sink may
raise; the router logs it and carries on with the other sinks.

>>> from stream_al.drift.alerts import DriftAlert
>>> class Collect:
...     name = "collect"
...     def __init__(self) -> None:
...         self.alerts: list[DriftAlert] = []
...     def send(self, alert: DriftAlert) -> None:
...         self.alerts.append(alert)
...     def close(self, timeout: float | None = None) -> None:
...         pass
>>> sink: AlertSink = Collect()
>>> sink.send(DriftAlert(kind="drift", severity="warning", detector="adwin", source="labelled",
...                      statistic=0.1, position=5, time=0.0, message="error rate rose"))
>>> len(sink.alerts)
1
"""

from __future__ import annotations

from typing import Protocol

from stream_al.drift.alerts import DriftAlert

__all__ = ["AlertSink"]


class AlertSink(Protocol):
    """One destination of alerts."""

    #: A short name for logs and statistics (``"log"``, ``"webhook"``, ``"topic"``).
    name: str

    def send(self, alert: DriftAlert) -> None:
        """Deliver `alert`, or hand it to a background worker; never block for long."""
        ...

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is pending within `timeout` seconds (None: the sink's own bound)."""
        ...

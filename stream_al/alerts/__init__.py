"""Alerting: drift and labeling-lag alerts, deduplicated, sent to the configured sinks.

`AlertRouter` takes each `DriftAlert` (drift monitor, `LagWatch`), holds back
repeats within a cooldown per kind, and hands the rest to every sink: the log
(`LogSink`), a Slack-compatible webhook (`WebhookSink`, never blocking the
caller) and the alerts topic (`TopicSink`). `build_router` assembles it from
the ``[alerts]`` settings.

>>> from stream_al.clock import FakeClock
>>> from stream_al.transport.memory import MemoryBroker
>>> broker = MemoryBroker()
>>> router = build_router(AlertSettings(sinks=["topic"]), broker.producer(), "stream-al.alerts",
...                       clock=FakeClock())
>>> alert = LagWatch(limit_items=100).check(oldest_waiting_age_s=60.0, waiting_items=150,
...                                        position=4000, now=0.0)
>>> router.emit(alert), router.emit(alert)
(True, False)
>>> [record.key for record in broker.read("stream-al.alerts")]
[b'label_lag']
"""

from stream_al.alerts.base import AlertSink
from stream_al.alerts.delivery import Attempt, post_once, retry_after_s, slack_body
from stream_al.alerts.factory import build_lag_watch, build_router
from stream_al.alerts.lag import LagWatch
from stream_al.alerts.log import LogSink
from stream_al.alerts.router import DEFAULT_COOLDOWN_S, AlertRouter
from stream_al.alerts.topic import TopicSink, encode_alert
from stream_al.alerts.webhook import WebhookSink
from stream_al.config.alerts import AlertSettings

__all__ = [
    "DEFAULT_COOLDOWN_S",
    "AlertRouter",
    "AlertSettings",
    "AlertSink",
    "Attempt",
    "LagWatch",
    "LogSink",
    "TopicSink",
    "WebhookSink",
    "build_lag_watch",
    "build_router",
    "encode_alert",
    "post_once",
    "retry_after_s",
    "slack_body",
]

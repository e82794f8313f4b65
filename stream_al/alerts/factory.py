"""Build the alerting of the service from its ``[alerts]`` settings."""

from __future__ import annotations

from stream_al.alerts.base import AlertSink
from stream_al.alerts.lag import LagWatch
from stream_al.alerts.log import LogSink
from stream_al.alerts.router import AlertRouter
from stream_al.alerts.topic import TopicSink
from stream_al.alerts.webhook import WebhookSink
from stream_al.clock import Clock
from stream_al.config.alerts import AlertSettings
from stream_al.exceptions import AlertError
from stream_al.transport.base import Producer

__all__ = ["build_lag_watch", "build_router"]


def build_router(
    settings: AlertSettings,
    producer: Producer | None,
    topic: str,
    clock: Clock | None = None,
) -> AlertRouter:
    """An `AlertRouter` with the sinks `settings` name, in their order.

    Parameters
    ----------
    settings
        The ``[alerts]`` section.
    producer
        The service's producer, for the ``topic`` sink (it flushes it, not the sink).
    topic
        The alerts topic (``KafkaSettings.topic("alerts")``).
    clock
        The time of the cooldowns (the system clock by default).

    Examples
    --------
    >>> from stream_al.transport.memory import MemoryBroker
    >>> router = build_router(AlertSettings(), MemoryBroker().producer(), "stream-al.alerts")
    >>> [sink.name for sink in router.sinks], router.cooldown_s["drift"]
    (['log', 'topic'], 300.0)
    """
    sinks: list[AlertSink] = []
    for name in settings.sinks:
        if name == "log":
            sinks.append(LogSink())
        elif name == "topic":
            if producer is None:
                raise AlertError('the "topic" alert sink needs a producer; pass the service\'s')
            sinks.append(TopicSink(producer, topic))
        else:
            sinks.append(_webhook(settings))
    return AlertRouter(sinks, cooldown_s=settings.cooldown_s, clock=clock)


def build_lag_watch(settings: AlertSettings) -> LagWatch:
    """The `LagWatch` with the limits of `settings` (both None: it never fires).

    >>> build_lag_watch(AlertSettings(lag_items="none")).limit_items is None
    True
    """
    return LagWatch(limit_items=settings.lag_items, limit_seconds=settings.lag_seconds)


def _webhook(settings: AlertSettings) -> WebhookSink:
    if settings.webhook_url is None:  # the settings' validator already refuses this
        raise AlertError('the "webhook" alert sink needs alerts.webhook_url; set it')
    return WebhookSink(
        settings.webhook_url.get_secret_value(),
        timeout_s=settings.webhook_timeout_s,
        retries=settings.webhook_retries,
        backoff_s=settings.webhook_backoff_s,
        max_pending=settings.webhook_max_pending,
    )

"""AlertSettings (defaults, text forms, the webhook rule, no leaked URL) and build_router."""

from __future__ import annotations

from typing import get_args, get_origin

import pytest
from alert_support import Receiver, make_alert, wait_until
from pydantic import BaseModel, ValidationError

import stream_al.alerts
from stream_al.alerts import (
    AlertSettings,
    LogSink,
    TopicSink,
    WebhookSink,
    build_lag_watch,
    build_router,
)
from stream_al.clock import FakeClock
from stream_al.config.explain import explain
from stream_al.drift.alerts import AlertKind
from stream_al.exceptions import AlertError
from stream_al.transport.memory import MemoryBroker

TOKEN = "T0/B0/do-not-leak"


class Root(BaseModel):
    """Stands in for `Settings` until the section is wired in."""

    alerts: AlertSettings


def error_of(**alerts: object) -> str:
    with pytest.raises(ValidationError) as info:
        Root(alerts=alerts)
    return explain(info.value, Root, "stream-al.toml", environ={})


def test_defaults() -> None:
    settings = AlertSettings()
    assert settings.sinks == ["log", "topic"]
    assert settings.cooldown_s == {"drift": 300.0, "label_lag": 300.0, "stream_failure": 300.0}
    assert (settings.lag_items, settings.lag_seconds) == (5000, 3600.0)
    assert settings.webhook_url is None


def test_values_from_text_as_the_environment_gives_them() -> None:
    settings = AlertSettings.model_validate(
        {
            "sinks": "log,webhook",
            "webhook_url": f"https://hooks.example.com/{TOKEN}",
            "cooldown_s": '{"drift": 600, "label_lag": 900}',
            "lag_items": "off",
            "lag_seconds": "120",
        }
    )
    assert settings.sinks == ["log", "webhook"]
    assert settings.cooldown_s == {"drift": 600.0, "label_lag": 900.0, "stream_failure": 300.0}
    assert (settings.lag_items, settings.lag_seconds) == (None, 120.0)
    assert TOKEN not in repr(settings)
    assert AlertSettings(cooldown_s="45").cooldown_s == dict.fromkeys(
        ("drift", "label_lag", "stream_failure"), 45.0
    )
    assert AlertSettings(cooldown_s='{"drift": 5}').cooldown_s["label_lag"] == 300.0


def test_a_webhook_sink_without_url_names_the_field_and_the_fix() -> None:
    message = error_of(sinks=["log", "webhook"])
    assert message == (
        'alerts.webhook_url: is required when sinks includes "webhook" (or remove "webhook" '
        "from sinks); set it in stream-al.toml or STREAM_AL_ALERTS__WEBHOOK_URL"
    )


def test_a_bad_webhook_url_is_reported_without_repeating_it() -> None:
    message = error_of(sinks=["webhook"], webhook_url=f"hooks.example.com/{TOKEN}")
    assert message.startswith("alerts.webhook_url: must start with http:// or https://")
    assert TOKEN not in message


@pytest.mark.parametrize(
    ("alerts", "field"),
    [
        ({"sinks": ["log", "pager"]}, "alerts.sinks"),
        ({"sinks": "log,log"}, "alerts.sinks"),
        ({"cooldown_s": {"flood": 10}}, "alerts.cooldown_s.flood: must be one of"),
        ({"cooldown_s": -1}, "alerts.cooldown_s.drift: must be ≥ 0"),
        ({"cooldown_s": "{drift: 1}"}, "alerts.cooldown_s: expecting property name"),
        ({"webhook_retries": -1}, "alerts.webhook_retries"),
        ({"lag_items": 0}, "alerts.lag_items"),
    ],
)
def test_bad_values_name_their_field(alerts: dict[str, object], field: str) -> None:
    assert error_of(**alerts).startswith(field), error_of(**alerts)


def test_the_cooldown_table_takes_exactly_the_alert_kinds() -> None:
    annotation = AlertSettings.model_fields["cooldown_s"].annotation
    assert get_origin(annotation) is dict
    assert set(get_args(get_args(annotation)[0])) == set(get_args(AlertKind))


def test_build_router_makes_the_named_sinks_in_order(receiver: Receiver) -> None:
    settings = AlertSettings(
        sinks=["webhook", "topic", "log"],
        webhook_url=receiver.url,
        webhook_backoff_s=0.01,
        cooldown_s={"drift": 30.0},
    )
    broker = MemoryBroker()
    router = build_router(settings, broker.producer(), "stream-al.alerts", clock=FakeClock())
    try:
        assert [type(sink) for sink in router.sinks] == [WebhookSink, TopicSink, LogSink]
        assert router.cooldown_s["drift"] == 30.0
        assert router.emit(make_alert()) is True
        webhook = router.sinks[0]
        assert wait_until(lambda: isinstance(webhook, WebhookSink) and webhook.sent == 1)
        assert len(broker.read("stream-al.alerts")) == 1
    finally:
        router.close(timeout=1.0)


def test_the_topic_sink_needs_a_producer() -> None:
    with pytest.raises(AlertError, match="producer"):
        build_router(AlertSettings(sinks=["topic"]), None, "stream-al.alerts")


def test_build_lag_watch_takes_the_limits() -> None:
    watch = build_lag_watch(AlertSettings(lag_items=10, lag_seconds="none"))
    assert (watch.limit_items, watch.limit_seconds) == (10, None)


def test_exports_resolve() -> None:
    for name in stream_al.alerts.__all__:
        assert getattr(stream_al.alerts, name) is not None

"""Configuration: one TOML file validated by pydantic, overridable by ``STREAM_AL_*``.

Read it once, at start, with `load_settings`; pass the frozen `Settings` (or
its sections) to what needs them. See `stream_al.config.settings` for the
precedence of sources and `examples/stream-al.toml` for every key.

>>> settings = load_settings(None)
>>> settings.queue.capacity, settings.store.synchronous
(1000, 'full')
"""

from stream_al.config.alerts import AlertSettings
from stream_al.config.kafka import (
    TOPICS,
    KafkaSettings,
    SaslMechanism,
    SecurityProtocol,
    TopicName,
)
from stream_al.config.lag import LagSettings
from stream_al.config.scheduler import SchedulerSettings
from stream_al.config.sections import (
    ApiSettings,
    DriftSettings,
    FieldMap,
    ModelSettings,
    QueueSettings,
    ScorerSettings,
    StoreSettings,
    StrategySettings,
)
from stream_al.config.settings import Settings, load_settings

__all__ = [
    "TOPICS",
    "AlertSettings",
    "ApiSettings",
    "DriftSettings",
    "FieldMap",
    "KafkaSettings",
    "LagSettings",
    "ModelSettings",
    "QueueSettings",
    "SaslMechanism",
    "SchedulerSettings",
    "ScorerSettings",
    "SecurityProtocol",
    "Settings",
    "StoreSettings",
    "StrategySettings",
    "TopicName",
    "load_settings",
]

"""The ``[alerts]`` section: where alerts go, how often a repeat may go, when lag alerts.

>>> AlertSettings().sinks, AlertSettings(cooldown_s=60).cooldown_s
(['log', 'topic'], {'drift': 60.0, 'label_lag': 60.0, 'stream_failure': 60.0})
>>> AlertSettings(cooldown_s={"label_lag": 900}).cooldown_s
{'drift': 300.0, 'label_lag': 900.0, 'stream_failure': 300.0}
>>> AlertSettings(sinks="log, webhook", webhook_url="https://hooks.example.com/x").webhook_url
SecretStr('**********')
>>> AlertSettings(lag_items="none").lag_items is None
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import NoDecode

from stream_al.config._types import Section, none_word, split_list

__all__ = ["AlertSettings", "CooldownKind", "SinkName"]

_NoneWord = BeforeValidator(none_word)

#: The alert sinks: the service log, a webhook (Slack-compatible), the alerts topic.
SinkName = Literal["log", "webhook", "topic"]
#: The alert kinds (those of `stream_al.drift.alerts.AlertKind`), each with its cooldown.
CooldownKind = Literal["drift", "label_lag", "stream_failure"]
_KINDS: tuple[CooldownKind, ...] = get_args(CooldownKind)
_DEFAULT_COOLDOWN_S = 300.0
_DEFAULT_SINKS: list[SinkName] = ["log", "topic"]
_Seconds = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class AlertSettings(Section):
    """Alerts: sinks, cooldown, and the limits of the labeling-lag alert.

    Parameters
    ----------
    sinks
        Where alerts go, any of ``log``, ``webhook``, ``topic`` (``"log,topic"``
        from the environment); an empty list sends them nowhere.
    webhook_url
        The webhook's URL, required when ``webhook`` is a sink; a secret, since
        such URLs usually hold a token.
    webhook_timeout_s
        Timeout of one webhook request.
    webhook_retries
        Tries after the first before an alert is given up.
    webhook_backoff_s
        First delay between webhook tries; doubles each retry.
    webhook_max_pending
        Alerts waiting for the webhook; beyond, the oldest is dropped.
    cooldown_s
        Seconds during which a repeat of an alert (same kind, detector, source)
        is held back, per kind: one value for all, or a table (``{drift = 600,
        label_lag = 900, stream_failure = 60}``; a kind left out gets 300).
    lag_items
        A labeling-lag alert when more tasks wait for a label; ``"none"``: no limit.
    lag_seconds
        A labeling-lag alert when the oldest task has waited longer; ``"none"``: no limit.
    """

    sinks: Annotated[list[SinkName], NoDecode, BeforeValidator(split_list)] = Field(
        default_factory=lambda: _DEFAULT_SINKS.copy()
    )
    webhook_url: Annotated[SecretStr | None, _NoneWord] = None
    webhook_timeout_s: float = Field(5.0, gt=0.0, allow_inf_nan=False)
    webhook_retries: int = Field(5, ge=0)
    webhook_backoff_s: float = Field(0.5, gt=0.0, le=60.0)
    webhook_max_pending: int = Field(1000, ge=1)
    cooldown_s: dict[CooldownKind, _Seconds] = Field(
        default_factory=lambda: dict.fromkeys(_KINDS, _DEFAULT_COOLDOWN_S)
    )
    lag_items: Annotated[Annotated[int, Field(ge=1)] | None, _NoneWord] = 5000
    lag_seconds: Annotated[Annotated[float, Field(gt=0.0)] | None, _NoneWord] = 3600.0

    @field_validator("sinks")
    @classmethod
    def _distinct(cls, value: list[SinkName]) -> list[SinkName]:
        if len(set(value)) < len(value):
            raise ValueError(f"lists a sink twice: {value}; name each once")
        return value

    @field_validator("cooldown_s", mode="before")
    @classmethod
    def _per_kind(cls, value: Any) -> Any:
        """One value for every kind, or a (JSON) table filled up with the default."""
        if isinstance(value, str) and value.strip().startswith("{"):
            value = json.loads(value)  # a JSONDecodeError is a ValueError: reported on the field
        if isinstance(value, Mapping):
            return {**dict.fromkeys(_KINDS, _DEFAULT_COOLDOWN_S), **value}
        return dict.fromkeys(_KINDS, value)

    @model_validator(mode="after")
    def _webhook(self) -> AlertSettings:
        url = self.webhook_url.get_secret_value() if self.webhook_url is not None else None
        if "webhook" in self.sinks and not url:
            raise _field_error(
                "webhook_url",
                'is required when sinks includes "webhook" (or remove "webhook" from sinks)',
            )
        if url and not url.lower().startswith(("http://", "https://")):
            # the URL itself is never repeated: it usually holds a token
            raise _field_error("webhook_url", "must start with http:// or https://")
        return self


def _field_error(name: str, message: str) -> PydanticCustomError:
    """An error reported on the field `name` (see `stream_al.config.explain`)."""
    return PydanticCustomError("config_field", message, {"field": name})

"""`Settings`: one TOML file, overridden by ``STREAM_AL_*`` environment variables.

Precedence, highest first: keyword arguments given to `Settings` in code,
environment variables (``STREAM_AL_`` prefix, ``__`` between nested names:
``STREAM_AL_STRATEGY__BUDGET=0.1``), the TOML file, the defaults. An empty
file (or none at all) is a working configuration: the embedded transport and
a ``stream-al.db`` store in the working directory.

`load_settings` is the one place settings are read; every error it raises is
a `ConfigError` naming the field path and where to fix it. Secrets are
`SecretStr`: they show as ``'**********'`` in ``repr``, ``str`` and logs, and
validation errors never repeat them.

>>> settings = load_settings(None)
>>> settings.strategy.budget, settings.kafka.embedded, settings.kafka.topic("labels")
(0.05, True, 'stream-al.labels')
"""

from __future__ import annotations

import logging
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from stream_al.config.alerts import AlertSettings
from stream_al.config.explain import ENV_PREFIX, explain
from stream_al.config.kafka import KafkaSettings
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
from stream_al.exceptions import ConfigError

__all__ = ["Settings", "load_settings"]

logger = logging.getLogger(__name__)

#: The parsed TOML file while `load_settings` builds a `Settings`.
_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("_FILE_DATA", default=None)


class _TomlData(PydanticBaseSettingsSource):
    """The settings source of the file `load_settings` read (below the environment)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        data = _FILE_DATA.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_DATA.get() or {})


class Settings(BaseSettings):
    """Every setting of the service, validated once at start, then read-only.

    Parameters
    ----------
    kafka
        Brokers, topics, consumer group, security (`KafkaSettings`).
    fields
        Which event fields hold the id, time, features, text, label (`FieldMap`).
    model, strategy, queue, drift, store, scorer, api
        The other sections; see their classes.

    Examples
    --------
    >>> settings = Settings(strategy={"budget": 0.2})
    >>> settings.strategy.budget, settings.queue.capacity
    (0.2, 1000)
    >>> settings.strategy.budget = 0.5
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for StrategySettings
    ...
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        env_parse_none_str="null",
        frozen=True,
        extra="forbid",
    )

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    fields: FieldMap = Field(default_factory=FieldMap)
    model: ModelSettings = Field(default_factory=ModelSettings)
    strategy: StrategySettings = Field(default_factory=StrategySettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    scorer: ScorerSettings = Field(default_factory=ScorerSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    lag: LagSettings = Field(default_factory=LagSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Code, then environment, then the TOML file (no dotenv, no secrets dir)."""
        return init_settings, env_settings, _TomlData(settings_cls)

    def redacted(self) -> dict[str, Any]:
        """Every setting as JSON types, secrets masked: safe to log or display."""
        return self.model_dump(mode="json")


def load_settings(path: Path | str | None = None) -> Settings:
    """Read the TOML file at `path` (None: defaults only) and the environment.

    Raises
    ------
    ConfigError
        The file is missing, unreadable or not TOML, or a value is invalid;
        the message names the file or each bad field path.
    """
    data = _read_toml(Path(path)) if path is not None else {}
    token = _FILE_DATA.set(data)
    try:
        settings = Settings()
    except ValidationError as error:
        # `from None`: pydantic's own message may quote secret inputs
        message = explain(error, Settings, path, os.environ)
        raise ConfigError(f"invalid configuration:\n{message}") from None
    except SettingsError as error:
        raise ConfigError(
            f"an environment variable {ENV_PREFIX}* could not be parsed ({error}); "
            'give lists and tables as JSON, e.g. \'["a", "b"]\' or \'{"key": 1}\''
        ) from None
    finally:
        _FILE_DATA.reset(token)
    kafka = settings.kafka
    logger.info(
        "config.loaded path=%s transport=%s security=%s store=%s",
        path if path is not None else "(defaults)",
        "embedded" if kafka.embedded else ",".join(kafka.bootstrap_servers),
        kafka.security_protocol,
        settings.store.path,
    )
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(
            f"config file {path} not found; give the path of a TOML file "
            "(see examples/stream-al.toml), or none to use the defaults"
        )
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}; fix it") from None
    except OSError as error:
        raise ConfigError(f"config file {path} cannot be read: {error.strerror}") from None

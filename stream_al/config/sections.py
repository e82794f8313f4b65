"""The sections of the config file other than ``[kafka]``, each with working defaults.

Names of models, strategies and drift detectors are checked against the
registries, so a typo fails at start rather than at the first item.

>>> StrategySettings(budget=0.1).budget
0.1
>>> QueueSettings(item_ttl_s="none").item_ttl_s is None
True
>>> FieldMap(features="price, day").features
['price', 'day']
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator

from stream_al.config._types import Section, StrList, none_word, split_list

__all__ = [
    "ApiSettings",
    "DriftSettings",
    "FieldMap",
    "ModelSettings",
    "QueueSettings",
    "ScorerSettings",
    "StoreSettings",
    "StrategySettings",
]

_NoneWord = BeforeValidator(none_word)


def _known(name: str, known: tuple[str, ...] | list[str], what: str) -> str:
    if name not in known:
        raise ValueError(f"unknown {what} {name!r}; choose one of: {', '.join(known)}")
    return name


class FieldMap(Section):
    """Which fields of an input event hold the id, the time, the features, the text.

    Parameters
    ----------
    id
        The stable item id (the dedupe key).
    time
        The event time (epoch seconds); None uses the arrival time.
    features
        The feature fields, or ``"*"`` for every field not named elsewhere here.
    text
        A free-text field, if any.
    label
        The true label of events that carry one (replayed labelled data): its
        values become classes, unless ``[model] classes`` names them; None for
        live streams.
    """

    id: str = Field("id", min_length=1)
    time: str | None = None
    features: list[str] | Literal["*"] = "*"
    text: str | None = None
    label: str | None = None

    @field_validator("features", mode="before")
    @classmethod
    def _features(cls, value: Any) -> Any:
        return value if value == "*" else split_list(value)

    @model_validator(mode="after")
    def _distinct(self) -> FieldMap:
        named = [n for n in (self.id, self.time, self.text, self.label) if n is not None]
        if len(set(named)) < len(named):
            raise ValueError(f"id, time, text and label must be different fields, got {named}")
        if self.features != "*":
            if not self.features:
                raise ValueError('features is empty; list feature fields, or "*" for all')
            if len(set(self.features)) < len(self.features):
                raise ValueError(f"features lists a field twice: {self.features}")
            clash = sorted(set(self.features) & set(named))
            if clash:
                raise ValueError(f"features includes {clash}, already used as id/time/text/label")
        return self


class ModelSettings(Section):
    """The incremental classifier.

    Parameters
    ----------
    name
        A model of `stream_al.model.factory.MODELS` (``logreg`` by default).
    classes
        The labels, when known in advance (at least two). None: a replayed
        file's header, the events' ``[fields] label`` or an admin
        (``POST /v1/classes``) gives them; never the first answers.
    """

    name: str = "logreg"
    classes: Annotated[StrList | None, _NoneWord] = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        from stream_al.model.factory import MODELS

        return _known(value, list(MODELS), "model")

    @field_validator("classes")
    @classmethod
    def _classes(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (len(value) < 2 or len(set(value)) < len(value)):
            raise ValueError(f"classes must be at least two distinct labels, got {value}")
        return value


class StrategySettings(Section):
    """The query strategy and the label budget.

    Parameters
    ----------
    name
        A rule of `stream_al.rules.RULES` (``auto`` by default).
    budget
        Share of the stream that may go to annotators, in (0, 1].
    seed
        Seed of the rule's random choices.
    """

    name: str = "auto"
    budget: float = Field(0.05, gt=0.0, le=1.0)
    seed: int = Field(0, ge=0)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        from stream_al.rules import RULES

        return _known(value, list(RULES), "strategy")


class QueueSettings(Section):
    """The annotation queue (see `stream_al.queue.AnnotationQueue`).

    Parameters
    ----------
    capacity
        Most tasks held, queued and leased together.
    half_life_s
        Seconds for a task's priority to halve.
    lease_ttl_s
        Seconds an annotator holds a task.
    item_ttl_s
        Seconds after arrival when a task is dropped; ``"none"`` keeps tasks.
    on_full
        ``evict_lowest`` or ``reject_new``.
    max_skips
        Skips after which a task is dropped; ``"none"`` never drops.
    remember
        Finished ids remembered to refuse duplicates.
    overlap
        Share of the tasks given to two annotators, to measure their agreement
        (Cohen's kappa); a conflict holds the labels back from training until a
        third label or an admin decides.
    diversity
        Highest cosine similarity between two tasks of one lease of several
        (`stream_al.queue.diversity`): a candidate closer than this to a task
        the lease already picked waits for the next lease. 1.0 (the default)
        turns it off; 0.9 keeps near-duplicate texts apart. Items without text
        are never held back.
    diversity_embedder
        How item texts become vectors for `diversity`: ``hashing`` (word
        n-grams, pure numpy) or ``minilm`` (sentence embeddings; needs the
        ``text`` extra).
    """

    capacity: int = Field(1000, ge=1)
    half_life_s: float = Field(3600.0, gt=0.0)
    lease_ttl_s: float = Field(600.0, gt=0.0)
    item_ttl_s: Annotated[Annotated[float, Field(gt=0.0)] | None, _NoneWord] = 86_400.0
    on_full: Literal["evict_lowest", "reject_new"] = "evict_lowest"
    max_skips: Annotated[Annotated[int, Field(ge=1)] | None, _NoneWord] = 3
    remember: int = Field(10_000, ge=0)
    overlap: float = Field(0.0, ge=0.0, le=1.0)
    diversity: float = Field(1.0, gt=0.0, le=1.0)
    diversity_embedder: Literal["hashing", "minilm"] = "hashing"


class DriftSettings(Section):
    """Drift detectors (names of `stream_al.drift.registry`) and the alert cooldown.

    Parameters
    ----------
    labelled
        Detector on the error stream of labelled items.
    label_free
        Detector on every item's uncertainty; ``"none"`` for none.
    cooldown_items
        Items after an alert during which the same source raises no other.
    """

    labelled: str = "adwin"
    label_free: Annotated[str | None, _NoneWord] = "uncertainty_ks"
    cooldown_items: int = Field(1000, ge=0)

    @field_validator("labelled")
    @classmethod
    def _labelled(cls, value: str) -> str:
        from stream_al.drift.registry import LABELLED_DETECTORS

        return _known(value, LABELLED_DETECTORS, "labelled drift detector")

    @field_validator("label_free")
    @classmethod
    def _label_free(cls, value: str | None) -> str | None:
        from stream_al.drift.registry import LABEL_FREE_DETECTORS

        return None if value is None else _known(value, LABEL_FREE_DETECTORS, "label-free detector")


class StoreSettings(Section):
    """The SQLite store (see `stream_al.store`).

    Parameters
    ----------
    path
        The database file (relative to the working directory); ``":memory:"``
        keeps everything in memory (embedded mode, tests).
    synchronous
        ``full``: a commit survives a power cut (the default: offsets are
        committed right after); ``normal``: survives a crash of the process only.
    busy_timeout_s
        How long a writer waits for another process's write lock.
    seen_keep_last
        How many processed item ids to keep for deduplicating replays; ``"none"`` keeps all.
    queue_history
        Finished queue tasks kept (recent duplicates are refused).
    """

    path: Path = Path("stream-al.db")
    synchronous: Literal["full", "normal"] = "full"
    busy_timeout_s: float = Field(30.0, gt=0.0)
    seen_keep_last: Annotated[Annotated[int, Field(ge=1)] | None, _NoneWord] = 1_000_000
    queue_history: int = Field(10_000, ge=0)

    @field_validator("synchronous", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class ScorerSettings(Section):
    """The scorer loop.

    Parameters
    ----------
    batch_size
        Most items scored (and committed) together.
    publish_predictions
        Whether every prediction goes to the predictions topic.
    poll_timeout_ms
        How long one poll of the input topic waits.
    max_batch_failures
        Failed attempts in a row at one batch (of any role: events, labels,
        candidates) before its records are tried one by one and those that
        still fail are dead-lettered with the error, so the stream goes on.
        Attempts are spaced by a backoff (0.5 s doubling: the default gives up
        on a batch after about 8 s). Failures of the store or the broker are
        retried for as long as they last instead.
    """

    batch_size: int = Field(500, ge=1)
    publish_predictions: bool = True
    poll_timeout_ms: int = Field(1000, ge=0)
    max_batch_failures: int = Field(5, ge=1)


class ApiSettings(Section):
    """The annotation API, served by `stream-al run` and `stream-al queue`.

    Parameters
    ----------
    enabled
        Whether a process holding the queue serves the API.
    host, port
        Where it listens; port 0 picks a free port (logged at start).
    token
        An optional admin bearer token (set it from the environment,
        ``STREAM_AL_API__TOKEN``); it acts as the admin `token_name`, so a
        deployment can start before any annotator is registered. Annotators
        get their own tokens from `stream-al annotators add`. ``"none"``: no
        such token.
    token_name
        The name the `token` acts as (labels are attributed to it).
    max_body_bytes
        Largest request body; a larger one is refused with 413.
    allow_new_classes
        Whether a label outside the known classes is taken and held until an
        admin accepts its class (learned only then), or refused with 422.
    publish_timeout_s
        How long a label submission waits for the broker to take the labels.
    cost_per_label, cost_unit
        What one human label costs, and in what unit (the operator dashboard's
        cost per accuracy point gained).
    max_leased_per_annotator
        Most tasks one annotator may hold leased at once: a lease asking for
        more gets what fits, one that fits none is refused (409
        ``lease_limit``), so no annotator can take the whole queue.
    signin_failures, signin_window_s
        Failed sign-ins (no token, an unknown or a revoked one) one client
        address may make within `signin_window_s` seconds; past them its
        requests carrying a token are answered 429 until the window ends,
        without the token being checked. Tokens are 256 random bits, so this
        is not about guessing odds but about log lines and load: 20 a minute
        is far more than a person mistyping makes, and bounds the log to 20
        lines a minute per address. Every client behind one reverse proxy
        shares one address unless `trusted_proxies` names the proxy.
    signin_clients
        Most client addresses whose failures are remembered (the oldest are
        forgotten first), so memory stays bounded.
    trusted_proxies
        Addresses or networks (``"10.0.0.0/8"``) of reverse proxies whose
        ``X-Forwarded-For`` names the client; empty (the default): the header
        is ignored, the client is the TCP peer.
    metrics_token
        A bearer token ``GET /metrics`` requires when set (best from the
        environment, ``STREAM_AL_API__METRICS_TOKEN``); ``"none"`` (the
        default): ``/metrics`` needs no token.
    """

    enabled: bool = True
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=0, le=65_535)
    token: Annotated[SecretStr | None, _NoneWord] = None
    token_name: str = Field("admin", pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
    max_body_bytes: int = Field(1_048_576, ge=1024)
    allow_new_classes: bool = False
    publish_timeout_s: float = Field(10.0, gt=0.0)
    cost_per_label: float = Field(1.0, ge=0.0, allow_inf_nan=False)
    cost_unit: str = Field("USD", max_length=16)
    max_leased_per_annotator: int = Field(20, ge=1)
    signin_failures: int = Field(20, ge=1)
    signin_window_s: float = Field(60.0, gt=0.0, allow_inf_nan=False)
    signin_clients: int = Field(10_000, ge=1)
    trusted_proxies: StrList = Field(default_factory=list)
    metrics_token: Annotated[SecretStr | None, _NoneWord] = None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network "
                    '(e.g. "127.0.0.1" or "10.0.0.0/8")'
                ) from None
        return value

"""The settings of `stream-al demo`, checked once before anything runs.

Times are in *simulated* seconds: items arrive at `rate` per simulated second
on a `FakeClock`, so a run takes as long as the computation, not the story.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl

from stream_al.datasets.synthetic import PREFIX
from stream_al.exceptions import ConfigError

__all__ = [
    "ACCURACY_WINDOW",
    "DEFAULT_DATA",
    "DEFAULT_SYNTH_ITEMS",
    "LAG_WINDOW",
    "UNBIASED_WINDOW",
    "DemoConfig",
]

#: The default stream: Agrawal loan applications, three abrupt changes between
#: classification functions a Hoeffding tree learns from a few hundred labels.
DEFAULT_DATA = "synth:agrawal?drifts=3&concepts=0,7,4,9"
#: Length of a synthetic stream whose address does not say (``n=``) and no ``--items``.
DEFAULT_SYNTH_ITEMS = 60_000
#: Items behind the recent accuracy.
ACCURACY_WINDOW = 1000
#: Random-share labels behind the unbiased accuracy estimate.
UNBIASED_WINDOW = 100
#: Labels behind the recent label lag.
LAG_WINDOW = 100


@dataclass(frozen=True)
class DemoConfig:
    """Everything one demo run depends on (with the seed, the run is deterministic).

    Parameters
    ----------
    data
        What `open_stream` reads: a file or a ``synth:NAME[?...]`` address.
    items
        Stream length. A synthetic address without ``n=`` is generated this long
        (so its drift positions scale with it); a file is cut after this many.
    rate
        Items arriving per simulated second.
    budget
        Share of items the rule may send to annotators.
    strategy, model, drift
        Names for `make_rule`, `make_model` and the labelled drift detector.
    queue_capacity
        Most tasks the annotation queue holds (queued and leased).
    half_life
        Simulated seconds for a queued task's priority to halve.
    item_ttl
        Simulated seconds after arrival when a queued task expires (None: never).
    lease_ttl
        Simulated seconds an annotator may hold a task (None: 3 × `label_delay`,
        at least 60).
    annotators
        Number of simulated annotators.
    annotator_speed
        Tasks each annotator takes per simulated second.
    label_delay
        Mean simulated seconds between taking a task and returning its label.
    pass_share
        Share of leases given back unlabelled (half released, half skipped).
    seed
        Seed of the stream, the model, the rule and the annotators.
    chunk
        Most items scored in one call to the model.

    Examples
    --------
    >>> config = DemoConfig(items=4000, annotators=2)
    >>> config.source, config.lease_seconds
    ('synth:agrawal?drifts=3&concepts=0,7,4,9&n=4000', 180.0)
    >>> DemoConfig(rate=0)
    Traceback (most recent call last):
    ...
    stream_al.exceptions.ConfigError: demo rate must be a positive number of items per second, ...
    """

    data: str = DEFAULT_DATA
    items: int | None = None
    rate: float = 10.0
    budget: float = 0.05
    strategy: str = "auto"
    model: str = "hoeffding_tree"
    drift: str = "adwin"
    queue_capacity: int = 200
    half_life: float = 300.0
    item_ttl: float | None = 1200.0
    lease_ttl: float | None = None
    annotators: int = 3
    annotator_speed: float = 0.12
    label_delay: float = 60.0
    pass_share: float = 0.04
    seed: int = 0
    chunk: int = 8

    def __post_init__(self) -> None:
        _positive("rate", self.rate, "items per second")
        _positive("half_life", self.half_life, "seconds")
        _positive("annotator_speed", self.annotator_speed, "tasks per second")
        if self.item_ttl is not None:
            _positive("item_ttl", self.item_ttl, "seconds")
        if self.lease_ttl is not None:
            _positive("lease_ttl", self.lease_ttl, "seconds")
        if not (math.isfinite(self.label_delay) and self.label_delay >= 0):
            raise ConfigError(f"demo label_delay must be >= 0 seconds, got {self.label_delay}")
        if not 0.0 < self.budget <= 1.0:
            raise ConfigError(f"demo budget must be a fraction in (0, 1], got {self.budget}")
        if not 0.0 <= self.pass_share < 1.0:
            raise ConfigError(f"demo pass_share must be in [0, 1), got {self.pass_share}")
        for name in ("queue_capacity", "annotators", "chunk"):
            if getattr(self, name) < 1:
                raise ConfigError(f"demo {name} must be at least 1, got {getattr(self, name)}")
        if self.items is not None and self.items < 1:
            raise ConfigError(f"demo items must be at least 1, got {self.items}")

    @property
    def synthetic(self) -> bool:
        """Whether `data` names a synthetic generator."""
        return self.data.lower().startswith(PREFIX)

    @property
    def source(self) -> str:
        """The address given to `open_stream`: a synthetic one gets ``n=`` if it lacks it."""
        if not self.synthetic:
            return self.data
        _, _, query = self.data.partition("?")
        if any(key == "n" for key, _ in parse_qsl(query, keep_blank_values=True)):
            return self.data
        n = self.items if self.items is not None else DEFAULT_SYNTH_ITEMS
        return f"{self.data}{'&' if query else '?'}n={n}"

    @property
    def limit(self) -> int | None:
        """The `limit` given to `open_stream`."""
        return self.items

    @property
    def lease_seconds(self) -> float:
        """The lease time-to-live actually used."""
        if self.lease_ttl is not None:
            return float(self.lease_ttl)
        return max(60.0, 3.0 * self.label_delay)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON types, with the derived source and lease TTL."""
        return {**asdict(self), "source": self.source, "lease_ttl": self.lease_seconds}


def _positive(name: str, value: float, unit: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"demo {name} must be a positive number of {unit}, got {value}")

"""Replay one of river's drifting generators (``synth:NAME``) into a topic.

A thin layer over `producers.replay.replay`: it builds the ``synth:`` address
from keyword parameters and logs where the concept drifts are, before and as
they are sent, so a run's alerts can be checked against the truth.

>>> from stream_al.transport.memory import MemoryBroker
>>> broker = MemoryBroker()
>>> synthetic_address("sea", n=1000, params={"position": "300,700", "noise": 0.0})
'synth:sea?n=1000&position=300%2C700&noise=0.0'
>>> replay_synthetic("stagger", broker.producer(), "events", n=100, params={"position": 40})
100
>>> drift_positions("synth:stagger?n=100&position=40")
[40]
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from producers.replay import replay
from stream_al.datasets import open_stream
from stream_al.transport.base import Producer
from stream_al.transport.codec import FieldMap

__all__ = ["drift_positions", "replay_synthetic", "synthetic_address"]

Params = Mapping[str, str | int | float]


def synthetic_address(name: str, n: int = 20_000, params: Params | None = None) -> str:
    """The ``synth:`` address of generator `name` with `n` items and extra parameters."""
    return f"synth:{name}?" + urlencode({"n": n, **(params or {})})


def drift_positions(address: str, seed: int = 0) -> list[int]:
    """Positions where the synthetic stream at `address` changes concept (none for gradual ones)."""
    return list(open_stream(address, seed=seed).info.drifts)


def replay_synthetic(
    name: str,
    producer: Producer,
    topic: str,
    n: int = 20_000,
    params: Params | None = None,
    seed: int = 0,
    rate: float | None = None,
    include_label: bool = False,
    field_map: FieldMap | None = None,
    id_prefix: str = "",
) -> int:
    """Send `n` items of generator `name` (see `stream_al.datasets.SYNTHETIC`) to `topic`."""
    address = synthetic_address(name, n, params)
    return replay(
        address,
        producer,
        topic,
        rate=rate,
        field_map=field_map,
        include_label=include_label,
        seed=seed,
        id_prefix=id_prefix,
    )

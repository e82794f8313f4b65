"""River's synthetic generators as drifting streams: ``synth:NAME[?key=value&...]``.

SEA, Agrawal and STAGGER switch between concepts (classification functions)
at known positions; the switch is abrupt (``width=1``) or a sigmoid
transition ``width`` items wide, as in MOA's ConceptDriftStream. Hyperplane
and RandomRBFDrift drift a little at every item, so they report no positions.
Labels are strings (``str(y)``), feature names too (``x0``, ``x1``, ... for
river's integer keys).

Parameters, as ``key=value`` after the ``?``:

- every stream: ``n`` (20000 items), ``seed`` (overrides the `seed` argument);
- sea, agrawal, stagger: ``drifts`` (1, evenly spaced), ``position`` (comma-separated
  item indexes, overrides ``drifts``), ``width`` (1: abrupt), ``concepts`` (the
  variant or function after each drift, e.g. ``0,1,2,3``); sea also ``noise`` (0.1),
  agrawal ``perturbation`` (0.0);
- hyperplane: ``n_features``, ``n_drift_features``, ``mag_change`` (0.001),
  ``noise_percentage``, ``sigma``;
- rbf: ``n_classes``, ``n_features``, ``n_centroids``, ``change_speed`` (0.001),
  ``n_drift_centroids``.

>>> stream = open_synthetic("synth:sea?n=1000&width=1", seed=42)
>>> stream.info.drifts, stream.info.classes, stream.info.n_items
([500], ['False', 'True'], 1000)
>>> first = next(iter(stream))
>>> sorted(first.item.features), first.label in stream.info.classes
(['x0', 'x1', 'x2'], True)
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl

from river.datasets import synth

from stream_al.datasets.base import FeatureKind, Stream, StreamInfo
from stream_al.exceptions import DataError
from stream_al.items import Example, Features, Item

__all__ = ["SYNTHETIC", "concept_sequence", "open_synthetic"]

logger = logging.getLogger(__name__)

PREFIX = "synth:"
_Pairs = Iterator[tuple[dict[Any, Any], Any]]
_Params = dict[str, int | float | str]
_COMMON: _Params = {"n": 20_000, "seed": 0}
_SWITCHING: _Params = {"drifts": 1, "position": "", "width": 1}
_Builder = Callable[[_Params, int], tuple[_Pairs, list[int]]]


def concept_sequence(
    concepts: Sequence[_Pairs], positions: list[int], width: int, rng: random.Random
) -> _Pairs:
    """Draw from ``concepts[k]`` after the k-th drift, with sigmoid transitions `width` items wide.

    Before drift ``j`` at position ``p`` the chance of the new concept at item
    ``t`` is ``1 / (1 + exp(-4 (t - p) / width))``; ``width <= 1`` switches at ``p`` exactly.
    """
    t = 0
    while True:
        u = rng.random()
        k = sum(1 for p in positions if u < _switched(t, p, width))
        yield next(concepts[k % len(concepts)])
        t += 1


def _switched(t: int, position: int, width: int) -> float:
    if width <= 1:
        return 1.0 if t >= position else 0.0
    return 0.5 * (1.0 + math.tanh(2.0 * (t - position) / width))  # the sigmoid, overflow-free


@dataclass(frozen=True)
class _Generator:
    description: str
    params: _Params
    build: _Builder
    classes: Callable[[_Params], list[str]]
    categorical: frozenset[str] = frozenset()


def _positions(params: _Params) -> list[int]:
    n, drifts, position = int(params["n"]), int(params["drifts"]), str(params["position"])
    if position:
        return sorted(int(p) for p in position.split(","))
    return [n * (j + 1) // (drifts + 1) for j in range(drifts)]


def _switching(make: Callable[[_Params, int, int], Any]) -> _Builder:
    """A builder switching between ``make(params, concept, seed)`` streams, one per concept."""

    def build(params: _Params, seed: int) -> tuple[_Pairs, list[int]]:
        positions = _positions(params)
        codes = [int(c) for c in str(params["concepts"]).split(",")]
        streams = [iter(make(params, code, seed + 1 + k)) for k, code in enumerate(codes)]
        rng = random.Random(seed)
        return concept_sequence(streams, positions, int(params["width"]), rng), positions

    return build


def _hyperplane(p: _Params, seed: int) -> tuple[_Pairs, list[int]]:
    generator = synth.Hyperplane(
        seed=seed,
        n_features=int(p["n_features"]),
        n_drift_features=int(p["n_drift_features"]),
        mag_change=float(p["mag_change"]),
        noise_percentage=float(p["noise_percentage"]),
        sigma=float(p["sigma"]),
    )
    return iter(generator), []


def _rbf(p: _Params, seed: int) -> tuple[_Pairs, list[int]]:
    generator = synth.RandomRBFDrift(
        seed_model=seed,
        seed_sample=seed + 1,
        n_classes=int(p["n_classes"]),
        n_features=int(p["n_features"]),
        n_centroids=int(p["n_centroids"]),
        change_speed=float(p["change_speed"]),
        n_drift_centroids=int(p["n_drift_centroids"]),
    )
    return iter(generator), []


def _binary(_: _Params) -> list[str]:
    return ["0", "1"]


_GENERATORS: dict[str, _Generator] = {
    "sea": _Generator(
        "SEA concepts: 3 numeric features, 2 classes, 10% label noise; abrupt drifts between "
        "thresholds (concepts = SEA variants 0-3, drifts evenly spaced or at position=)",
        {"noise": 0.1, "concepts": "0,1,2,3", **_SWITCHING},
        _switching(lambda p, v, seed: synth.SEA(variant=v, noise=float(p["noise"]), seed=seed)),
        lambda _: ["False", "True"],
    ),
    "agrawal": _Generator(
        "Agrawal loan applications: 9 features, 2 classes; drifts between classification "
        "functions (concepts = functions 0-9)",
        {"perturbation": 0.0, "concepts": "0,2,5,8", **_SWITCHING},
        _switching(
            lambda p, f, seed: synth.Agrawal(f, seed=seed, perturbation=float(p["perturbation"]))
        ),
        _binary,
    ),
    "stagger": _Generator(
        "STAGGER: 3 categorical features, 2 classes; drifts between the 3 concepts",
        {"concepts": "0,1,2", **_SWITCHING},
        _switching(lambda _, f, seed: synth.STAGGER(f, seed=seed)),
        _binary,
        frozenset({"size", "color", "shape"}),
    ),
    "hyperplane": _Generator(
        "Rotating hyperplane: 10 numeric features, 2 classes; gradual drift at every item "
        "(mag_change), no single drift position",
        {
            "n_features": 10,
            "n_drift_features": 2,
            "mag_change": 0.001,
            "noise_percentage": 0.05,
            "sigma": 0.1,
        },
        _hyperplane,
        _binary,
    ),
    "rbf": _Generator(
        "Random RBF with moving centroids: 10 numeric features, 2 classes; gradual drift at "
        "every item (change_speed), no single drift position",
        {
            "n_classes": 2,
            "n_features": 10,
            "n_centroids": 50,
            "change_speed": 0.001,
            "n_drift_centroids": 50,
        },
        _rbf,
        lambda p: [str(c) for c in range(int(p["n_classes"]))],
    ),
}

#: The synthetic streams ``open_stream("synth:NAME")`` knows, with what each one is.
SYNTHETIC: dict[str, str] = {name: g.description for name, g in _GENERATORS.items()}


def _parse(spec: str, seed: int) -> tuple[str, _Generator, _Params]:
    """The generator name, generator and parameters of a ``synth:NAME?key=value`` address."""
    name, _, query = spec[len(PREFIX) :].partition("?")
    name = name.strip().lower()
    if name not in _GENERATORS:
        raise DataError(
            f"unknown synthetic stream {name!r} in {spec!r}; "
            f"available: {', '.join(f'synth:{n}' for n in _GENERATORS)}"
        )
    generator = _GENERATORS[name]
    params: _Params = {**_COMMON, "seed": seed, **generator.params}
    for key, text in parse_qsl(query, keep_blank_values=True):
        if key not in params:
            accepted = ", ".join(f"{k} (default {v!r})" for k, v in params.items())
            raise DataError(f"{spec}: unknown parameter {key!r}; synth:{name} accepts {accepted}")
        params[key] = _convert(spec, key, text, params[key])
    if int(params["n"]) < 1:
        raise DataError(f"{spec}: n must be at least 1, got {params['n']}")
    return name, generator, params


def _convert(spec: str, key: str, text: str, default: int | float | str) -> int | float | str:
    try:
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = type(default).__name__
        raise DataError(
            f"{spec}: {key}={text!r} is not a valid {kind}; e.g. {key}={default}"
        ) from None
    if key in ("position", "concepts") and not all(p.strip().isdigit() for p in text.split(",")):
        raise DataError(f"{spec}: {key} must be comma-separated whole numbers, got {text!r}")
    return text


def _features(x: dict[Any, Any], categorical: frozenset[str]) -> Features:
    features: Features = {}
    for key, value in x.items():
        name = f"x{key}" if isinstance(key, int) else str(key)
        if name in categorical or isinstance(value, str | bool):
            features[name] = str(value)
        else:
            features[name] = float(value)
    return features


def open_synthetic(spec: str, seed: int = 0, limit: int | None = None) -> Stream:
    """Open ``synth:NAME[?key=value&...]`` as a `Stream` of `n` examples (or `limit`, if fewer).

    ``seed`` in the address overrides the `seed` argument.
    """
    name, generator, params = _parse(spec, seed)
    n_items = int(params["n"]) if limit is None else min(int(params["n"]), limit)
    build_seed = int(params["seed"])

    def pairs() -> _Pairs:
        try:
            return generator.build(params, build_seed)[0]
        except ValueError as error:
            raise DataError(f"{spec}: river rejected the parameters: {error}") from None

    def examples() -> Iterator[Example]:
        for position, (x, y) in enumerate(islice(pairs(), n_items)):
            item = Item(
                id=str(position),
                event_time=float(position),
                features=_features(x, generator.categorical),
            )
            yield Example(item, str(y))

    x, _ = next(pairs())  # the feature names and kinds, from a throwaway generator
    kinds: dict[str, FeatureKind] = {
        key: "categorical" if isinstance(value, str) else "numeric"
        for key, value in _features(x, generator.categorical).items()
    }
    info = StreamInfo(
        name=name,
        source=spec,
        target="class",
        features=kinds,
        classes=generator.classes(params),
        n_items=n_items,
        drifts=[p for p in generator.build(params, build_seed)[1] if 0 < p < n_items],
    )
    logger.info("opened synthetic stream source=%s n=%d drifts=%s", spec, n_items, info.drifts)
    return Stream(info, examples)

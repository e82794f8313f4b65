"""What the benchmarks share: where the streams are, and one simulation run as a task.

A task is one (stream, budget, strategy, seed); it opens its own stream, so
tasks run in any process and any order.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchors import ANCHORS, calibrate_entropy_discount, make_anchor, tap

from stream_al.datasets import Stream, open_stream
from stream_al.model.factory import make_model
from stream_al.rules import DecisionRule, make_rule
from stream_al.simulate import simulate

__all__ = [
    "FULL",
    "REAL_STREAMS",
    "STRATEGIES",
    "SYNTHETIC_STREAMS",
    "Task",
    "data_dir",
    "open_task_stream",
    "run_task",
]

REPO = Path(__file__).resolve().parents[1]

#: Real drifting streams, by file name in the shared data folder.
REAL_STREAMS = (
    "electricity.arff",
    "weather.arff",
    "powersupply.arff",
    "outdoor.csv",
    "luxembourg.csv",
)
#: River's synthetic drifting streams, with a fixed generator seed.
SYNTHETIC_STREAMS = ("synth:sea", "synth:agrawal", "synth:hyperplane", "synth:rbf")
SYNTHETIC_ITEMS = 20_000
SYNTHETIC_SEED = 0

#: Full supervision: every label (random sampling at budget 1).
FULL = "full"
#: Every strategy compared, ours first.
STRATEGIES = ("auto", "random", FULL, *ANCHORS)


def data_dir() -> Path:
    """The real streams: ``$STREAM_AL_DATA``, else ``../shared/data`` beside the checkout."""
    env = os.environ.get("STREAM_AL_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@dataclass(frozen=True)
class Task:
    """One simulation: `strategy` at `budget` on `stream` (a path or ``synth:`` address)."""

    stream: str
    name: str
    budget: float
    strategy: str
    seed: int
    model: str
    limit: int | None = None


def open_task_stream(task: Task) -> Stream:
    """The task's stream, opened afresh."""
    if task.stream.startswith("synth:"):
        n = SYNTHETIC_ITEMS if task.limit is None else min(task.limit, SYNTHETIC_ITEMS)
        return open_stream(f"{task.stream}?n={n}", seed=SYNTHETIC_SEED)
    return open_stream(task.stream, limit=task.limit)


def _rule(task: Task, stream: Stream) -> tuple[DecisionRule, dict[str, Any]]:
    if task.strategy == FULL:
        return make_rule("random", 1.0, seed=task.seed), {}
    if task.strategy in ANCHORS:
        extra: dict[str, Any] = {}
        if task.strategy == "river_entropy":
            extra["discount_factor"] = calibrate_entropy_discount(
                stream,
                lambda: make_model(task.model, classes=stream.info.classes, seed=task.seed),
                task.budget,
                seed=task.seed,
            )
        return make_anchor(task.strategy, task.budget, task.seed, **extra), extra
    return make_rule(task.strategy, task.budget, seed=task.seed), {}


def run_task(task: Task) -> dict[str, Any]:
    """Run one task; the measurements as a JSON-ready row."""
    started = time.perf_counter()
    stream = open_task_stream(task)
    rule, extra = _rule(task, stream)
    info = stream.info
    model = make_model(task.model, classes=info.classes, seed=task.seed, text=info.text is not None)
    result = simulate(stream, tap(rule, model), rule, seed=task.seed, data=task.stream)
    return {
        "stream": task.name,
        "budget": task.budget,
        "strategy": task.strategy,
        "seed": task.seed,
        "items": result.items,
        "labels": result.labels,
        "accuracy": result.accuracy,
        "kappa": result.kappa,
        "items_per_s": result.items_per_s,
        "seconds": time.perf_counter() - started,
        **extra,
    }

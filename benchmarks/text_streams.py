"""Text streams at a 5% budget: `auto` against random, full supervision and the anchors.

Streams: SMS spam (`label<TAB>text`: TF-IDF features for the linear model,
MiniLM sentence embeddings for the torch head) and Usenet 1 and 2 (99 binary
word attributes; the reader's interest flips every 300 messages). Models:
``logreg`` (linear) and ``torch_mlp`` (an MLP trained online, MC dropout;
skipped with a message when torch is not installed). For the torch model the
MC-dropout ``bald`` strategy runs too.

Run: ``python benchmarks/text_streams.py [--json OUT] [--seeds N] [--models logreg,torch_mlp]``.
Prints one row per stream, model and strategy (seed means): accuracy, kappa,
labels, and the share of the gap from random sampling to full supervision
that the strategy closes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import multiprocessing
import sys
import time
from collections.abc import Sequence
from typing import Any

from _common import FULL, Task, data_dir, run_task

STREAMS = ("sms_spam.tsv", "usenet1.arff", "usenet2.arff")
BUDGET = 0.05
STRATEGIES = ("auto", "random", FULL, "skal_vu", "skal_split", "river_entropy")
#: Strategies only the torch model runs (they need its MC-dropout samples).
TORCH_ONLY = ("bald",)
MODELS = ("logreg", "torch_mlp")


def _run(task: Task) -> dict[str, Any]:
    logging.getLogger("stream_al").setLevel(logging.ERROR)
    return {**run_task(task), "model": task.model}


def plan(models: Sequence[str], seeds: int) -> list[Task]:
    tasks = []
    for file in STREAMS:
        path = data_dir() / file
        if not path.is_file():
            print(f"skipping {file}: not found in {data_dir()}", file=sys.stderr)
            continue
        for model in models:
            chosen = STRATEGIES + (TORCH_ONLY if model.startswith("torch") else ())
            for strategy in chosen:
                budget = 1.0 if strategy == FULL else BUDGET
                for seed in range(seeds):
                    name = file.split(".")[0]
                    tasks.append(Task(str(path), name, budget, strategy, seed, model))
    return tasks


def rows_from(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seed means per stream, model and strategy, with the gap closed."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["stream"], run["model"], run["strategy"]), []).append(run)
    rows = []
    for (stream, model, strategy), group in groups.items():
        row = {"stream": stream, "model": model, "strategy": strategy, "seeds": len(group)}
        for key in ("accuracy", "kappa", "labels", "items", "items_per_s"):
            row[key] = sum(r[key] for r in group) / len(group)
        rows.append(row)
    by = {(r["stream"], r["model"], r["strategy"]): r for r in rows}
    for row in rows:
        random = by.get((row["stream"], row["model"], "random"))
        full = by.get((row["stream"], row["model"], FULL))
        gap = None
        if random and full and full["accuracy"] - random["accuracy"] > 0.005:
            gap = (row["accuracy"] - random["accuracy"]) / (full["accuracy"] - random["accuracy"])
        row["gap_closed"] = gap
    order = {s: k for k, s in enumerate((*STRATEGIES, *TORCH_ONLY))}
    return sorted(rows, key=lambda r: (r["stream"], r["model"], order.get(r["strategy"], 99)))


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    head = (
        f"{'stream':<10}{'model':<11}{'strategy':<15}{'accuracy':>9}{'kappa':>8}"
        f"{'labels':>8}{'gap closed':>12}{'items/s':>9}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        gap = "n/a" if r["gap_closed"] is None else f"{r['gap_closed']:.0%}"
        print(
            f"{r['stream']:<10}{r['model']:<11}{r['strategy']:<15}{r['accuracy']:>9.4f}"
            f"{r['kappa']:>8.3f}{r['labels']:>8.0f}{gap:>12}{r['items_per_s']:>9.0f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    if "torch_mlp" in models and importlib.util.find_spec("torch") is None:
        print("skipping torch_mlp: torch is not installed (pip install 'stream-al[text]')")
        models.remove("torch_mlp")
    tasks = plan(models, args.seeds)
    started = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool:
        runs = pool.map(_run, tasks, chunksize=1)
    rows = rows_from(runs)
    print_table(rows)
    print(f"wall time {time.perf_counter() - started:.0f} s ({len(tasks)} runs)", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)
            out.write("\n")


if __name__ == "__main__":
    main()

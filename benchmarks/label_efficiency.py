"""Label efficiency: `auto` against random sampling, full supervision and published anchors.

Every strategy runs in the same prequential loop on the same base model
(`AUTO_MODEL`), on real and synthetic drifting streams, at several budgets:

    python benchmarks/label_efficiency.py [--quick] [--json OUT] [--markdown OUT] [--jobs N]
        [--seeds N] [--limit ITEMS] [--budgets 0.01,0.05] [--streams sea,electricity]
        [--strategies auto,skal_vu]

``--quick`` is one seed, the first 5,000 items of each stream, and the 5%
budget only (random and full supervision always run: the gap needs them).

Per stream × budget × strategy it reports prequential accuracy, kappa, labels
actually spent, the spend ratio ``labels / (budget · items)`` and the gap
closed ``(acc − random) / (full − random)``, averaged over seeds; then a
summary at 5% with PASS/FAIL lines for the targets (a report: the exit code
is 0 either way), and the throughput of the default model with `auto`.

The gap closed is left undefined (–) where full supervision beats random
sampling by less than `MIN_GAP` (one accuracy point): the ratio is then noise,
or its sign flips when the model learns nothing from all labels either
(e.g. logistic regression on the 24 classes of powersupply). Such streams
drop out of the gap comparison with the anchors, and the summary says so.

Strategies whose decisions use no randomness (full supervision, the
scikit-activeml VariableUncertainty and PAL anchors) run once per stream and
budget when the model is deterministic too: their other seeds would repeat it.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from _common import (
    FULL,
    REAL_STREAMS,
    STRATEGIES,
    SYNTHETIC_STREAMS,
    Task,
    data_dir,
    open_task_stream,
    run_task,
)
from anchors import ANCHORS

from stream_al.model.factory import make_model
from stream_al.rules import make_rule
from stream_al.simulate import simulate

#: The base model every strategy runs on.
AUTO_MODEL = "logreg"
BUDGETS = (0.01, 0.05, 0.10, 0.20)
SUMMARY_BUDGET = 0.05
QUICK_LIMIT = 5_000
#: Models whose learning uses no random numbers (the seed changes nothing).
DETERMINISTIC_MODELS = frozenset({"logreg", "softmax", "naive_bayes"})
#: Strategies whose decisions use no random numbers.
SEEDLESS = frozenset({FULL, "skal_vu", "skal_pal"})
#: Rough relative cost per item, to start the slow tasks first.
_COST = {"skal_pal": 60.0, "river_entropy": 12.0, FULL: 4.0}
#: Targets at `SUMMARY_BUDGET`.
TARGET_GAP_POINTS = 15.0
TARGET_SPEND = 1.05
TARGET_ITEMS_PER_S = 20_000.0
#: Least accuracy full supervision must gain over random sampling for a gap closed.
MIN_GAP = 0.01


def streams(selected: Sequence[str] | None) -> list[tuple[str, str]]:
    """(name, source) of every stream to run; missing files are skipped with a message."""
    found: list[tuple[str, str]] = []
    folder = data_dir()
    for file in REAL_STREAMS:
        path = folder / file
        if path.is_file():
            found.append((file.split(".")[0], str(path)))
        else:
            print(f"skipping {file}: not found in {folder} (set STREAM_AL_DATA)", file=sys.stderr)
    found += [(source.removeprefix("synth:"), source) for source in SYNTHETIC_STREAMS]
    if selected:
        found = [(name, source) for name, source in found if name in selected]
    return found


#: Streams PAL is not run on, and why: scikit-activeml's `cost_reduction`
#: enumerates label vectors, so its cost grows steeply with the classes
#: (measured: 52 ms per item with 24 classes, so ~26 min per run of powersupply).
PAL_SKIPPED = {
    "powersupply": "24 classes: 52 ms/item in scikit-activeml's cost_reduction",
    "outdoor": "40 classes: slower still",
}


def plan(
    sources: Iterable[tuple[str, str]],
    budgets: Sequence[float],
    strategies: Sequence[str],
    seeds: Sequence[int],
    model: str,
    limit: int | None,
) -> list[Task]:
    """Every task to run, the slowest first."""
    tasks = []
    for name, source in sources:
        for strategy in strategies:
            if strategy == "skal_pal" and name in PAL_SKIPPED:
                print(f"skal_pal not run on {name}: {PAL_SKIPPED[name]}", file=sys.stderr)
                continue
            once = strategy in SEEDLESS and model in DETERMINISTIC_MODELS
            for budget in [1.0] if strategy == FULL else budgets:
                for seed in seeds[:1] if once else seeds:
                    tasks.append(Task(source, name, budget, strategy, seed, model, limit))
    return sorted(tasks, key=lambda t: -_COST.get(t.strategy, 1.0))


def run_all(tasks: Sequence[Task], jobs: int) -> list[dict[str, Any]]:
    """Run the tasks on `jobs` processes, with progress on stderr."""
    started = time.perf_counter()
    runs = []
    with multiprocessing.Pool(jobs) as pool:
        for done, run in enumerate(pool.imap_unordered(run_task, tasks), start=1):
            runs.append(run)
            print(
                f"[{done}/{len(tasks)}] {run['stream']} {run['strategy']} "
                f"b={run['budget']:.0%} seed={run['seed']}: acc={run['accuracy']:.4f} "
                f"labels={run['labels']} ({run['seconds']:.0f} s; "
                f"{time.perf_counter() - started:.0f} s elapsed)",
                file=sys.stderr,
                flush=True,
            )
    return runs


def aggregate(runs: Sequence[dict[str, Any]], budgets: Sequence[float]) -> list[dict[str, Any]]:
    """Seed means per stream × budget × strategy, with spend ratio and gap closed."""
    groups: dict[tuple[str, float, str], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        targets = budgets if run["strategy"] == FULL else [run["budget"]]
        for budget in targets:
            groups[(run["stream"], budget, run["strategy"])].append(run)
    rows = []
    for (stream, budget, strategy), group in groups.items():
        items = group[0]["items"]
        labels = mean(r["labels"] for r in group)
        allowed = items * (1.0 if strategy == FULL else budget)
        rows.append(
            {
                "stream": stream,
                "budget": budget,
                "strategy": strategy,
                "accuracy": mean(r["accuracy"] for r in group),
                "kappa": mean(r["kappa"] for r in group),
                "labels": labels,
                "spend_ratio": labels / allowed if allowed else math.nan,
                "max_spend_ratio": max(r["labels"] for r in group) / allowed if allowed else 0,
                "items": items,
                "items_per_s": mean(r["items_per_s"] for r in group),
                "seeds": sorted(r["seed"] for r in group),
            }
        )
    accuracy = {(r["stream"], r["budget"], r["strategy"]): r["accuracy"] for r in rows}
    for row in rows:
        rand = accuracy.get((row["stream"], row["budget"], "random"))
        full = accuracy.get((row["stream"], row["budget"], FULL))
        gap = math.nan
        if rand is not None and full is not None and full - rand >= MIN_GAP:
            gap = (row["accuracy"] - rand) / (full - rand)
        row["gap_closed"] = gap
    return rows


def summarise(rows: Sequence[dict[str, Any]], budget: float) -> dict[str, Any]:
    """Auto against random and the best anchor per stream at `budget`, and the targets."""
    at = {(r["stream"], r["strategy"]): r for r in rows if r["budget"] == budget}
    per_stream = []
    for stream in dict.fromkeys(r["stream"] for r in rows):
        auto, rand = at.get((stream, "auto")), at.get((stream, "random"))
        anchors = [at[(stream, a)] for a in ANCHORS if (stream, a) in at]
        if auto is None or rand is None:
            continue
        best = max(anchors, key=lambda r: _finite(r["gap_closed"]), default=None)
        if best is not None and not math.isfinite(best["gap_closed"]):
            best = None
        best_gap = best["gap_closed"] if best else math.nan
        per_stream.append(
            {
                "stream": stream,
                "auto_accuracy": auto["accuracy"],
                "random_accuracy": rand["accuracy"],
                "auto_gap_closed": auto["gap_closed"],
                "best_anchor": best["strategy"] if best else None,
                "best_anchor_gap_closed": best_gap,
                "difference_points": 100.0 * (auto["gap_closed"] - best_gap),
                "auto_beats_random": auto["accuracy"] > rand["accuracy"],
            }
        )
    differences = [
        s["difference_points"] for s in per_stream if math.isfinite(s["difference_points"])
    ]
    auto_spend = [r["max_spend_ratio"] for r in rows if r["strategy"] == "auto"]
    auto_spend_at = [r["max_spend_ratio"] for r in at.values() if r["strategy"] == "auto"]
    return {
        "budget": budget,
        "streams": per_stream,
        "mean_difference_points": mean(differences) if differences else math.nan,
        "gap_undefined": [
            s["stream"] for s in per_stream if not math.isfinite(s["difference_points"])
        ],
        "auto_beats_random_everywhere": bool(per_stream)
        and all(s["auto_beats_random"] for s in per_stream),
        "auto_max_spend_ratio": max(auto_spend, default=math.nan),
        "auto_max_spend_ratio_at_budget": max(auto_spend_at, default=math.nan),
    }


def measure_throughput(model: str, sources: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Items/s of the `stream-al simulate` loop: `model` with `auto` at 5%, one core."""
    name, source = next(((n, s) for n, s in sources if n == "electricity"), sources[0])
    stream = open_task_stream(Task(source, name, SUMMARY_BUDGET, "auto", 0, model))
    result = simulate(
        stream,
        make_model(model, classes=stream.info.classes),
        make_rule("auto", SUMMARY_BUDGET),
    )
    return {"stream": name, "items": result.items, "items_per_s": result.items_per_s}


# -- reporting ------------------------------------------------------------------------------


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _pct(value: float) -> str:
    return f"{100 * value:.1f}" if math.isfinite(value) else "–"


def _points(value: float) -> str:
    return f"{value:+.1f}" if math.isfinite(value) else "–"


def _ordered(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    streams_order = list(dict.fromkeys(r["stream"] for r in rows))
    order = {s: i for i, s in enumerate(STRATEGIES)}
    return sorted(
        rows,
        key=lambda r: (streams_order.index(r["stream"]), r["budget"], order[r["strategy"]]),
    )


def print_details(rows: Sequence[dict[str, Any]], model: str) -> None:
    """Every row as a table on stdout (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Label efficiency (model: {model}; means over seeds)")
    for column in ("stream", "budget", "strategy", "acc %", "kappa", "labels", "spend", "gap %"):
        table.add_column(column, justify="left" if column in ("stream", "strategy") else "right")
    previous = None
    for r in _ordered(rows):
        key = (r["stream"], r["budget"])
        if previous is not None and key != previous:
            table.add_section()
        previous = key
        table.add_row(
            r["stream"],
            f"{r['budget']:.0%}",
            r["strategy"],
            _pct(r["accuracy"]),
            f"{r['kappa']:.3f}",
            f"{r['labels']:.0f}",
            f"{r['spend_ratio']:.2f}",
            _pct(r["gap_closed"]),
        )
    Console(width=110).print(table)


def markdown(rows: Sequence[dict[str, Any]], summary: dict[str, Any], meta: dict[str, Any]) -> str:
    """The summary and per-budget accuracy tables, as markdown for the README."""
    lines = [
        f"Model `{meta['model']}`; seeds {meta['seeds']}; "
        f"{'quick run, ' if meta['quick'] else ''}wall time {meta['wall_seconds']:.0f} s.",
        "",
        f"**At {summary['budget']:.0%} budget** (gap closed = (acc − random) / (full − random)):",
        "",
        "| stream | auto acc % | random acc % | auto gap % | best anchor | anchor gap % "
        "| Δ points |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for s in summary["streams"]:
        lines.append(
            f"| {s['stream']} | {_pct(s['auto_accuracy'])} | {_pct(s['random_accuracy'])} | "
            f"{_pct(s['auto_gap_closed'])} | {s['best_anchor'] or '–'} | "
            f"{_pct(s['best_anchor_gap_closed'])} | {_points(s['difference_points'])} |"
        )
    lines += [
        "",
        f"Mean Δ over streams: {_points(summary['mean_difference_points'])} points"
        + (
            f" (gap undefined, full supervision < random + {MIN_GAP:.0%}: "
            f"{', '.join(summary['gap_undefined'])})"
            if summary["gap_undefined"]
            else ""
        )
        + ".",
    ]
    strategies = [s for s in STRATEGIES if any(r["strategy"] == s for r in rows)]
    for budget in sorted({r["budget"] for r in rows}):
        at = {(r["stream"], r["strategy"]): r for r in rows if r["budget"] == budget}
        lines += [
            "",
            f"**Accuracy % (gap closed %, spend ratio) at {budget:.0%} budget**",
            "",
            "| stream | " + " | ".join(strategies) + " |",
            "|---|" + "---:|" * len(strategies),
        ]
        for stream in dict.fromkeys(r["stream"] for r in rows):
            cells = []
            for strategy in strategies:
                r = at.get((stream, strategy))
                cells.append(
                    "–"
                    if r is None
                    else f"{_pct(r['accuracy'])} ({_pct(r['gap_closed'])}, {r['spend_ratio']:.2f})"
                )
            lines.append(f"| {stream} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _undefined(summary: dict[str, Any]) -> str:
    streams = summary["gap_undefined"]
    return f"; gap undefined on {', '.join(streams)}" if streams else ""


def targets(summary: dict[str, Any], throughput: dict[str, Any]) -> list[str]:
    """One PASS/FAIL line per target (n/a for the targets on auto when auto did not run)."""
    budget = f"{summary['budget']:.0%}"
    speed = (
        throughput["items_per_s"] >= TARGET_ITEMS_PER_S,
        f"throughput ≥{TARGET_ITEMS_PER_S:,.0f} items/s "
        f"({throughput['items_per_s']:,.0f} on {throughput['stream']}, auto at {budget})",
    )
    if not summary["streams"]:
        lines = ["n/a   gap and spend targets: auto, random and full did not all run"]
        return [*lines, f"{'PASS' if speed[0] else 'FAIL'}  {speed[1]}"]
    checks = [
        (
            summary["auto_beats_random_everywhere"],
            f"auto beats random on every stream at {budget}",
        ),
        (
            summary["mean_difference_points"] >= TARGET_GAP_POINTS,
            f"auto closes ≥{TARGET_GAP_POINTS:.0f} points more of the gap than the best anchor "
            f"at {budget} (mean {_points(summary['mean_difference_points'])}"
            f"{_undefined(summary)})",
        ),
        (
            summary["auto_max_spend_ratio"] <= TARGET_SPEND,
            f"auto never spends >{TARGET_SPEND:.0%} of its budget "
            f"(max {summary['auto_max_spend_ratio']:.3f} over all budgets and seeds; "
            f"{summary['auto_max_spend_ratio_at_budget']:.3f} at {budget})",
        ),
        speed,
    ]
    return [f"{'PASS' if ok else 'FAIL'}  {text}" for ok, text in checks]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 seed, first 5,000 items, 5%% budget only"
    )
    parser.add_argument("--budgets", default="", help="comma-separated fractions, e.g. 0.01,0.05")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    parser.add_argument("--limit", type=int, default=None, help="items per stream")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--streams", default="", help="comma-separated stream names")
    parser.add_argument("--strategies", default="", help="comma-separated strategies")
    parser.add_argument("--json", type=Path, help="write every row and the summary here")
    parser.add_argument("--markdown", type=Path, help="write the markdown tables here")
    args = parser.parse_args(argv)
    seeds = list(range(1 if args.quick else args.seeds))
    limit = args.limit if args.limit is not None else (QUICK_LIMIT if args.quick else None)
    chosen = [s for s in args.strategies.split(",") if s] or list(STRATEGIES)
    chosen = list(dict.fromkeys(["random", FULL, *chosen]))  # the gap needs both
    sources = streams([s for s in args.streams.split(",") if s])
    budgets = [float(b) for b in args.budgets.split(",") if b] or (
        [SUMMARY_BUDGET] if args.quick else list(BUDGETS)
    )

    started = time.perf_counter()
    tasks = plan(sources, budgets, chosen, seeds, AUTO_MODEL, limit)
    print(f"{len(tasks)} runs on {args.jobs} processes", file=sys.stderr)
    rows = aggregate(run_all(tasks, args.jobs), budgets)
    wall = time.perf_counter() - started
    throughput = measure_throughput(AUTO_MODEL, sources)
    summary = summarise(rows, min(budgets, key=lambda b: abs(b - SUMMARY_BUDGET)))
    meta = {
        "model": AUTO_MODEL,
        "seeds": seeds,
        "budgets": budgets,
        "limit": limit,
        "quick": args.quick,
    }
    meta["wall_seconds"] = wall

    print_details(rows, AUTO_MODEL)
    text = markdown(rows, summary, meta)
    print(text)
    for line in targets(summary, throughput):
        print(line)
    print(f"wall time {wall:.0f} s ({len(tasks)} runs, {args.jobs} processes)")
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        document = {**meta, "rows": _ordered(rows), "summary": summary, "throughput": throughput}
        args.json.write_text(json.dumps(_finite_json(document), indent=2) + "\n")


def _finite_json(value: Any) -> Any:
    """`value` with NaN and infinities as null (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(v) for v in value]
    return value


if __name__ == "__main__":
    main()

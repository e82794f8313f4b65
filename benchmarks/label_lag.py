"""Label lag: accuracy with the lag fallback against without it, as labels come later.

Every run queries 5% of the stream while the annotators can label only
`--capacity` (2.5%) of it, and each label arrives `delay` items after an
annotator takes the task on (0, 500 and 5,000 items). Per stream and delay:

- ``acc_no_delay``: delay 0, fallback off (the reference);
- ``acc_no_fallback``: this delay, fallback off: a plain bounded queue (no
  decay, no TTL, newcomers turned away when full), fixed budget, human labels only;
- ``acc_fallback``: this delay, fallback on (its defaults): fresh-first queue
  (priority half-life, TTL, lowest evicted), the budget paced to the
  annotators' throughput, and rehearsal of recent human labels while they
  come back late;
- ``acc_self_training``: the fallback with self-training on confident
  pseudo-labels as well (off by default).

``gain ± se`` is ``acc_fallback - acc_no_fallback`` in points with the
standard error of its mean over seeds, paired by seed (``fallback_gain_se``).
``recovered`` is the share of the accuracy lost to the delay that the
fallback wins back: ``(acc_fallback - acc_no_fallback) / (acc_no_delay -
acc_no_fallback)``. The same figures are also given over the items after the
first 5,000 (``*_after_warmup``): before the first label can arrive, every
run predicts blind, whatever it does, and on a short stream that stretch
weighs heavily in the whole-stream figure.

Run: ``python benchmarks/label_lag.py [--json OUT] [--streams a,b] [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import data_dir

from stream_al.datasets import open_stream
from stream_al.drift.monitor import DriftMonitor
from stream_al.lag.options import LagOptions
from stream_al.model.factory import make_model
from stream_al.rules import make_rule
from stream_al.simulate import simulate

STREAMS = ("electricity.arff", "weather.arff", "synth:hyperplane?n=40000", "synth:sea?n=40000")
DELAYS = (0, 500, 5000)
BUDGET = 0.05
CAPACITY = 0.025
WARMUP = 5000
#: Arms: (name, fresh-first queue, paced budget, rehearsal, forgetting standardiser,
#: self-training).
ARMS = (
    ("no_fallback", False, False, False, False, False),
    ("fallback", True, True, True, True, False),
    ("self_training", True, True, True, True, True),
)
#: With ``--parts``: each part of the fallback alone, and the fallback without
#: rehearsal and without the forgetting standardiser.
PARTS = (
    ("queue_only", True, False, False, False, False),
    ("pacing_only", False, True, False, False, False),
    ("rehearsal_only", False, False, True, False, False),
    ("forget_only", False, False, False, True, False),
    ("no_rehearsal", True, True, False, True, False),
    ("no_forget", True, True, True, False, False),
)
#: The issue's targets at the longest delay.
TARGET_RECOVERED = 0.5
TARGET_WORST_POINTS = 0.5


def run_arm(
    task: tuple[str, int, str, bool, bool, bool, bool, bool, int, int | None],
) -> dict[str, Any]:
    """One simulation: stream, delay, arm; returns its figures."""
    logging.getLogger("stream_al").setLevel(logging.ERROR)
    source, delay, arm, fresh, pace, rehearse, forget, self_training, seed, limit = task
    address = source if source.startswith("synth:") else str(data_dir() / source)
    stream = open_stream(address, limit=limit, seed=seed)
    rule = make_rule("auto", BUDGET, seed=seed)
    options = LagOptions(
        capacity=CAPACITY,
        fallback=fresh,
        self_training=self_training,
        pace=pace,
        rehearse=rehearse,
        forget=forget,
    )
    annotators, st, pacer = options.build(rule.budget)
    result = simulate(
        stream,
        make_model(
            "logreg",
            classes=stream.info.classes,
            seed=seed,
            halflife=options.input_halflife(lagging=True),
        ),
        rule,
        label_delay=delay,
        monitor=DriftMonitor(labelled="adwin"),
        annotators=annotators,
        self_training=st,
        pacer=pacer,
        warmup=WARMUP,
        seed=seed,
        rehearsal=options.rehearsal(seed),
    ).to_dict()
    keys = ("accuracy", "accuracy_after_warmup", "labels", "pseudo_labels", "mean_lag_items")
    keys += ("label_free_mae", "unbiased_mae", "items", "seconds")
    figures = {k: result[k] for k in keys}
    return {"stream": _name(source), "delay": delay, "arm": arm, "seed": seed, **figures}


def seed_means(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs of each stream, delay and arm, averaged over seeds (in order of first run)."""
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["stream"], run["delay"], run["arm"]), []).append(run)
    means = []
    for (stream, delay, arm), group in groups.items():
        mean: dict[str, Any] = {"stream": stream, "delay": delay, "arm": arm, "seeds": len(group)}
        group.sort(key=lambda g: int(g["seed"]))
        mean["by_seed"] = [g["accuracy"] for g in group]
        for key in group[0]:
            if key not in mean:
                values = [g[key] for g in group if g[key] is not None]
                mean[key] = sum(values) / len(values) if values else None
        means.append(mean)
    return means


def _name(source: str) -> str:
    return source.split("?")[0].removeprefix("synth:").rsplit(".", 1)[0]


def rows_from(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per stream and delay, from the runs of every arm."""
    by = {(r["stream"], r["delay"], r["arm"]): r for r in runs}
    rows = []
    for stream in dict.fromkeys(r["stream"] for r in runs):
        reference = by[(stream, 0, "no_fallback")]
        for delay in sorted({r["delay"] for r in runs if r["stream"] == stream}):
            row: dict[str, Any] = {"stream": stream, "delay": delay}
            for suffix, key in (("", "accuracy"), ("_after_warmup", "accuracy_after_warmup")):
                row[f"acc_no_delay{suffix}"] = reference[key]
                for arm, *_ in (*ARMS, *PARTS):
                    if (stream, delay, arm) in by:
                        row[f"acc_{arm}{suffix}"] = by[(stream, delay, arm)][key]
                lost = row[f"acc_no_delay{suffix}"] - row[f"acc_no_fallback{suffix}"]
                gained = row[f"acc_fallback{suffix}"] - row[f"acc_no_fallback{suffix}"]
                row[f"recovered{suffix}"] = gained / lost if lost > 0.005 else None
            # Every arm predicts the first WARMUP items alike when no label can come back
            # before then; the share of the whole-stream loss after them is what any
            # fallback could win back by matching the no-delay run from there on.
            lost = row["acc_no_delay"] - row["acc_no_fallback"]
            lost_after = row["acc_no_delay_after_warmup"] - row["acc_no_fallback_after_warmup"]
            items = reference["items"]
            share = lost_after * (items - WARMUP) / items / lost if lost > 0.005 else None
            row["loss_share_after_warmup"] = share if delay >= WARMUP else None
            fallback = by[(stream, delay, "fallback")]
            row["fallback_gain_se"] = _paired_se(
                fallback["by_seed"], by[(stream, delay, "no_fallback")]["by_seed"]
            )
            row["pseudo_labels"] = by[(stream, delay, "self_training")]["pseudo_labels"]
            row["labels"] = fallback["labels"]
            row["mean_lag_no_fallback"] = by[(stream, delay, "no_fallback")]["mean_lag_items"]
            row["mean_lag_fallback"] = fallback["mean_lag_items"]
            row["label_free_mae"] = fallback["label_free_mae"]
            row["unbiased_mae"] = fallback["unbiased_mae"]
            rows.append(row)
    return rows


def _paired_se(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Standard error of the mean of ``a - b``, paired by seed (None with one seed)."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    if len(diffs) < 2:
        return None
    return statistics.stdev(diffs) / math.sqrt(len(diffs))


def verdicts(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The targets, judged on the whole stream and after the warm-up."""
    lines = []
    delay = max(r["delay"] for r in rows)  # the targets are set at the longest delay run
    for suffix, what in (("", "whole stream"), ("_after_warmup", f"after {WARMUP:,} items")):
        longest = [r for r in rows if r["delay"] == delay]
        recovered = [r[f"recovered{suffix}"] for r in longest]
        worst = min(r[f"acc_fallback{suffix}"] - r[f"acc_no_fallback{suffix}"] for r in rows)
        ok = all(x is None or x >= TARGET_RECOVERED for x in recovered)
        lines.append(
            f"{what}: recovered at delay {delay:,}: "
            + ", ".join(f"{r['stream']} {_pct(r[f'recovered{suffix}'])}" for r in longest)
            + f" (target >= {TARGET_RECOVERED:.0%}: {'PASS' if ok else 'FAIL'}); "
            f"worst fallback - no fallback: {100 * worst:+.2f} points "
            f"(target >= -{TARGET_WORST_POINTS}: "
            f"{'PASS' if worst * 100 >= -TARGET_WORST_POINTS else 'FAIL'})"
        )
    longest = [r for r in rows if r["delay"] == delay and r["loss_share_after_warmup"] is not None]
    if longest:
        lines.append(
            f"share of the whole-stream loss at delay {delay:,} after the first {WARMUP:,} items "
            "(what a fallback matching the no-delay run from there on would win back): "
            + ", ".join(f"{r['stream']} {_pct(r['loss_share_after_warmup'])}" for r in longest)
        )
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _gain(row: dict[str, Any]) -> str:
    """The fallback's gain over no fallback in points, with its paired standard error."""
    gain = 100 * (row["acc_fallback"] - row["acc_no_fallback"])
    se = row["fallback_gain_se"]
    return f"{gain:+.2f}" if se is None else f"{gain:+.2f} ± {100 * se:.2f}"


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    head = (
        f"{'stream':<12}{'delay':>6} {'no delay':>9}{'no fallb.':>10}{'fallback':>9}"
        f"{'+ self-tr.':>11}{'recov.':>8}{'gain ± se':>13} | "
        f"{'after warm-up: no fb.':>21}{'fallback':>9}{'recov.':>8} | "
        f"{'pseudo':>7}{'lag no fb':>10}{'lag fb':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['stream']:<12}{r['delay']:>6} {r['acc_no_delay']:>9.4f}"
            f"{r['acc_no_fallback']:>10.4f}{r['acc_fallback']:>9.4f}{r['acc_self_training']:>11.4f}"
            f"{_pct(r['recovered']):>8}{_gain(r):>13} | {r['acc_no_fallback_after_warmup']:>21.4f}"
            f"{r['acc_fallback_after_warmup']:>9.4f}{_pct(r['recovered_after_warmup']):>8} | "
            f"{r['pseudo_labels']:>7.0f}{r['mean_lag_no_fallback'] or 0:>10.0f}"
            f"{r['mean_lag_fallback'] or 0:>8.0f}"
        )


def print_parts(rows: Sequence[dict[str, Any]]) -> None:
    """Each part of the fallback alone, points over no fallback (whole stream | after warm-up)."""
    arms = (
        *("queue_only", "pacing_only", "rehearsal_only", "forget_only"),
        *("no_rehearsal", "no_forget", "fallback"),
    )
    names = ("queue", "pacing", "rehearse", "forget", "all-reh.", "all-forg.", "all")
    cells = "".join(f"{n:>10}" for n in names)
    head = f"{'stream':<12}{'delay':>6} {cells} | {cells}"
    print(head)
    print("-" * len(head))
    for r in rows:
        parts = [
            "".join(
                f"{100 * (r[f'acc_{arm}{sfx}'] - r[f'acc_no_fallback{sfx}']):>+10.2f}"
                for arm in arms
            )
            for sfx in ("", "_after_warmup")
        ]
        print(f"{r['stream']:<12}{r['delay']:>6} {parts[0]} | {parts[1]}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", default="", help="comma-separated streams (default: all)")
    parser.add_argument("--delays", default="", help="comma-separated label delays in items")
    parser.add_argument("--limit", type=int, default=None, help="items per stream")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1, averaged (default 3)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also run each part of the fallback alone (acc_queue_only, acc_pacing_only, "
        "acc_rehearsal_only, acc_forget_only) and the fallback without rehearsal "
        "(acc_no_rehearsal) and without the forgetting standardiser (acc_no_forget)",
    )
    args = parser.parse_args(argv)
    streams = [s for s in args.streams.split(",") if s] or list(STREAMS)
    chosen = {int(d) for d in args.delays.split(",") if d}
    delays = sorted({0, *chosen}) if chosen else list(DELAYS)  # 0 is the reference
    arms = (*ARMS, *PARTS) if args.parts else ARMS
    tasks = [
        (stream, delay, arm, fresh, pace, rehearse, forget, st, seed, args.limit)
        for stream in streams
        for delay in delays
        for arm, fresh, pace, rehearse, forget, st in arms
        for seed in range(args.seeds)
    ]
    started = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool:
        runs = pool.map(run_arm, tasks)
    rows = rows_from(seed_means(runs))
    print_table(rows)
    if args.parts:
        print_parts(rows)
    for line in verdicts(rows):
        print(line)
    print(f"wall time {time.perf_counter() - started:.0f} s ({len(tasks)} runs)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()

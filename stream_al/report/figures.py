"""The report's figures, drawn from a `Timeline` and a summary dict (matplotlib, Agg).

Each figure function takes the timeline, the summary and a PNG path, draws
what the timeline holds and returns the path, or None when the timeline lacks
the series it needs (so a run without a queue simply has no queue figure).

Series read from the timeline (by name): ``accuracy``, ``window_accuracy``,
``unbiased_accuracy``, ``labels``, ``labels_received``, ``queue_depth``,
``leased``, ``evicted``, ``expired``, ``dropped``, ``lag_seconds``,
``lag_p95_seconds``; marks of kind ``"drift"`` with a ``source``. Summary keys
used when present: ``true_drifts``, ``budget``, ``budget_burst``, ``rate``,
``majority_accuracy``, ``queue_capacity``, ``label_delay``,
``accuracy_window``, ``unbiased_window``, ``lag_window``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from stream_al.evaluation.timeline import Timeline

__all__ = ["FIGURES", "FigureSpec", "plot_accuracy", "plot_labels", "plot_lag", "plot_queue"]

Summary = Mapping[str, Any]

_TRUE: dict[str, Any] = {"color": "black", "linestyle": "-", "linewidth": 1.8, "alpha": 0.75}
#: Alerts confirmed by labels cross the plot; label-free hints are short ticks at its top.
_ALERT_STYLES: dict[str, tuple[dict[str, Any], str]] = {
    "labelled": (
        {"color": "tab:red", "linestyle": "--", "linewidth": 1.8},
        "drift alert from labelled errors",
    ),
    "label_free": (
        {"color": "tab:orange", "linestyle": "-", "linewidth": 2.0, "ymin": 0.9, "ymax": 1.0},
        "drift hint from uncertainty (label-free)",
    ),
}
#: Fewest random labels before their accuracy estimate is drawn.
_MIN_RANDOM_LABELS = 20


def _series(timeline: Timeline, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions and float values (None → nan) of a series; None if it was never recorded."""
    x, y = timeline.series(name)
    values = np.array(y, dtype=float)
    if not x or np.all(np.isnan(values)):
        return None
    return np.array(x, dtype=float), values


def _scale(factor: float) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """Forward and inverse functions of a secondary axis ``factor`` times the primary."""

    def forward(values: Any) -> Any:
        return np.asarray(values, dtype=float) * factor

    def inverse(values: Any) -> Any:
        return np.asarray(values, dtype=float) / factor

    return forward, inverse


def _new(title: str, summary: Summary) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(10.0, 4.6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    ax.set_xlabel("items processed")
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    rate = summary.get("rate")
    if rate:
        top = ax.secondary_xaxis("top", functions=_scale(1.0 / (60.0 * rate)))
        top.set_xlabel("simulated time (minutes)", fontsize=9, color="dimgray")
        top.tick_params(labelsize=8, colors="dimgray")
    return fig, ax


def _drift_lines(ax: Axes, timeline: Timeline, summary: Summary, alerts: bool = True) -> None:
    """True drift positions (solid black) and, optionally, the alerts by source."""
    for k, position in enumerate(summary.get("true_drifts") or ()):
        ax.axvline(position, label="true drift" if k == 0 else None, **_TRUE)
    if not alerts:
        return
    for source, (style, label) in _ALERT_STYLES.items():
        marks = [m["position"] for m in timeline.marks if m.get("source") == source]
        for k, position in enumerate(marks):
            ax.axvline(position, label=label if k == 0 else None, **style)


def _save(fig: Figure, path: Path, *axes: Axes) -> Path:
    handles: list[Any] = []
    labels: list[str] = []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    if handles:
        columns = len(handles) if len(handles) <= 4 else 3
        fig.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=9.5)
    fig.savefig(path, format="png")
    return path


def plot_accuracy(timeline: Timeline, summary: Summary, path: Path) -> Path | None:
    """Windowed and cumulative accuracy, the unbiased estimate, drifts and alerts."""
    cumulative = _series(timeline, "accuracy")
    if cumulative is None:
        return None
    fig, ax = _new("Accuracy over time", summary)
    window = _series(timeline, "window_accuracy")
    if window is not None:
        n = summary.get("accuracy_window")
        label = f"accuracy, last {n:,} items" if n else "recent accuracy"
        ax.plot(*window, color="tab:blue", linewidth=1.3, label=label)
    ax.plot(*cumulative, color="navy", linewidth=2.4, label="cumulative accuracy")
    unbiased = _unbiased(timeline)
    if unbiased is not None:
        n = summary.get("unbiased_window")
        what = f"last {n} random labels" if n else "random labels"
        ax.plot(*unbiased, color="tab:green", linewidth=1.5, label=f"estimate from {what}")
    majority = summary.get("majority_accuracy")
    if majority:
        ax.axhline(majority, color="gray", linestyle="-.", linewidth=1.2, label="majority class")
    _drift_lines(ax, timeline, summary)
    low = np.nanmin(np.concatenate([s[1] for s in (cumulative, window) if s is not None]))
    ax.set_ylim(max(0.0, min(low, majority or 1.0) - 0.05), 1.0)
    ax.set_ylabel("accuracy")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    return _save(fig, path, ax)


def _unbiased(timeline: Timeline) -> tuple[np.ndarray, np.ndarray] | None:
    """The random-label estimate, hidden while it rests on too few labels."""
    unbiased = _series(timeline, "unbiased_accuracy")
    counts = _series(timeline, "random_labels")
    if unbiased is None or counts is None or len(counts[1]) != len(unbiased[1]):
        return unbiased
    values = np.where(counts[1] >= _MIN_RANDOM_LABELS, unbiased[1], np.nan)
    return None if np.all(np.isnan(values)) else (unbiased[0], values)


def plot_labels(timeline: Timeline, summary: Summary, path: Path) -> Path | None:
    """Labels asked for and returned, against the budget line."""
    asked = _series(timeline, "labels")
    if asked is None:
        return None
    fig, ax = _new("Labels spent over time", summary)
    x = asked[0]
    budget = summary.get("budget")
    if budget:
        ax.plot(
            x,
            budget * x,
            color="tab:red",
            linestyle="--",
            linewidth=1.8,
            label=f"budget ({budget:.1%} of items)",
        )
    ax.plot(*asked, color="tab:purple", linewidth=2.2, label="labels asked for (queried)")
    returned = _series(timeline, "labels_received")
    if returned is not None and len(returned[1]) == len(asked[1]):
        ax.fill_between(
            x,
            returned[1],
            asked[1],
            color="tab:purple",
            alpha=0.12,
            label="asked, not labelled (lost or still queued)",
        )
    if returned is not None:
        ax.plot(*returned, color="tab:green", linewidth=2.2, label="labels returned (learned)")
    _drift_lines(ax, timeline, summary, alerts=False)
    ax.set_ylabel("labels (cumulative)")
    ax.set_ylim(bottom=0)
    return _save(fig, path, ax)


def plot_queue(timeline: Timeline, summary: Summary, path: Path) -> Path | None:
    """Queue depth and leased tasks (stacked), with the tasks lost on a second axis."""
    depth = _series(timeline, "queue_depth")
    if depth is None:
        return None
    fig, ax = _new("Annotation queue", summary)
    x = depth[0]
    leased = _series(timeline, "leased")
    layers = [depth[1]] + ([leased[1]] if leased is not None else [])
    names = ["queued (waiting)"] + (["leased (with annotators)"] if leased is not None else [])
    ax.stackplot(x, *layers, labels=names, colors=["tab:blue", "tab:orange"], alpha=0.55)
    capacity = summary.get("queue_capacity")
    if capacity:
        ax.axhline(
            capacity, color="tab:red", linestyle="--", linewidth=1.5, label=f"capacity ({capacity})"
        )
    _drift_lines(ax, timeline, summary, alerts=False)
    ax.set_ylabel("tasks held")
    ax.set_ylim(0, (capacity or float(np.nanmax(sum(layers)))) * 1.12)
    lost = ax.twinx()
    for name, color in (("evicted", "tab:purple"), ("expired", "tab:brown"), ("dropped", "gray")):
        series = _series(timeline, name)
        if series is not None and np.nanmax(series[1]) > 0:
            lost.plot(*series, color=color, linewidth=2.0, label=f"{name} (cumulative, right)")
    lost.set_ylabel("tasks lost (cumulative)")
    lost.set_ylim(bottom=0)
    return _save(fig, path, ax, lost)


def plot_lag(timeline: Timeline, summary: Summary, path: Path) -> Path | None:
    """Label lag of the recent labels in simulated seconds (left) and items (right)."""
    mean = _series(timeline, "lag_seconds")
    if mean is None:
        return None
    fig, ax = _new("Label lag", summary)
    n = summary.get("lag_window")
    recent = f"last {n} labels" if n else "recent labels"
    p95 = _series(timeline, "lag_p95_seconds")
    if p95 is not None:
        ax.fill_between(
            *mean, p95[1], color="tab:blue", alpha=0.15, label=f"mean to p95 ({recent})"
        )
        ax.plot(*p95, color="tab:blue", linewidth=1.0, linestyle="--", label=f"p95 ({recent})")
    ax.plot(*mean, color="tab:blue", linewidth=2.2, label=f"mean ({recent})")
    delay = summary.get("label_delay")
    if delay:
        ax.axhline(
            delay,
            color="gray",
            linestyle="-.",
            linewidth=1.2,
            label=f"annotators' think time ({delay:.0f} s)",
        )
    _drift_lines(ax, timeline, summary, alerts=False)
    ax.set_ylabel("label lag (simulated seconds)")
    ax.set_ylim(bottom=0)
    rate = summary.get("rate")
    if rate:
        right = ax.secondary_yaxis("right", functions=_scale(float(rate)))
        right.set_ylabel("label lag (items)")
    return _save(fig, path, ax)


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report: file name, heading, caption and how to draw it."""

    filename: str
    title: str
    caption: str
    draw: Callable[[Timeline, Summary, Path], Path | None]


#: The report's figures, in page order.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "accuracy.png",
        "Accuracy over time",
        "Prequential accuracy (each item predicted before any label of it is learned), over a "
        "recent window and over the whole run, with the true concept changes of the stream "
        "and the drift alerts raised (from labelled errors and from uncertainty alone).",
        plot_accuracy,
    ),
    FigureSpec(
        "labels.png",
        "Labels spent",
        "Labels the rule asked for against the budget line; labels the annotators returned. "
        "The gap is what the queue dropped (evicted, expired) or still holds.",
        plot_labels,
    ),
    FigureSpec(
        "queue.png",
        "Annotation queue",
        "Tasks waiting and tasks out with annotators, against the capacity; tasks lost "
        "because a better one pushed them out (evicted) or they grew too old (expired).",
        plot_queue,
    ),
    FigureSpec(
        "lag.png",
        "Label lag",
        "Time from an item's arrival to its label reaching the learner, in simulated seconds "
        "and in items the stream moved on meanwhile.",
        plot_lag,
    ),
)

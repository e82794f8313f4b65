"""The report page: one self-contained HTML file (inline style, figures as relative PNGs).

`summary_rows` turns a summary dict into readable table rows; a key it does not
know is skipped there (it is still in ``summary.json``), a known key missing
from the summary simply leaves its row out, so any loop's summary renders.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stream_al.evaluation.timeline import Timeline
from stream_al.report.drifts import match_drifts

__all__ = ["render_page", "summary_rows"]

Summary = Mapping[str, Any]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1150px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.95rem; }
th, td { text-align: left; padding: 0.3rem 0.9rem 0.3rem 0; border-bottom: 1px solid #e3e3e3;
         vertical-align: top; }
th { color: #555; font-weight: 600; }
figure { margin: 0 0 2rem; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.92rem; max-width: 60rem; }
.cols { display: flex; gap: 3rem; flex-wrap: wrap; }
code { background: #f4f4f4; padding: 0 0.25rem; }
"""


def _num(x: Any, fmt: str = ",.0f") -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _lag(seconds: Any, items: Any) -> str | None:
    if seconds is None:
        return None
    return f"{_num(seconds)} s ({_num(items)} items)"


def _positions(values: Sequence[int], limit: int = 12) -> str:
    shown = ", ".join(f"{v:,}" for v in values[:limit])
    more = f" … (+{len(values) - limit})" if len(values) > limit else ""
    return (shown + more) or "none"


_Row = tuple[str, tuple[str, ...], Callable[..., str | None]]

_ROWS: tuple[_Row, ...] = (
    ("Stream", ("source",), str),
    ("Items processed", ("items",), lambda n: f"{n:,}"),
    ("Labels asked for (budget spent)", ("labels_queried",), lambda n: f"{n:,}"),
    ("Labels returned and learned", ("labels",), lambda n: f"{n:,}"),
    (
        "Label fraction",
        ("label_fraction", "budget"),
        lambda f, b: f"{f:.2%} of items (budget {b:.1%})",
    ),
    ("Label fraction", ("label_fraction",), lambda f: f"{f:.2%}"),
    ("Accuracy (prequential, all items)", ("accuracy",), lambda a: f"{a:.3f}"),
    ("Cohen's kappa", ("kappa",), lambda k: f"{k:.3f}"),
    (
        "Accuracy estimated from random labels",
        ("unbiased_accuracy", "random_labels"),
        lambda a, n: None if a is None else f"{a:.3f} ({n:,} labels)",
    ),
    ("Majority-class baseline", ("majority_accuracy",), lambda a: f"{a:.3f}"),
    ("True drift positions", ("true_drifts",), _positions),
    ("Drift alerts (labelled errors)", ("drifts_detected",), _positions),
    ("Drift alerts (uncertainty, label-free)", ("drifts_label_free",), _positions),
    (
        "Tasks evicted / expired / dropped",
        ("evicted", "expired", "dropped"),
        lambda e, x, d: f"{e:,} / {x:,} / {d:,}",
    ),
    (
        "Leases expired / late labels lost",
        ("lease_expired", "late_labels"),
        lambda a, b: f"{a:,} / {b:,}",
    ),
    ("Largest queue size / capacity", ("queue_max", "queue_capacity"), lambda m, c: f"{m} / {c}"),
    ("Label lag, mean", ("lag_mean_s", "lag_mean_items"), _lag),
    ("Label lag, 95th percentile", ("lag_p95_s", "lag_p95_items"), _lag),
    (
        "Admission rate vs annotation capacity",
        ("admission_per_s", "annotation_capacity_per_s"),
        lambda a, c: f"{a:.2f} vs {c:.2f} labels per simulated second",
    ),
    ("Simulated time", ("simulated_seconds",), lambda t: f"{t / 60:,.1f} minutes"),
    ("Throughput", ("items_per_s", "seconds"), lambda r, s: f"{r:,.0f} items/s ({s:.1f} s wall)"),
    ("Throughput", ("items_per_s",), lambda r: f"{r:,.0f} items/s"),
    ("Strategy / model", ("strategy", "model"), lambda r, m: f"{r} / {m}"),
)


def summary_rows(summary: Summary) -> list[tuple[str, str]]:
    """Readable (label, text) rows for the summary table, in a fixed order.

    >>> for row in summary_rows({"items": 1200, "labels": 60, "label_fraction": 0.05}):
    ...     print(row)
    ('Items processed', '1,200')
    ('Labels returned and learned', '60')
    ('Label fraction', '5.00%')
    """
    rows: list[tuple[str, str]] = []
    for label, keys, show in _ROWS:
        if any(key not in summary for key in keys) or any(r[0] == label for r in rows):
            continue
        value = show(*(summary[key] for key in keys))
        if value is not None:
            rows.append((label, value))
    return rows


def _drift_rows(summary: Summary, timeline: Timeline) -> list[tuple[str, str]]:
    true = summary.get("true_drifts")
    if not true:
        return []
    rows = []
    for source, name in (("labelled", "labelled errors"), ("label_free", "uncertainty")):
        alerts = [m["position"] for m in timeline.marks if m.get("source") == source]
        rows.append((f"Drifts found ({name})", match_drifts(true, alerts).describe()))
    return rows


def _table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _alerts_table(timeline: Timeline, limit: int = 40) -> str:
    marks = [m for m in timeline.marks if m.get("kind") == "drift"]
    if not marks:
        return "<p>No drift alert was raised.</p>"
    head = "<tr><th>item</th><th>simulated time</th><th>source</th><th>detector</th></tr>"
    body = "".join(
        f"<tr><td>{m['position']:,}</td><td>{_num(m.get('time'), ',.0f')} s</td>"
        f"<td>{html.escape(str(m.get('source', '')))}</td>"
        f"<td>{html.escape(str(m.get('detector', '')))}</td></tr>"
        for m in marks[:limit]
    )
    more = f"<p>… and {len(marks) - limit} more.</p>" if len(marks) > limit else ""
    return f"<table>{head}{body}</table>{more}"


def render_page(
    title: str,
    summary: Summary,
    config: Mapping[str, Any],
    figures: Sequence[tuple[str, str, str]],
    timeline: Timeline,
) -> str:
    """The whole page; `figures` are (relative PNG path, heading, caption)."""
    rows = summary_rows(summary) + _drift_rows(summary, timeline)
    config_rows = [(str(k), "–" if v is None else str(v)) for k, v in config.items()]
    figure_html = "".join(
        f'<figure><h2>{html.escape(heading)}</h2><img src="{html.escape(src)}" '
        f'alt="{html.escape(heading)}"><figcaption>{html.escape(caption)}</figcaption></figure>'
        for src, heading, caption in figures
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="sub">{html.escape(str(summary.get("data", "")))} · '
        f"{html.escape(str(summary.get('strategy', '')))} · seed {summary.get('seed', '–')}</p>"
        f'<div class="cols"><div><h2>Summary</h2>{_table(rows)}</div>'
        f"<div><h2>Configuration</h2>{_table(config_rows)}</div></div>"
        f"{figure_html}<h2>Drift alerts</h2>{_alerts_table(timeline)}"
        "</body></html>\n"
    )

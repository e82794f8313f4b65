"""Write a report folder: ``index.html``, one PNG per figure, and ``summary.json``."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stream_al.evaluation.timeline import Timeline
from stream_al.report.figures import FIGURES
from stream_al.report.html import render_page

__all__ = ["write_report"]

logger = logging.getLogger(__name__)


def write_report(
    timeline: Timeline,
    summary: Mapping[str, Any],
    config: Mapping[str, Any],
    out: str | Path,
    title: str = "stream-al demo",
) -> Path:
    """Draw the figures the timeline allows and write the page; returns its path.

    Parameters
    ----------
    timeline
        The run's recorded series and drift marks.
    summary
        End-of-run figures (see `stream_al.report.html` for the keys shown).
    config
        The settings of the run, shown as they are.
    out
        The folder to write into (created if needed; files of a previous
        report there are replaced).
    title
        The page title.

    Examples
    --------
    >>> import tempfile
    >>> t = Timeline(every=1)
    >>> for i in range(1, 101):
    ...     t.record(i, {"accuracy": 0.5 + i / 400, "labels": i // 10})
    >>> page = write_report(t, {"items": 100, "budget": 0.1}, {"seed": 0}, tempfile.mkdtemp())
    >>> page.name, sorted(p.name for p in page.parent.glob("*.png"))
    ('index.html', ['accuracy.png', 'labels.png'])
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str, str]] = []
    for spec in FIGURES:
        path = folder / spec.filename
        if spec.draw(timeline, summary, path) is not None:
            figures.append((spec.filename, spec.title, spec.caption))
        elif path.exists():
            path.unlink()  # stale figure of an earlier report in the same folder
    doc = {"summary": _json_ready(summary), "config": _json_ready(config)}
    (folder / "summary.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    page = folder / "index.html"
    page.write_text(render_page(title, summary, config, figures, timeline), encoding="utf-8")
    logger.info("report.written path=%s figures=%d", page, len(figures))
    return page


def _json_ready(value: Any) -> Any:
    """Plain JSON types; non-finite floats become None."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)

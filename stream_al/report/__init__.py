"""Run reports: figures of a `Timeline` and a summary table, as an HTML page with PNGs.

`write_report` is the entry point; it works from any loop's timeline and
summary dict (the demo's, or a simulation's), drawing only the figures whose
series were recorded.
"""

from stream_al.report.drifts import DriftMatch, match_drifts
from stream_al.report.figures import FIGURES, FigureSpec
from stream_al.report.html import render_page, summary_rows
from stream_al.report.writer import write_report

__all__ = [
    "FIGURES",
    "DriftMatch",
    "FigureSpec",
    "match_drifts",
    "render_page",
    "summary_rows",
    "write_report",
]

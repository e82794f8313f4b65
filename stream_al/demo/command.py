"""`stream-al demo` end to end: run with a display, write the report, print the outcome."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from stream_al.demo.config import DemoConfig
from stream_al.demo.display import make_display, route_logging
from stream_al.demo.runner import DemoResult, DemoRun
from stream_al.report import write_report
from stream_al.report.html import summary_rows

__all__ = ["run_and_report"]


def run_and_report(config: DemoConfig, out: Path, console: Console) -> tuple[DemoResult, Path]:
    """Run the demo with a live (or plain) display on `console`, then write the report.

    Returns the result and the path of the report page; prints a summary table
    and the page's path.
    """
    run = DemoRun(config)
    console.print(
        f"stream-al demo: {run.stream.info.name} ({config.source}), "
        f"{run.total or 'all'} items at {config.rate:g}/s simulated, budget {config.budget:.1%}, "
        f"{config.annotators} annotators × {config.annotator_speed:g} tasks/s, "
        f"label delay {config.label_delay:g}s",
        highlight=False,
        soft_wrap=True,
    )
    with route_logging(console), make_display(console, run.total) as display:
        result = run.run(display.update)
    page = write_report(result.timeline, result.summary, result.config, out)
    console.print(summary_table(result))
    console.print(f"report: {page.resolve()}", highlight=False, soft_wrap=True)
    return result, page


def summary_table(result: DemoResult) -> Table:
    """The end-of-run figures as a two-column table."""
    table = Table(title="stream-al demo", show_header=False)
    for label, value in summary_rows(result.summary):
        table.add_row(label, value)
    return table

"""Progress of a demo run: a live rich panel on a terminal, plain lines elsewhere.

Both displays are context managers whose `update` has the `ProgressFn`
signature of the runner; the status is built only when it is shown (a few
times a second live, every ~10% of the stream in plain mode). Log records
(the drift alerts among them) go through `route_logging`, which prints them
above the live panel.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stream_al.demo.status import DemoStatus

__all__ = ["LiveDisplay", "PlainDisplay", "make_display", "route_logging", "status_line"]

_PLAIN_EVERY = 5000  # items between plain lines when the stream length is unknown


class LiveDisplay:
    """A rich panel refreshed at most `refresh_per_second` times a second.

    Parameters
    ----------
    console
        Where to draw (a terminal).
    total
        The stream length, if known (for the progress bar).
    refresh_per_second
        Most refreshes per second.
    """

    def __init__(self, console: Console, total: int | None, refresh_per_second: float = 4.0):
        self.console = console
        self.total = total
        self.interval = 1.0 / refresh_per_second
        self._bar = Progress(
            TextColumn("[bold]stream-al demo"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("items"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task = self._bar.add_task("demo", total=total)
        self._live = Live(console=console, auto_refresh=False, transient=False)
        self._next = 0.0

    def __enter__(self) -> LiveDisplay:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(kind, error, tb)

    def update(self, position: int, status: Callable[[], DemoStatus]) -> None:
        """Redraw if the last redraw is older than the refresh interval."""
        now = time.monotonic()
        if now < self._next and position != self.total:
            return
        self._next = now + self.interval
        self.show(status())

    def show(self, s: DemoStatus) -> None:
        """Redraw with status `s`."""
        self._bar.update(self._task, completed=s.position)
        self._live.update(Group(self._bar, status_table(s)), refresh=True)


class PlainDisplay:
    """One plain line per ~10% of the stream (or per 5000 items when its length is unknown).

    >>> from io import StringIO
    >>> console = Console(file=StringIO(), width=200)
    >>> display = PlainDisplay(console, total=100)
    >>> display.next_at
    10
    """

    def __init__(self, console: Console, total: int | None) -> None:
        self.console = console
        self.total = total
        self.step = max(1, math.ceil(total / 10)) if total else _PLAIN_EVERY
        self.next_at = self.step

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def update(self, position: int, status: Callable[[], DemoStatus]) -> None:
        """Print a line when `position` passes the next step (and at the end)."""
        if position < self.next_at and position != self.total:
            return
        while self.next_at <= position:
            self.next_at += self.step
        self.console.print(status_line(status()), highlight=False, soft_wrap=True)


def make_display(console: Console, total: int | None) -> LiveDisplay | PlainDisplay:
    """A live display on a terminal, plain lines otherwise."""
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveDisplay(console, total)
    return PlainDisplay(console, total)


@contextmanager
def route_logging(console: Console, level: int = logging.WARNING) -> Iterator[None]:
    """Send log records to `console` (above a live display) while the block runs.

    For the entry point only: it swaps the root logger's handlers and puts
    them back afterwards.
    """
    root = logging.getLogger()
    saved, saved_level = root.handlers[:], root.level
    handler: logging.Handler
    if console.is_terminal:
        handler = RichHandler(console=console, show_path=False, show_time=False, markup=False)
    else:
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root.handlers = [handler]
    root.setLevel(level)
    try:
        yield
    finally:
        root.handlers = saved
        root.setLevel(saved_level)


def status_table(s: DemoStatus) -> Table:
    """The live panel: two columns of figures."""
    table = Table.grid(padding=(0, 2))
    for _ in range(4):
        table.add_column()
    rows = _figures(s)
    for left, right in zip(rows[0::2], rows[1::2], strict=False):
        table.add_row(f"[dim]{left[0]}[/]", left[1], f"[dim]{right[0]}[/]", right[1])
    if len(rows) % 2:
        table.add_row(f"[dim]{rows[-1][0]}[/]", rows[-1][1], "", "")
    return table


def status_line(s: DemoStatus) -> str:
    """The status as one plain line."""
    share = f"{s.fraction:4.0%} " if s.fraction is not None else ""
    return f"demo {share}" + " | ".join(f"{name} {value}" for name, value in _figures(s))


def _figures(s: DemoStatus) -> list[tuple[str, str]]:
    unbiased = "–" if s.unbiased_accuracy is None else f"{s.unbiased_accuracy:.3f}"
    lag = (
        "–"
        if math.isnan(s.lag_seconds)
        else f"{s.lag_seconds:.0f}s / {s.lag_items:.0f} items (p95 {s.lag_p95_seconds:.0f}s)"
    )
    drift = "none"
    if s.last_drift is not None:
        d = s.last_drift
        plural = "" if s.drifts == 1 else "s"
        drift = f"{s.drifts} alert{plural}, last at item {d.position:,} ({d.source}, {d.detector})"
    items = f"{s.position:,}" + (f"/{s.total:,}" if s.total else "")
    return [
        ("items", f"{items} (t={s.sim_time:,.0f}s simulated)"),
        ("speed", f"{s.position / s.wall_seconds:,.0f} items/s" if s.wall_seconds > 0 else "–"),
        ("accuracy", f"{s.accuracy:.3f} (recent {s.window_accuracy:.3f})"),
        ("unbiased est.", unbiased),
        ("labels", f"{s.labels_spent:,} asked / {s.budget_allowed:,.0f} budget"),
        ("labelled", f"{s.labels_received:,} returned"),
        ("queue", f"{s.queue_depth} queued + {s.leased} leased / {s.capacity}"),
        ("lost", f"{s.evicted:,} evicted, {s.expired:,} expired, {s.dropped:,} dropped"),
        ("label lag", lag),
        ("last drift", drift),
    ]

"""The progress displays: plain lines off a terminal, a live panel on one, logs routed above."""

from __future__ import annotations

import logging
from io import StringIO

from rich.console import Console

from stream_al.demo import DemoConfig, DemoRun
from stream_al.demo.display import LiveDisplay, PlainDisplay, make_display, route_logging


def _console(terminal: bool) -> tuple[Console, StringIO]:
    buffer = StringIO()
    return Console(file=buffer, width=160, force_terminal=terminal, color_system=None), buffer


def test_off_a_terminal_a_plain_line_is_printed_about_every_tenth() -> None:
    console, buffer = _console(terminal=False)
    run = DemoRun(DemoConfig(data="synth:sea?drifts=1", items=2000))
    display = make_display(console, run.total)
    assert isinstance(display, PlainDisplay)
    with display:
        run.run(display.update)
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith("demo")]
    assert 9 <= len(lines) <= 11
    assert lines[-1].startswith("demo 100%")
    assert "items 2,000/2,000" in lines[-1]
    assert all("accuracy" in line and "queue" in line and "label lag" in line for line in lines)


def test_on_a_terminal_the_live_panel_shows_the_figures() -> None:
    console, buffer = _console(terminal=True)
    run = DemoRun(DemoConfig(data="synth:sea?drifts=1", items=1500))
    display = make_display(console, run.total)
    assert isinstance(display, LiveDisplay)
    with display:
        run.run(display.update)
    text = buffer.getvalue()
    for words in ("stream-al demo", "1500/1500", "accuracy", "labels", "queue", "label lag"):
        assert words in text


def test_logs_go_to_the_display_console_and_handlers_are_restored() -> None:
    console, buffer = _console(terminal=False)
    root = logging.getLogger()
    before = root.handlers[:]
    with route_logging(console):
        logging.getLogger("stream_al.test").warning("drift alert position=%d", 42)
    assert "WARNING stream_al.test: drift alert position=42" in buffer.getvalue()
    assert root.handlers == before

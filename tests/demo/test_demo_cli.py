"""`stream-al demo` through the command line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from stream_al.cli import app
from stream_al.demo import DemoConfig
from stream_al.exceptions import StrategyError

runner = CliRunner()


def test_demo_runs_and_prints_the_report_path(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["demo", "--items", "2000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out / "index.html"
    assert f"report: {page.resolve()}" in result.output
    assert page.is_file()
    assert (out / "accuracy.png").is_file()
    assert "demo 100%" in result.output  # plain progress lines: stdout is not a terminal


def test_demo_options_reach_the_run(tmp_path: Path) -> None:
    args = [
        "demo",
        "--data",
        "synth:sea?drifts=1",
        "--items",
        "1500",
        "--annotators",
        "1",
        "--annotator-speed",
        "0.05",
        "--queue-capacity",
        "20",
        "--budget",
        "0.1",
        "--out",
        str(tmp_path),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert '"queue_capacity": 20' in summary
    assert '"source": "synth:sea?drifts=1&n=1500"' in summary


def test_a_bad_strategy_is_a_stream_al_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--items", "100", "--strategy", "nope", "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, StrategyError)


def test_the_command_defaults_are_the_config_defaults() -> None:
    command = typer.main.get_command(app)
    params = {p.name: p.default for p in command.commands["demo"].params}  # type: ignore[attr-defined]
    fields = {f.name: f.default for f in dataclasses.fields(DemoConfig)}
    params.pop("out_dir")
    for name, default in params.items():
        assert default == fields[name], name

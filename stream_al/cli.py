"""The `stream-al` command line.

Every command turns a `StreamALError` into one clear line on stderr and exit
status 2; no traceback reaches the user for a mistake they can fix.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stream_al.exceptions import StreamALError

__all__ = ["app", "main"]

_SERVICES = {"run", "scorer", "queue", "learner", "produce"}

app = typer.Typer(
    name="stream-al",
    help="Streaming active learning on evolving data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


@app.command()
def simulate(
    data: Annotated[
        str, typer.Option("--data", help="CSV/ARFF/TSV file (gzip ok) or synth:NAME[?n=..]")
    ],
    target: Annotated[
        str | None, typer.Option(help="Label column (name or index; default: the class/last one)")
    ] = None,
    text: Annotated[str | None, typer.Option(help="Text column, if not detected")] = None,
    budget: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Share of items that may be labelled")
    ] = 0.05,
    strategy: Annotated[str, typer.Option(help="Decision rule (see `stream-al strategies`)")] = (
        "auto"
    ),
    model: Annotated[str, typer.Option(help="Model (see `stream-al strategies`)")] = "logreg",
    label_delay: Annotated[
        int, typer.Option(min=0, help="Items between asking for a label and getting it")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    drift: Annotated[
        str, typer.Option(help="Labelled drift detector (adwin, page_hinkley, ..., or none)")
    ] = "adwin",
    limit: Annotated[int | None, typer.Option(min=1, help="Read at most this many items")] = None,
    capacity: Annotated[
        float | None,
        typer.Option(
            min=0.0001,
            max=1.0,
            help="Labels the annotators deliver per item (below --budget: labels lag); "
            "default: every query is labelled",
        ),
    ] = None,
    fallback: Annotated[
        bool,
        typer.Option(
            help="Lag fallback: fresh-first queue, budget fitted to the annotators, "
            "rehearsal of recent labels while they come back late, a standardiser "
            "that follows recent inputs"
        ),
    ] = True,
    self_training: Annotated[
        bool,
        typer.Option(help="With the fallback, also learn confident pseudo-labels while labels lag"),
    ] = False,
    rehearse: Annotated[
        bool | None,
        typer.Option(
            "--rehearse/--no-rehearse",
            help="Replay recent human labels while labels lag (default: with the fallback)",
            show_default=False,
        ),
    ] = None,
    forget: Annotated[
        bool | None,
        typer.Option(
            "--forget/--no-forget",
            help="Linear models: standardise inputs against recent items (half-life 1,000 "
            "items), not the whole stream (default: with the fallback, when labels can lag: "
            "--label-delay or --capacity)",
            show_default=False,
        ),
    ] = None,
    queue_size: Annotated[
        int, typer.Option(min=1, help="Annotation queue capacity with --capacity")
    ] = 500,
    half_life: Annotated[
        float, typer.Option(min=1.0, help="Items for a queued task's priority to halve")
    ] = 1000.0,
    item_ttl: Annotated[
        float | None, typer.Option(min=1.0, help="Items after which a queued task is dropped")
    ] = 5000.0,
    warmup: Annotated[
        int, typer.Option(min=0, help="Also report accuracy after the first N items")
    ] = 0,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON here ('-': stdout)")
    ] = None,
) -> None:
    """Prequential evaluation of the active-learning loop on a labelled file."""
    from stream_al.lag.options import LagOptions
    from stream_al.run_simulation import run_simulation

    # drift alerts are part of the result (`drifts`); one log line each would drown the table
    logging.getLogger("stream_al.drift").setLevel(logging.ERROR)

    result = run_simulation(
        data=data,
        target=target,
        text=text,
        budget=budget,
        strategy=strategy,
        model=model,
        label_delay=label_delay,
        seed=seed,
        drift=drift,
        limit=limit,
        progress=err if err.is_terminal else None,
        lag=LagOptions(
            capacity,
            fallback,
            queue_size,
            half_life,
            item_ttl,
            self_training,
            rehearse=rehearse,
            forget=forget,
        ),
        warmup=warmup,
    )
    doc = result.to_dict()
    if json_out is not None and str(json_out) == "-":
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    if json_out is not None:
        json_out.write_text(json.dumps(doc, indent=2) + "\n")
    table = Table(title=f"stream-al simulate: {result.data}", show_header=False)
    keys = ("items", "labels", "label_fraction", "accuracy", "kappa", "pseudo_labels")
    for key in (*keys, "label_free_accuracy", "items_per_s"):
        value = doc[key]
        table.add_row(
            key,
            f"{value:.4f}" if isinstance(value, float) else "-" if value is None else str(value),
        )
    table.add_row("strategy / model", f"{result.strategy} / {result.model}")
    table.add_row("drifts", ", ".join(map(str, result.drifts[:12])) or "none")
    out.print(table)


@app.command()
def strategies() -> None:
    """List the decision rules, models and drift detectors that can be chosen."""
    from stream_al.drift.registry import LABEL_FREE_DETECTORS, LABELLED_DETECTORS
    from stream_al.model import MODELS
    from stream_al.rules import RULES

    for title, entries in (("strategy", RULES), ("model", MODELS)):
        table = Table(title=f"--{title}")
        table.add_column("name")
        table.add_column("what it does")
        for name, what in entries.items():
            table.add_row(name, what)
        out.print(table)
    out.print("--drift: " + ", ".join((*LABELLED_DETECTORS, "none")))
    out.print("label-free detectors: " + ", ".join(LABEL_FREE_DETECTORS))


@app.command()
def demo(
    data: Annotated[
        str, typer.Option(help="Stream: synth:NAME[?...] or a CSV/ARFF file open_stream reads")
    ] = "synth:agrawal?drifts=3&concepts=0,7,4,9",
    items: Annotated[
        int | None,
        typer.Option(min=1, help="Stream length (synthetic without n=: 60000; files: all)"),
    ] = None,
    rate: Annotated[float, typer.Option(min=0.001, help="Items per simulated second")] = 10.0,
    budget: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Share of items that may be labelled")
    ] = 0.05,
    strategy: Annotated[str, typer.Option(help="Decision rule (see `stream-al strategies`)")] = (
        "auto"
    ),
    model: Annotated[str, typer.Option(help="Model (see `stream-al strategies`)")] = (
        "hoeffding_tree"
    ),
    drift: Annotated[str, typer.Option(help="Labelled drift detector (adwin, ddm, ...)")] = (
        "adwin"
    ),
    queue_capacity: Annotated[int, typer.Option(min=1, help="Most tasks the queue holds")] = 200,
    half_life: Annotated[
        float, typer.Option(min=0.001, help="Simulated seconds for a task's priority to halve")
    ] = 300.0,
    item_ttl: Annotated[
        float, typer.Option(min=0.0, help="Simulated seconds a task may wait (0: forever)")
    ] = 1200.0,
    lease_ttl: Annotated[
        float | None,
        typer.Option(min=0.001, help="Simulated seconds a lease lasts (default 3×label delay)"),
    ] = None,
    annotators: Annotated[int, typer.Option(min=1, help="Simulated annotators")] = 3,
    annotator_speed: Annotated[
        float, typer.Option(min=0.0001, help="Tasks each annotator takes per simulated second")
    ] = 0.12,
    label_delay: Annotated[
        float, typer.Option(min=0.0, help="Mean simulated seconds from lease to label")
    ] = 60.0,
    pass_share: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="Share of leases released or skipped")
    ] = 0.04,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the report (index.html and PNGs)")
    ] = Path("stream-al-report"),
) -> None:
    """The whole loop on this machine, no broker: stream, queue, annotators, learner, report."""
    from stream_al.demo import DemoConfig
    from stream_al.demo.command import run_and_report

    config = DemoConfig(
        data=data,
        items=items,
        rate=rate,
        budget=budget,
        strategy=strategy,
        model=model,
        drift=drift,
        queue_capacity=queue_capacity,
        half_life=half_life,
        item_ttl=item_ttl or None,
        lease_ttl=lease_ttl,
        annotators=annotators,
        annotator_speed=annotator_speed,
        label_delay=label_delay,
        pass_share=pass_share,
        seed=seed,
    )
    run_and_report(config, out_dir, out)


def _register_service() -> None:
    from stream_al.service_cli import register

    register(app)


_register_service()


def _register_annotators() -> None:
    from stream_al.api.cli import annotators_app

    app.add_typer(annotators_app, name="annotators")


_register_annotators()


def main() -> None:
    """Entry point of the `stream-al` script."""
    logging.basicConfig(
        level=logging.INFO if len(sys.argv) > 1 and sys.argv[1] in _SERVICES else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except StreamALError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None

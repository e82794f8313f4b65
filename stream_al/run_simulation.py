"""Build and run a simulation from command-line style options."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stream_al.datasets import open_stream
from stream_al.drift.monitor import DriftMonitor
from stream_al.evaluation.timeline import Timeline
from stream_al.lag.options import LagOptions
from stream_al.model import make_model
from stream_al.rules import make_rule
from stream_al.simulate import SimulationResult, simulate

__all__ = ["run_simulation"]


def run_simulation(
    data: str,
    target: str | None = None,
    text: str | None = None,
    budget: float = 0.05,
    strategy: str = "auto",
    model: str = "logreg",
    label_delay: int = 0,
    seed: int = 0,
    drift: str = "adwin",
    limit: int | None = None,
    progress: Console | None = None,
    timeline: Timeline | None = None,
    lag: LagOptions | None = None,
    warmup: int = 0,
) -> SimulationResult:
    """Open `data`, build the model, rule and monitor by name, and simulate.

    Raises a `StreamALError` subclass (with a message for the user) for any
    bad option or input.
    """
    stream = open_stream(data, target=target, text=text, limit=limit, seed=seed)
    info = stream.info
    rule = make_rule(strategy, budget, seed=seed)
    options = lag or LagOptions()
    learner_model = make_model(
        model,
        classes=info.classes,
        seed=seed,
        text=info.text is not None,
        halflife=options.input_halflife(lagging=label_delay > 0 or options.capacity is not None),
    )
    monitor = None if drift == "none" else DriftMonitor(labelled=drift)
    annotators, self_training, pacer = options.build(rule.budget)
    rehearsal = options.rehearsal(seed)

    def run(on_progress: Callable[[int], None] | None = None) -> SimulationResult:
        return simulate(
            stream,
            learner_model,
            rule,
            label_delay=label_delay,
            monitor=monitor,
            seed=seed,
            data=info.name,
            timeline=timeline,
            on_progress=on_progress,
            annotators=annotators,
            self_training=self_training,
            pacer=pacer,
            warmup=warmup,
            rehearsal=rehearsal,
        )

    if progress is None:
        return run()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=progress, transient=True) as bar:
        task = bar.add_task(info.name, total=limit or info.n_items)
        return run(lambda position: bar.update(task, completed=position))

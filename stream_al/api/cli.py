"""`stream-al annotators add | list | revoke`: who may use the annotation API.

The annotators live in the store's file (``[store] path`` of ``--config``),
so these commands work beside a running `stream-al run` or `queue`. `add`
prints the new token alone on stdout (``TOKEN=$(stream-al annotators add
ana)``) and a hint on stderr; the token is not kept and cannot be shown again.
Exit status 1: a name is taken, unknown or not allowed; 2: the configuration
or the store cannot be used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from stream_al.api.auth import AnnotatorRegistry, Role
from stream_al.api.errors import ApiError
from stream_al.exceptions import ConfigError, StreamALError

__all__ = ["annotators_app"]

annotators_app = typer.Typer(
    help="Annotators of the annotation API: add (prints a token once), list, revoke.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML configuration: its [store] path holds the annotators"),
]


@contextmanager
def _registry(config: Path | None) -> Iterator[tuple[AnnotatorRegistry, Path]]:
    from stream_al.api.annotator_tables import open_registry
    from stream_al.config import load_settings

    try:
        settings = load_settings(config)
        path = settings.store.path
        if str(path) == ":memory:":
            raise ConfigError(
                'the store is in memory ([store] path = ":memory:"): its annotators exist only '
                "inside the running service; set [api] token (STREAM_AL_API__TOKEN) and add "
                "annotators with POST /v1/annotators, or use a store file"
            )
        api = settings.api
        registry = open_registry(path, api.token, api.token_name, settings.store.busy_timeout_s)
    except StreamALError as error:
        _fail(error, 2)
    try:
        yield registry, path
    except ApiError as error:
        _fail(error, 1)
    except StreamALError as error:
        _fail(error, 2)
    finally:
        registry.close()


def _fail(error: StreamALError, code: int) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code)


@annotators_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The annotator's name (letters, digits, ._@-)")],
    admin: Annotated[bool, typer.Option("--admin", help="May also manage annotators")] = False,
    config: ConfigOption = None,
) -> None:
    """Register an annotator and print their token (only the token, on stdout, once)."""
    role = Role.ADMIN if admin else Role.ANNOTATOR
    with _registry(config) as (registry, _):
        token = registry.add(name, role)
    typer.echo(token)
    typer.echo(
        f"added {role.value} {name!r}: the token above is shown once; they send it as "
        "'Authorization: Bearer <token>'",
        err=True,
    )


@annotators_app.command("list")
def list_annotators(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False,
) -> None:
    """List annotators: name, role, created, revoked, labels given."""
    from stream_al.api.tallies import LabelTally
    from stream_al.store import open_store

    with _registry(config) as (registry, path):
        annotators = registry.annotators()
        store = open_store(path)
        try:
            tally = LabelTally(store)
            rows = [(a, tally.of(a.name)) for a in annotators]
        finally:
            store.close()
    if as_json:
        for a, labels in rows:
            doc = {"name": a.name, "role": a.role.value, "created": a.created}
            typer.echo(json.dumps(doc | {"revoked": a.revoked, "labels": labels}))
        return
    table = Table(title=f"annotators of {path}")
    for column in ("name", "role", "created", "revoked", "labels"):
        table.add_column(column)
    for a, labels in rows:
        revoked = "-" if a.revoked is None else _when(a.revoked)
        table.add_row(a.name, a.role.value, _when(a.created), revoked, str(labels))
    Console().print(table)


@annotators_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The annotator whose token stops working")],
    config: ConfigOption = None,
) -> None:
    """Revoke an annotator: their token fails with 401 from now on (the name stays taken).

    A running API gives the tasks they held leased back to the queue within a
    few seconds. Unlike the API, this may revoke the last admin (it says so).
    """
    with _registry(config) as (registry, _):
        last = registry.is_last_admin(registry.get(name))
        registry.revoke(name)
    typer.echo(f"revoked {name!r}")
    typer.echo(
        "their token fails from now on; a running API gives the tasks they held back to the "
        "queue within a few seconds",
        err=True,
    )
    if last:
        typer.echo(
            f"{name!r} was the last admin: no one can manage annotators through the API now; "
            "add one with `stream-al annotators add NAME --admin` (or set [api] token)",
            err=True,
        )


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="seconds")

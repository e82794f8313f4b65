"""The shared entry point of the role processes in this folder."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from stream_al.exceptions import StreamALError
from stream_al.service_cli import serve


def main(role: str, doc: str | None, argv: list[str] | None = None) -> None:
    """Parse ``--config`` and run `role` until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog=f"consumers.{role}", description=doc)
    parser.add_argument("--config", type=Path, default=None, help="TOML configuration")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        serve(args.config, {role})
    except StreamALError as exc:
        raise SystemExit(f"error: {exc}") from None

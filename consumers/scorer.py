"""The scorer process: `python -m consumers.scorer --config FILE` (same as `stream-al scorer`).

A thin shell: the loop, its commit order and its recovery live in `stream_al.service`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from stream_al.exceptions import StreamALError
from stream_al.service_cli import serve


def main(argv: list[str] | None = None) -> None:
    """Parse `--config` and run the scorer until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="consumers.scorer", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="TOML configuration")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        serve(args.config, {"scorer"})
    except StreamALError as exc:
        raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()

"""Health check of the stream-al image (Dockerfile HEALTHCHECK): exit status 0 when healthy.

It finds the container's ``stream-al`` process and checks what that role can show:

- ``run`` and ``queue`` serve the annotation API: healthy when ``GET /healthz``
  answers 200 (port: ``STREAM_AL_API__PORT``, else ``[api] port`` of the
  ``--config`` file, else 8000);
- ``scorer``, ``learner`` and ``produce`` serve no HTTP: healthy while the
  process runs (they exit on an error they cannot ride out, and the restart
  policy brings them back).

Standard library only, so that a check every 30 s costs a few milliseconds.
"""

from __future__ import annotations

import os
import sys
import tomllib
import urllib.request
from pathlib import Path

API_ROLES = {"run", "queue"}
TIMEOUT_S = 3.0


def stream_al_argv() -> list[str] | None:
    """The command line of the stream-al process (after the script), if one runs."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            raw = (proc / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        words = [w.decode(errors="replace") for w in raw.split(b"\0")]
        for i, word in enumerate(words[:2]):
            if Path(word).name == "stream-al":
                return [w for w in words[i + 1 :] if w]
    return None


def api_port(argv: list[str]) -> int:
    """The API port: environment, then the config file, then the default."""
    if os.environ.get("STREAM_AL_API__PORT"):
        return int(os.environ["STREAM_AL_API__PORT"])
    if "--config" in argv[:-1]:
        path = Path(argv[argv.index("--config") + 1])
        try:
            return int(tomllib.loads(path.read_text()).get("api", {}).get("port", 8000))
        except (OSError, tomllib.TOMLDecodeError, ValueError):
            pass  # the service itself reports a bad config; check the default port
    return 8000


def check(argv: list[str]) -> str | None:
    """Why the stream-al process run as ``stream-al ARGV...`` is unhealthy (None: healthy)."""
    role = argv[0] if argv else ""
    if role not in API_ROLES:
        return None
    url = f"http://127.0.0.1:{api_port(argv)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            status = answer.status
    except OSError as exc:  # refused, timed out, or an HTTP error status
        return f"{url}: {exc}"
    return None if status == 200 else f"{url}: status {status}"


def main() -> int:
    argv = stream_al_argv()
    reason = "no stream-al process is running" if argv is None else check(argv)
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Lease + label round trips of the annotation API, with the scorer running beside it.

    python benchmarks/annotation_api.py [--annotators 8] [--seconds 20] [--rate 2000]
        [--budget 0.2] [--think-ms 250] [--json OUT]

One run, on this machine:

1. A fresh store file and a config; ``--annotators`` annotators are added with
   ``stream-al annotators add`` (their tokens read from its stdout).
2. ``stream-al run`` starts in its own process with the embedded transport,
   replaying ``synth:agrawal`` into the input topic at ``--rate`` events/s: the
   scorer, the queue, the learner and the API share the process, as they do
   when a team tries stream-al out on one machine.
3. Once the queue holds tasks, each annotator (a thread of this process, with
   its own HTTP connection) repeats for ``--seconds``: ``POST /v1/tasks/lease?n=1``
   then ``POST /v1/labels`` with the task's first class. A round trip is the two
   requests together; an empty lease (nothing queued) is counted, not timed.
   Two phases, one after the other:

   - **saturated**: no pause between round trips. Eight clients that never
     stop measure the server's capacity; by Little's law their latency is
     8 / (round trips per second), so it says how fast the server is, not what
     an annotator waits.
   - **paced**: each annotator pauses after each round trip, for a random
     time (exponential) of mean ``--think-ms`` (250 ms: four labels a second
     each, ten times faster than a person reading an item; random, so the
     annotators do not march in step). The latency is what an annotator's
     click waits, with the scorer busy beside it.
4. The scorer's rate over the same seconds comes from ``GET /metrics``
   (items scored), so the table shows that it kept running.

``--json OUT`` writes ``round_trips_per_s``, ``p50_ms``, ``p99_ms`` (saturated)
and ``paced_round_trips_per_s``, ``paced_p50_ms``, ``paced_p99_ms``, and the
rest of the table. Target: p99 under 50 ms. The exit code is 0 either way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

TARGET_P99_MS = 50.0
READY_TIMEOUT_S = 60.0
SCORED = re.compile(r"^stream_al_items_scored_total\s+([0-9.e+]+)$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stream_al(*args: str, env: dict[str, str]) -> str:
    """Run the CLI of this checkout's environment; its stdout."""
    exe = Path(sys.executable).with_name("stream-al")
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write_config(folder: Path, port: int, budget: float) -> Path:
    path = folder / "stream-al.toml"
    path.write_text(
        f'[store]\npath = "{folder / "bench.db"}"\n\n'
        f"[api]\nport = {port}\n\n"
        f"[strategy]\nbudget = {budget}\n\n"
        "[queue]\ncapacity = 1000\n\n"
        '[model]\nclasses = ["0", "1"]\n'
    )
    return path


def wait_ready(url: str, token: str, need: int) -> None:
    """Until the API answers and the queue holds `need` tasks."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        try:
            stats = httpx.get(f"{url}/v1/stats", headers=headers, timeout=2.0)
            if stats.status_code == 200 and stats.json()["queue_depth"] >= need:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API at {url} did not hold {need} tasks within {READY_TIMEOUT_S} s")


def scored(url: str) -> float:
    match = SCORED.search(httpx.get(f"{url}/metrics", timeout=5.0).text)
    return float(match.group(1)) if match else float("nan")


def annotate(url: str, token: str, until: float, out: dict[str, Any], think: float = 0.0) -> None:
    """One annotator: lease one task, label it, pause `think` seconds, again, until `until`."""
    trips: list[float] = []
    empty = errors = 0
    pauses = random.Random(token)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        while time.monotonic() < until:
            start = time.perf_counter()
            lease = client.post("/v1/tasks/lease", params={"n": 1})
            tasks = lease.json().get("tasks", []) if lease.status_code == 200 else []
            if not tasks:
                empty += 1
                errors += lease.status_code != 200
                time.sleep(0.01)
                continue
            task = tasks[0]
            body = {"labels": [{"item_id": task["item_id"], "label": task["classes"][0]}]}
            label = client.post("/v1/labels", json=body)
            if label.status_code != 200:
                errors += 1
                continue
            trips.append(time.perf_counter() - start)
            if think:  # random pauses: the annotators do not march in step
                time.sleep(pauses.expovariate(1.0 / think))
    out.update(trips=trips, empty=empty, errors=errors)


def measure(args: argparse.Namespace, out: Console) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="stream-al-api-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = write_config(folder, port, args.budget)
    env = {**os.environ, "NO_PROXY": "127.0.0.1"}
    names = [f"annotator-{k}" for k in range(args.annotators)]
    tokens = [
        stream_al("annotators", "add", name, "--config", str(config), env=env) for name in names
    ]
    out.print(f"starting stream-al run (replay at {args.rate:,.0f} events/s) on {url} ...")
    service = subprocess.Popen(
        [str(Path(sys.executable).with_name("stream-al")), "run", "--config", str(config),
         "--replay", f"synth:agrawal?n={int(args.rate * (args.seconds + 120))}",
         "--rate", str(args.rate)],
        env=env, stdout=subprocess.DEVNULL, stderr=(folder / "run.log").open("w"),
    )  # fmt: skip
    try:
        wait_ready(url, tokens[0], need=4 * args.annotators)
        out.print(f"{args.annotators} annotators, saturated then paced, {args.seconds:.0f} s each")
        scored_before, began = scored(url), time.monotonic()
        saturated = phase(url, tokens, args.seconds, think=0.0)
        wait_ready(url, tokens[0], need=4 * args.annotators)
        paced = phase(url, tokens, args.seconds, think=args.think_ms / 1000)
        scorer_rate = (scored(url) - scored_before) / (time.monotonic() - began)
    finally:
        service.terminate()
        service.wait(timeout=30)
    return {
        "annotators": args.annotators,
        **saturated,
        **{f"paced_{key}": value for key, value in paced.items()},
        "think_ms": args.think_ms,
        "scorer_events_per_s": scorer_rate,
        "replay_rate": args.rate,
        "target_p99_ms": TARGET_P99_MS,
    }


def phase(url: str, tokens: list[str], seconds: float, think: float) -> dict[str, Any]:
    """Every annotator at once for `seconds`, pausing `think` s after each round trip."""
    began = time.monotonic()
    results: list[dict[str, Any]] = [{} for _ in tokens]
    threads = [
        threading.Thread(target=annotate, args=(url, token, began + seconds, result, think))
        for token, result in zip(tokens, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    trips = np.array([t for r in results for t in r["trips"]]) * 1000
    return {
        "seconds": elapsed,
        "round_trips": int(trips.size),
        "round_trips_per_s": trips.size / elapsed,
        "p50_ms": float(np.percentile(trips, 50)) if trips.size else None,
        "p99_ms": float(np.percentile(trips, 99)) if trips.size else None,
        "max_ms": float(trips.max()) if trips.size else None,
        "empty_leases": sum(r["empty"] for r in results),
        "errors": sum(r["errors"] for r in results),
    }


def table(result: dict[str, Any]) -> Table:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f} ms"

    def verdict(prefix: str) -> str:
        p99 = result[f"{prefix}p99_ms"]
        passed = p99 is not None and p99 < TARGET_P99_MS and not result[f"{prefix}errors"]
        return "PASS" if passed else "FAIL"

    out = Table(title=f"annotation API: {result['annotators']} annotators, lease + label")
    out.add_column("measure")
    out.add_column("saturated (no pause)", justify="right")
    out.add_column(f"paced (~{result['think_ms']:.0f} ms pauses)", justify="right")
    both = ("", "paced_")
    out.add_row("round trips (lease + label)", *(f"{result[p + 'round_trips']:,}" for p in both))
    rates = (f"{result[p + 'round_trips_per_s']:,.1f}" for p in both)
    out.add_row("round trips per second", *rates)
    out.add_row(
        "latency p50 / p99 / max",
        *(" / ".join(ms(result[p + k]) for k in ("p50_ms", "p99_ms", "max_ms")) for p in both),
    )
    out.add_row(
        "empty leases / errors",
        *(f"{result[p + 'empty_leases']:,} / {result[p + 'errors']:,}" for p in both),
    )
    out.add_row(f"target: p99 < {TARGET_P99_MS:.0f} ms", *(verdict(p) for p in both))
    out.caption = (
        f"scorer beside it: {result['scorer_events_per_s']:,.0f} events/s "
        f"(replay at {result['replay_rate']:,.0f}/s)"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotators", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="events/s replayed")
    parser.add_argument("--budget", type=float, default=0.2, help="keeps the queue fed")
    parser.add_argument(
        "--think-ms", type=float, default=250.0, help="pause after a round trip (paced phase)"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    out = Console()
    result = measure(args, out)
    out.print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

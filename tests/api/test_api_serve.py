"""`stream-al run` as a process: it serves the API and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

TOKEN = "a-test-admin-token-of-enough-length"


class Run:
    """`stream-al run --config CONFIG ...` as a process, its stderr read line by line."""

    def __init__(self, config: Path, *extra: str) -> None:
        command = [sys.executable, "-m", "stream_al", "run", "--config", str(config), *extra]
        env = {**os.environ, "STREAM_AL_API__TOKEN": TOKEN}
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        stderr = self.process.stderr
        assert stderr is not None
        self.reader = threading.Thread(target=lambda: [self.lines.put(line) for line in stderr])
        self.reader.start()

    def client(self) -> httpx.Client:
        """A client of its API, as the ``[api] token`` admin, once it listens."""
        url = _wait_for(self.lines, re.compile(r"api listening url=(\S+)"))
        return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"})

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit status and what it wrote meanwhile."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        self.reader.join(10)
        return code, "".join(_drain(self.lines))


def test_run_serves_the_api_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "stream-al.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "s.db"}"\n'
        '[model]\nclasses = ["False", "True"]\n'
        "[strategy]\nbudget = 0.3\n"
        "[scorer]\npoll_timeout_ms = 50\n"
        "[api]\nport = 0\n"
    )
    run = Run(config, "--replay", "synth:sea?n=400")
    try:
        client = run.client()
        deadline = time.monotonic() + 20
        while (health := client.get("/healthz")).status_code != 200:  # served while starting
            assert health.status_code == 503, health.text
            assert time.monotonic() < deadline, health.text
            time.sleep(0.05)
        assert health.json() == {"status": "ok", "waiting": {}}
        assert client.get("/v1/me").json()["role"] == "admin"
        while not (tasks := client.post("/v1/tasks/lease").json()["tasks"]):
            assert time.monotonic() < deadline, "no task reached the queue"
            time.sleep(0.05)
        label = tasks[0]["classes"][0]
        answer = client.post(
            "/v1/labels", json={"labels": [{"item_id": tasks[0]["item_id"], "label": label}]}
        )
        assert answer.json()["results"][0]["status"] == "accepted"
        client.close()
    finally:
        code, rest = run.stop()
    assert code == 0
    assert "api stopped" in rest
    assert "Traceback" not in rest


def _wait_for(lines: queue.Queue[str], pattern: re.Pattern[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if match := pattern.search(line):
            return match.group(1)
    raise AssertionError("the API never said it listens:\n" + "".join(seen))


def _drain(lines: queue.Queue[str]) -> list[str]:
    out = []
    while not lines.empty():
        out.append(lines.get_nowait())
    return out


def test_while_the_broker_is_unreachable_the_api_serves_and_sigterm_exits_0(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    config = tmp_path / "stream-al.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = ["127.0.0.1:{closed}"]\n'
        f'[store]\npath = "{tmp_path / "s.db"}"\n'
        '[model]\nclasses = ["no", "yes"]\n'
        "[api]\nport = 0\n"
    )
    run = Run(config)
    try:
        client = run.client()
        deadline = time.monotonic() + 20
        while "broker" not in (health := client.get("/healthz")).json()["waiting"]:
            assert time.monotonic() < deadline, health.text
            time.sleep(0.1)
        assert health.status_code == 503
        waiting = health.json()["waiting"]
        assert waiting["broker"].startswith("unreachable since 20")
        assert waiting["service"].startswith("starting since 20")
        assert client.get("/v1/tasks/lease").status_code == 405  # the API answers as usual
        assert client.post("/v1/tasks/lease").json()["tasks"] == []
        assert client.get("/v1/stats").status_code == 200
        client.close()
    finally:
        code, rest = run.stop()
    assert code == 0
    assert "stopped before the broker answered" in rest
    assert "Traceback" not in rest

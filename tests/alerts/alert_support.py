"""Helpers of the alert tests: alerts, waiting, and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from stream_al.drift.alerts import AlertKind, DriftAlert, Severity


def make_alert(
    position: int = 1,
    kind: AlertKind = "drift",
    severity: Severity = "warning",
    detector: str = "adwin",
) -> DriftAlert:
    return DriftAlert(
        kind=kind,
        severity=severity,
        detector=detector,
        source="labelled" if kind == "drift" else "queue",
        statistic=0.25,
        position=position,
        time=float(position),
        message=f"error rate rose at {position}",
    )


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether `condition` came true within `timeout` seconds (polled every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def free_port() -> int:
    """A port nothing listens on (bound once by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Receiver:
    """A webhook receiver: records every POST, answers the scripted statuses, then 200."""

    port: int = 0
    statuses: deque[int] = field(default_factory=deque)
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False  # each request waits for `release` (at most `hold_s`) before answering
    hold_s: float = 5.0
    release: threading.Event = field(default_factory=threading.Event)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/T000/B000/secret-token"

    @property
    def requests(self) -> int:
        return len(self.bodies)

    def start(self) -> Receiver:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, body: bytes, content_type: str) -> tuple[int, dict[str, str]]:
        self.content_types.append(content_type)
        self.bodies.append(json.loads(body))
        if self.hold:
            self.release.wait(self.hold_s)
        status = self.statuses.popleft() if self.statuses else 200
        return status, (self.headers if status != 200 else {})


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, headers = receiver.answer(body, self.headers.get("Content-Type", ""))
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left: what the timeout test wants

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests assert on what was received."""

    return Handler

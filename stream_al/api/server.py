"""`ApiServer`: uvicorn serving an app on a background thread, started and stopped cleanly.

The service loop keeps the main thread (and the signal handlers); the server
runs beside it. `start` returns once the socket listens, with the bound port
(port 0 picks a free one); `stop` asks uvicorn to finish its requests and
waits for the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from stream_al.api.errors import ApiError

__all__ = ["ApiServer"]

logger = logging.getLogger(__name__)


class ApiServer:
    """An ASGI app served by uvicorn on a thread of this process.

    Parameters
    ----------
    app
        The app (`create_app`).
    host, port
        Where to listen; port 0 picks a free port.
    on_stop
        Called once the server has stopped (e.g. to close the annotator registry).

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> import httpx
    >>> with ApiServer(FastAPI(), "127.0.0.1", 0) as server:
    ...     httpx.get(f"{server.url}/openapi.json").status_code
    200
    """

    def __init__(
        self, app: ASGIApp, host: str, port: int, on_stop: Callable[[], None] | None = None
    ) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # only the entry point configures logging
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            proxy_headers=False,  # the app believes X-Forwarded-For from [api] trusted_proxies only
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        self.host = host
        self.port: int | None = None
        self._on_stop = on_stop
        self._thread = threading.Thread(target=self._serve, name="api", daemon=True)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8000`` (after `start`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ApiServer:
        """Start serving; returns once listening. `ApiError` if the server cannot listen."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ApiError(
                    "cannot_listen",
                    f"the annotation API could not listen on {self.host}:{self.server.config.port} "
                    "(see the log above); is the port taken? set [api] port (0: any free port)",
                )
            time.sleep(0.01)
        self.port = int(self.server.servers[0].sockets[0].getsockname()[1])
        logger.info("api listening url=%s", self.url)
        return self

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit as exit:  # uvicorn exits when it cannot start; `start` reports it
            logger.error("api server did not start status=%s", exit.code)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the requests in progress, stop listening, wait for the thread (idempotent)."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("api thread still running after %.0f s; leaving it", timeout)
        if self._on_stop is not None:
            on_stop, self._on_stop = self._on_stop, None
            on_stop()
        logger.info("api stopped")

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""ASGI middleware of the annotation API: a body size limit and request counting.

`BodyLimit` refuses a body over the limit before anything parses it: at once
when ``Content-Length`` says so, else as soon as the streamed bytes pass the
limit (a chunked upload). `RequestCounter` counts answers by route template
(never by raw path, so the label set stays bounded), method and status.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stream_al.api.errors import BodyTooLargeError

__all__ = ["BodyLimit", "BodyTooLarge", "RequestCounter"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the streamed body passes the limit.

    An `HTTPException`, so the framework passes it on to the app's handler
    (which answers 413) rather than reporting a body that failed to parse.
    """

    def __init__(self, limit: int) -> None:
        self.error = _too_large(limit)
        super().__init__(status_code=413, detail=self.error.message)


def _too_large(limit: int) -> BodyTooLargeError:
    return BodyTooLargeError(
        "body_too_large",
        f"the request body is larger than {limit} bytes ([api] max_body_bytes); "
        "send fewer labels per request",
    )


class BodyLimit:
    """Refuse request bodies larger than `limit` bytes with a JSON 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _send_json(send, 413, _too_large(self.limit).to_json())
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


class RequestCounter:
    """Count each answer with ``count(route, method, status)``."""

    def __init__(self, app: ASGIApp, count: Callable[[str, str, int], None]) -> None:
        self.app = app
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) if route is not None else None
            method = str(scope.get("method", ""))
            self.count(template or "(unmatched)", method if method in _METHODS else "OTHER", status)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, doc: dict[str, object]) -> None:
    body = json.dumps(doc).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""Security headers on every answer of the API: JSON, errors, pages, static files, 404s.

The pages hold annotators' tokens, so they must not be framed by another
origin (clickjacking), sniffed into another type, or leak their address in a
``Referer``. `SECURITY_HEADERS` says so; `SecurityHeaders` (the outermost
middleware) adds them to every answer, and the handler of unexpected errors
adds them to its 500 too (it answers outside the middleware). The
Content-Security-Policy is the one the pages already carry in a meta tag,
plus ``frame-ancestors 'none'`` (which a meta tag cannot set): same-origin
scripts, styles, images and API calls only.

>>> dict(SECURITY_HEADERS)["x-frame-options"]
'DENY'
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "SecurityHeaders"]

#: Same-origin scripts, styles, images and connections; no plugin, base, form target or framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

#: Every answer's security headers (lower-case names).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
)


class SecurityHeaders:
    """ASGI middleware: set `SECURITY_HEADERS` on every HTTP answer (replacing any set before)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)

"""Every error answer of the API as ``{"error": code, "message": ..., "item_id"?}``.

Handlers turn the API's own errors, the framework's (unknown route, wrong
method, invalid request) and the queue's into that one shape, with the HTTP
status each stands for; anything unexpected is a logged 500 that says to
look at the server log, never a traceback (and with the security headers,
since it answers outside the middleware that adds them to the rest).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from stream_al.api.errors import ApiError, TooManyFailuresError, UnauthorizedError
from stream_al.api.headers import SECURITY_HEADERS
from stream_al.api.middleware import BodyTooLarge
from stream_al.exceptions import LeaseError, QueueError, UnknownItemError

__all__ = ["install_error_handlers"]

logger = logging.getLogger(__name__)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with the API's JSON error shape."""
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(QueueError, _queue_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def _answer(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    if isinstance(error, UnauthorizedError):
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if isinstance(error, TooManyFailuresError):
        headers = {**(headers or {}), "Retry-After": str(error.retry_after)}
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return _answer(error)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    if isinstance(error, BodyTooLarge):
        return _answer(error.error)
    if error.status_code == 400:  # a body that is not even text: as invalid as bad JSON
        body = ApiError(
            "invalid_request",
            f"the request body cannot be read ({error.detail}); send JSON in UTF-8 "
            "(see /docs for the request shape)",
        ).to_json()
        return JSONResponse(body, status_code=422)
    code = _HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
    headers = error.headers
    if error.status_code == 404:
        message = f"no route {request.url.path}; the routes are listed at /docs"
    elif error.status_code == 405:
        allowed = _allowed_methods(request, (error.headers or {}).get("Allow", ""))
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        message = (
            f"{request.method} is not allowed on {request.url.path} "
            f"(allowed: {', '.join(allowed)}); see /docs"
        )
    else:
        message = str(error.detail)
    body = ApiError(code, message).to_json()
    return JSONResponse(body, status_code=error.status_code, headers=headers)


def _allowed_methods(request: Request, given: str) -> list[str]:
    """Every method served at the request's path: the route's own (`given`) and, for a path
    several routes share, theirs too, read from the OpenAPI document."""
    methods = {m.strip().upper() for m in given.split(",") if m.strip()}
    path = request.scope.get("path", "")
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods.update(name.upper() for name in operations if name.upper() in _METHODS)
    return sorted(methods)


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = []
    for problem in error.errors()[:5]:
        where = ".".join(str(part) for part in problem.get("loc", ()))
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
    more = len(error.errors()) - len(problems)
    message = "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
    body = ApiError("invalid_request", f"{message} (see /docs for the request shape)").to_json()
    return JSONResponse(body, status_code=422)


async def _queue_error(request: Request, error: QueueError) -> JSONResponse:
    if isinstance(error, UnknownItemError):
        return JSONResponse(ApiError("unknown_item", str(error)).to_json(), status_code=404)
    code = "not_your_lease" if isinstance(error, LeaseError) else "queue_refused"
    return JSONResponse(ApiError(code, str(error)).to_json(), status_code=409)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error(
        "api.error method=%s path=%s error=%r",
        request.method,
        request.url.path,
        error,
        exc_info=error,
    )
    body = ApiError(
        "internal_error", "the server failed to answer this request; see the server log"
    ).to_json()
    return JSONResponse(body, status_code=500, headers=dict(SECURITY_HEADERS))

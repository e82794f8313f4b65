"""Every error answer of the API as ``{"error": code, "message": ..., "item_id"?}``.

Handlers turn the API's own errors, the framework's (unknown route, wrong
method, invalid request) and the queue's into that one shape, with the HTTP
status each stands for; anything unexpected is a logged 500 that says to
look at the server log, never a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from stream_al.api.errors import ApiError, UnauthorizedError
from stream_al.api.middleware import BodyTooLarge
from stream_al.exceptions import LeaseError, QueueError, UnknownItemError

__all__ = ["install_error_handlers"]

logger = logging.getLogger(__name__)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}


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
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return _answer(error)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    if isinstance(error, BodyTooLarge):
        return _answer(error.error)
    code = _HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
    if error.status_code == 404:
        message = f"no route {request.url.path}; the routes are listed at /docs"
    elif error.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; see /docs"
    else:
        message = str(error.detail)
    body = ApiError(code, message).to_json()
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)


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
    return JSONResponse(body, status_code=500)

"""`create_app`: the annotation API as a FastAPI app, with its OpenAPI document.

Routes: ``/v1/...`` for annotators and admins (bearer token), ``/healthz``
without a token and ``/metrics`` (Prometheus) with ``[api] metrics_token``
when it is set, ``/`` the annotators' web page
and ``/dashboard`` the operators' (`stream_al.api.dashboard`), both from
``stream_al/api/static/`` when it is installed, and ``/openapi.json`` and
``/docs``: a page of ours in the same folder that reads the OpenAPI document
(FastAPI's Swagger UI and ReDoc pages load their scripts from a public CDN,
so they are off). Request bodies over ``[api] max_body_bytes`` are refused with 413
before they are parsed; every error is JSON (`stream_al.api.handlers`).
Failed sign-ins are logged and limited per client address
(`stream_al.api.signin`; the address from a trusted proxy,
`stream_al.api.proxies`); every answer carries the security headers
(`stream_al.api.headers`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from stream_al.api.auth import AnnotatorRegistry
from stream_al.api.dashboard import dashboard_router
from stream_al.api.errors import NotFoundError
from stream_al.api.handlers import install_error_handlers
from stream_al.api.headers import SecurityHeaders
from stream_al.api.metrics import ApiMetrics
from stream_al.api.middleware import BodyLimit, RequestCounter
from stream_al.api.proxies import ForwardedClient
from stream_al.api.routes import error_answers, metrics_guard, v1_router
from stream_al.api.schemas import Health
from stream_al.api.service import AnnotationService
from stream_al.api.signin import SignInGuard
from stream_al.config.sections import ApiSettings

__all__ = ["STATIC_DIR", "create_app"]

#: Where the web page is installed (``index.html`` and its assets).
STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    service: AnnotationService,
    registry: AnnotatorRegistry,
    settings: ApiSettings | None = None,
    static_dir: Path = STATIC_DIR,
) -> FastAPI:
    """The API over `service`, authenticating callers with `registry`.

    Parameters
    ----------
    service
        What the routes do.
    registry
        Who may call them.
    settings
        ``[api]`` (body size limit, sign-in limit, trusted proxies); the
        service's when None.
    static_dir
        The web page's folder, served at ``/`` and ``/static`` if it exists.
    """
    settings = settings or service.settings
    app = FastAPI(
        title="stream-al annotation API",
        version="1",
        description="Lease the most valuable tasks of the stream, label them, see the stats.",
        generate_unique_id_function=lambda route: route.name,  # operation ids: "lease", ...
        docs_url=None,  # Swagger UI and ReDoc come from a CDN: /docs is ours (below)
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    metrics = ApiMetrics(CollectorRegistry(), service)
    app.state.service = service
    app.state.registry = registry
    app.state.signin = SignInGuard(
        settings.signin_failures, settings.signin_window_s, settings.signin_clients
    )
    install_error_handlers(app)
    app.include_router(v1_router)
    app.include_router(dashboard_router(static_dir))

    @app.get("/healthz", responses={503: {"model": Health}})
    def healthz(response: Response) -> Health:
        """``ok`` (200) when nothing waits; else 503 with what waits and since when, e.g.
        ``{"broker": "unreachable since 2026-01-01T00:00:00Z"}`` (no token needed)."""
        waiting = service.health.waiting()
        if waiting:
            response.status_code = 503
        return Health(status="waiting" if waiting else "ok", waiting=waiting)

    metrics_token = settings.metrics_token
    metrics_auth = [] if metrics_token is None else [Depends(metrics_guard(metrics_token))]

    @app.get(
        "/metrics",
        response_class=Response,
        dependencies=metrics_auth,
        responses=error_answers() if metrics_auth else None,
    )
    def prometheus() -> Response:
        """Prometheus metrics in the text format (token: ``[api] metrics_token``, if set)."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        index = static_dir / "index.html"
        if not index.is_file():
            raise NotFoundError(
                "no_web_page", "the web page is not installed; the API is described at /docs"
            )
        return FileResponse(index)

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        page = static_dir / "docs.html"
        if not page.is_file():
            raise NotFoundError(
                "no_docs_page",
                "the docs page is not installed; the API is described at /openapi.json",
            )
        return FileResponse(page)

    if static_dir.is_dir():
        app.mount("/static", StaticFiles(directory=static_dir), name="static")
    # the last added is the outermost: count every answer, 413s included, and put the
    # security headers on all of them
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(ForwardedClient, trusted=settings.trusted_proxies)
    app.add_middleware(RequestCounter, count=metrics.count)
    app.add_middleware(SecurityHeaders)
    return app

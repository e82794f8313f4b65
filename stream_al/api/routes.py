"""The ``/v1`` routes: one function each, calling `AnnotationService` with the caller.

Routes are sync functions: FastAPI runs them in its thread pool, and the
service takes the service loop's lock around every queue and store operation.
Every caller signs in through the app's `SignInGuard` (failed sign-ins are
logged, and too many from one address answered 429).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from stream_al.api.auth import Annotator, AnnotatorRegistry, Role, hash_token
from stream_al.api.errors import ForbiddenError, UnauthorizedError
from stream_al.api.proxies import client_address
from stream_al.api.schemas import (
    AnnotatorIn,
    AnnotatorInfo,
    AnnotatorList,
    AnnotatorToken,
    ClassDecisionOut,
    ClassesIn,
    ClassesOut,
    ClassIn,
    DecisionIn,
    DecisionOut,
    DisputesOut,
    ErrorOut,
    LabelsIn,
    LabelsOut,
    LeaseOut,
    Me,
    QualityOut,
    RevokedOut,
    StatsOut,
    TaskStateOut,
    Utf8,
)
from stream_al.api.service import AnnotationService
from stream_al.api.signin import SignInGuard

__all__ = ["error_answers", "metrics_guard", "route_of", "v1_router"]

_bearer = HTTPBearer(
    auto_error=False, description="The annotator's token (`stream-al annotators add NAME`)"
)


def _service(request: Request) -> AnnotationService:
    service: AnnotationService = request.app.state.service
    return service


def _registry(request: Request) -> AnnotatorRegistry:
    registry: AnnotatorRegistry = request.app.state.registry
    return registry


Service = Annotated[AnnotationService, Depends(_service)]
Registry = Annotated[AnnotatorRegistry, Depends(_registry)]


def _caller(
    request: Request,
    registry: Registry,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Annotator:
    guard: SignInGuard = request.app.state.signin
    token = None if credentials is None else credentials.credentials
    return guard.sign_in(
        client_address(request),
        "authorization" in request.headers,
        route_of(request),
        lambda: registry.authenticate(token),
    )


def route_of(request: Request) -> str:
    """The route template of the request (``/v1/tasks/{item_id}/skip``), never the raw path."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "(unmatched)"))


Caller = Annotated[Annotator, Depends(_caller)]

_metrics_bearer = HTTPBearer(
    auto_error=False, scheme_name="MetricsToken", description="`[api] metrics_token`"
)


def metrics_guard(token: SecretStr) -> Callable[..., None]:
    """A dependency that lets a request through only with `token` as its bearer token.

    ``GET /metrics`` uses it when ``[api] metrics_token`` is set; a refusal is
    a failed sign-in like any other (logged, and counted against the address).
    """
    expected = hash_token(token.get_secret_value())

    def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_metrics_bearer)],
    ) -> None:
        def compare() -> None:
            given = None if credentials is None else credentials.credentials
            if not given:
                raise UnauthorizedError(
                    "unauthorized",
                    "no bearer token: /metrics needs 'Authorization: Bearer <[api] metrics_token>'",
                    reason="no_token",
                )
            if not hmac.compare_digest(hash_token(given), expected):
                raise UnauthorizedError(
                    "unauthorized",
                    "wrong token for /metrics: send [api] metrics_token as "
                    "'Authorization: Bearer <token>'",
                    reason="wrong_metrics_token",
                )

        guard: SignInGuard = request.app.state.signin
        has_credentials = "authorization" in request.headers
        guard.sign_in(client_address(request), has_credentials, route_of(request), compare)

    return check


def _admin(who: Caller) -> Annotator:
    if who.role is not Role.ADMIN:
        raise ForbiddenError(
            "forbidden", f"annotator {who.name!r} is not an admin; ask an admin to do this"
        )
    return who


Admin = Annotated[Annotator, Depends(_admin)]
ItemId = Annotated[str, Path(min_length=1, max_length=512), Utf8]
Name = Annotated[str, Path(min_length=1, max_length=64), Utf8]


def error_answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route with a caller: 401, 413, 422, 429 and `statuses`."""
    answers: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorOut} for status in (401, 413, 422, *statuses)
    }
    answers[429] = {
        "model": ErrorOut,
        "description": "Too many failed sign-ins from this address ([api] signin_failures)",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before signing in again",
                "schema": {"type": "integer"},
            }
        },
    }
    return answers


#: The annotators' and admins' routes; the app's state holds `service` and `registry`.
#: Operation ids are the functions' names (``lease``, ``skip``), which the links below use.
v1_router = APIRouter(prefix="/v1", generate_unique_id_function=lambda route: route.name)


def _links(status: int, **links: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI links of the `status` answer: what a client (or a test) can call next with it."""
    return {status: {"links": links}}


_FIRST_TASK = "$response.body#/tasks/0/item_id"
_LEASE_LINKS = _links(
    200,
    LabelFirstTask={
        "operationId": "labels",
        "requestBody": {
            "labels": [{"item_id": _FIRST_TASK, "label": "$response.body#/tasks/0/classes/0"}]
        },
        "description": "Label the first task leased with its first class",
    },
    SkipFirstTask={"operationId": "skip", "parameters": {"item_id": _FIRST_TASK}},
    ReleaseFirstTask={"operationId": "release", "parameters": {"item_id": _FIRST_TASK}},
)
_ADD_LINKS = _links(
    201,
    RevokeIt={"operationId": "revoke_annotator", "parameters": {"name": "$response.body#/name"}},
)
_REVIEW_LINKS = _links(
    200,
    DecideFirstDispute={
        "operationId": "decide",
        "parameters": {"item_id": "$response.body#/disputes/0/item_id"},
        "requestBody": {"label": "$response.body#/disputes/0/labels/0/label"},
    },
)


@v1_router.get("/me", responses=error_answers())
def me(who: Caller, service: Service) -> Me:
    """Who the token belongs to, and how many labels they gave."""
    return service.me(who)


@v1_router.post("/tasks/lease", responses=error_answers(409) | _LEASE_LINKS)
def lease(
    who: Caller,
    registry: Registry,
    service: Service,
    n: Annotated[int, Query(ge=1, le=100, description="How many tasks at most")] = 1,
) -> LeaseOut:
    """Lease up to `n` tasks, highest current priority first, each until `expires_at`.

    One annotator holds at most ``[api] max_leased_per_annotator`` tasks at
    once: a lease gets what fits, and one that fits none is refused (409
    ``lease_limit``: label, skip or release tasks you hold first).
    """
    service.reclaim(registry.revoked_among)
    return service.lease(who, n)


@v1_router.post("/labels", responses=error_answers(404, 409, 503), response_model_exclude_none=True)
def labels(body: LabelsIn, who: Caller, service: Service) -> LabelsOut:
    """Submit labels for leased tasks: all are applied, or none (the error names the entry).

    Durable in the store and on the labels topic before the answer; sending the
    same labels again answers ``duplicate``. A label must be one of the known
    classes (``GET /v1/classes``); with ``[api] allow_new_classes`` a label of a
    new class is taken but ``held`` until an admin accepts its class.
    """
    return service.submit(who, body.labels)


@v1_router.post("/tasks/{item_id}/skip", responses=error_answers(404, 409))
def skip(item_id: ItemId, who: Caller, service: Service) -> TaskStateOut:
    """Pass on a leased task: it goes to other annotators, never back to you."""
    return service.skip(who, item_id)


@v1_router.post("/tasks/{item_id}/release", responses=error_answers(404, 409))
def release(item_id: ItemId, who: Caller, service: Service) -> TaskStateOut:
    """Give a leased task back unlabelled."""
    return service.release(who, item_id)


@v1_router.get("/stats", responses=error_answers())
def stats(who: Caller, service: Service) -> StatsOut:
    """Queue depth, label lag, budget, accuracy estimate and last drift."""
    return service.stats(who)


@v1_router.get("/annotators", responses=error_answers(403))
def annotators(who: Admin, registry: Registry, service: Service) -> AnnotatorList:
    """Every annotator, revoked ones too (admins only)."""
    return AnnotatorList(annotators=[_info(a, service) for a in registry.annotators()])


@v1_router.post("/annotators", status_code=201, responses=error_answers(403, 409) | _ADD_LINKS)
def add_annotator(body: AnnotatorIn, who: Admin, registry: Registry) -> AnnotatorToken:
    """Register an annotator; the token is in this answer only (admins only)."""
    token = registry.add(body.name, Role(body.role))
    return AnnotatorToken(name=body.name, role=body.role, token=token)


@v1_router.post("/annotators/{name}/revoke", responses=error_answers(403, 404, 409))
def revoke_annotator(name: Name, who: Admin, registry: Registry, service: Service) -> RevokedOut:
    """Make an annotator's token fail from now on, and give back their leased tasks (admins only).

    The last live admin cannot be revoked (409 ``last_admin``; the ``[api]
    token`` admin counts while it is set), nor the ``[api] token`` admin
    itself (409 ``bootstrap_admin``).
    """
    revoked = registry.revoke(name, keep_an_admin=True)
    released = service.release_leases_of(name)
    info = _info(revoked, service)
    return RevokedOut.model_validate({**info.model_dump(), "leases_released": len(released)})


@v1_router.get("/quality", responses=error_answers(403))
def quality(who: Admin, service: Service) -> QualityOut:
    """Agreement on overlap tasks (Cohen's kappa), disputes, throughput (admins only)."""
    return service.quality()


@v1_router.get("/reviews", responses=error_answers(403) | _REVIEW_LINKS)
def reviews(
    who: Admin,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many items at most")] = 100,
) -> DisputesOut:
    """Items whose labels disagree and that nothing settled yet, oldest first (admins only).

    Their labels are held back from training until a third label or an admin decides.
    """
    return service.disputes(limit)


@v1_router.post("/reviews/{item_id}", responses=error_answers(403, 404, 409, 503))
def decide(item_id: ItemId, body: DecisionIn, who: Admin, service: Service) -> DecisionOut:
    """Settle an item's label (admins only): it is learned, and leaves the queue if there."""
    return service.decide(who, item_id, body.label)


@v1_router.get("/classes", responses=error_answers())
def classes(who: Caller, service: Service) -> ClassesOut:
    """The known classes (what tasks offer), and new ones waiting for an admin."""
    return service.class_set()


@v1_router.post("/classes", responses=error_answers(403, 409))
def declare_classes(body: ClassesIn, who: Admin, service: Service) -> ClassesOut:
    """Declare the classes while none are known (admins only); at least two."""
    return service.declare_classes(who, body.classes)


@v1_router.post("/classes/accept", responses=error_answers(403, 404, 409, 503))
def accept_class(body: ClassIn, who: Admin, service: Service) -> ClassDecisionOut:
    """Accept a waiting class (admins only): it becomes known, its held labels are learned.

    Sending it again after a 503 publishes the held labels again.
    """
    return service.accept_class(who, body.label)


@v1_router.post("/classes/reject", responses=error_answers(403, 404, 409))
def reject_class(body: ClassIn, who: Admin, service: Service) -> ClassDecisionOut:
    """Reject a waiting class (admins only): its labels stay in the log and are never learned;
    their tasks do not come back, and new labels of that class are refused."""
    return service.reject_class(who, body.label)


def _info(annotator: Annotator, service: AnnotationService) -> AnnotatorInfo:
    return AnnotatorInfo.model_validate(
        {
            "name": annotator.name,
            "role": annotator.role.value,
            "created": annotator.created,
            "revoked": annotator.revoked,
            "labels": service.labels_of(annotator.name),
        }
    )

"""The ``/v1`` routes: one function each, calling `AnnotationService` with the caller.

Routes are sync functions: FastAPI runs them in its thread pool, and the
service takes the service loop's lock around every queue and store operation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stream_al.api.auth import Annotator, AnnotatorRegistry, Role
from stream_al.api.errors import ForbiddenError
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
    StatsOut,
    TaskStateOut,
)
from stream_al.api.service import AnnotationService

__all__ = ["v1_router"]

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
    registry: Registry,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Annotator:
    return registry.authenticate(None if credentials is None else credentials.credentials)


Caller = Annotated[Annotator, Depends(_caller)]


def _admin(who: Caller) -> Annotator:
    if who.role is not Role.ADMIN:
        raise ForbiddenError(
            "forbidden", f"annotator {who.name!r} is not an admin; ask an admin to do this"
        )
    return who


Admin = Annotated[Annotator, Depends(_admin)]
ItemId = Annotated[str, Path(min_length=1, max_length=512)]
Name = Annotated[str, Path(min_length=1, max_length=64)]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in (401, 413, 422, *statuses)}


#: The annotators' and admins' routes; the app's state holds `service` and `registry`.
v1_router = APIRouter(prefix="/v1")


@v1_router.get("/me", responses=_errors())
def me(who: Caller, service: Service) -> Me:
    """Who the token belongs to, and how many labels they gave."""
    return service.me(who)


@v1_router.post("/tasks/lease", responses=_errors())
def lease(
    who: Caller,
    service: Service,
    n: Annotated[int, Query(ge=1, le=100, description="How many tasks at most")] = 1,
) -> LeaseOut:
    """Lease up to `n` tasks, highest current priority first, each until `expires_at`."""
    return service.lease(who, n)


@v1_router.post("/labels", responses=_errors(404, 409, 503), response_model_exclude_none=True)
def labels(body: LabelsIn, who: Caller, service: Service) -> LabelsOut:
    """Submit labels for leased tasks: all are applied, or none (the error names the entry).

    Durable in the store and on the labels topic before the answer; sending the
    same labels again answers ``duplicate``. A label must be one of the known
    classes (``GET /v1/classes``); with ``[api] allow_new_classes`` a label of a
    new class is taken but ``held`` until an admin accepts its class.
    """
    return service.submit(who, body.labels)


@v1_router.post("/tasks/{item_id}/skip", responses=_errors(404, 409))
def skip(item_id: ItemId, who: Caller, service: Service) -> TaskStateOut:
    """Pass on a leased task: it goes to other annotators, never back to you."""
    return service.skip(who, item_id)


@v1_router.post("/tasks/{item_id}/release", responses=_errors(404, 409))
def release(item_id: ItemId, who: Caller, service: Service) -> TaskStateOut:
    """Give a leased task back unlabelled."""
    return service.release(who, item_id)


@v1_router.get("/stats", responses=_errors())
def stats(who: Caller, service: Service) -> StatsOut:
    """Queue depth, label lag, budget, accuracy estimate and last drift."""
    return service.stats(who)


@v1_router.get("/annotators", responses=_errors(403))
def annotators(who: Admin, registry: Registry, service: Service) -> AnnotatorList:
    """Every annotator, revoked ones too (admins only)."""
    return AnnotatorList(annotators=[_info(a, service) for a in registry.annotators()])


@v1_router.post("/annotators", status_code=201, responses=_errors(403, 409))
def add_annotator(body: AnnotatorIn, who: Admin, registry: Registry) -> AnnotatorToken:
    """Register an annotator; the token is in this answer only (admins only)."""
    token = registry.add(body.name, Role(body.role))
    return AnnotatorToken(name=body.name, role=body.role, token=token)


@v1_router.post("/annotators/{name}/revoke", responses=_errors(403, 404))
def revoke_annotator(name: Name, who: Admin, registry: Registry, service: Service) -> AnnotatorInfo:
    """Make an annotator's token fail from now on (admins only)."""
    return _info(registry.revoke(name), service)


@v1_router.get("/quality", responses=_errors(403))
def quality(who: Admin, service: Service) -> QualityOut:
    """Agreement on overlap tasks (Cohen's kappa), disputes, throughput (admins only)."""
    return service.quality()


@v1_router.get("/reviews", responses=_errors(403))
def reviews(
    who: Admin,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many items at most")] = 100,
) -> DisputesOut:
    """Items whose labels disagree and that nothing settled yet, oldest first (admins only).

    Their labels are held back from training until a third label or an admin decides.
    """
    return service.disputes(limit)


@v1_router.post("/reviews/{item_id}", responses=_errors(403, 404, 409, 503))
def decide(item_id: ItemId, body: DecisionIn, who: Admin, service: Service) -> DecisionOut:
    """Settle an item's label (admins only): it is learned, and leaves the queue if there."""
    return service.decide(who, item_id, body.label)


@v1_router.get("/classes", responses=_errors())
def classes(who: Caller, service: Service) -> ClassesOut:
    """The known classes (what tasks offer), and new ones waiting for an admin."""
    return service.class_set()


@v1_router.post("/classes", responses=_errors(403, 409))
def declare_classes(body: ClassesIn, who: Admin, service: Service) -> ClassesOut:
    """Declare the classes while none are known (admins only); at least two."""
    return service.declare_classes(who, body.classes)


@v1_router.post("/classes/accept", responses=_errors(403, 404, 409, 503))
def accept_class(body: ClassIn, who: Admin, service: Service) -> ClassDecisionOut:
    """Accept a waiting class (admins only): it becomes known, its held labels are learned.

    Sending it again after a 503 publishes the held labels again.
    """
    return service.accept_class(who, body.label)


@v1_router.post("/classes/reject", responses=_errors(403, 404, 409))
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

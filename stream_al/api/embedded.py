"""The annotation API beside the service loop: built from the process's roles.

`stream-al run` and `stream-al queue` call `start_api` when the process holds
the annotation queue. The API shares the loop's queue, store, producer and
lock (`Roles.lock`); its annotators live in the store's file
(`open_registry`). Budget figures come from the budget state the scorer saves
in the store, so a queue process sees them too; the accuracy estimate needs
the learner in the same process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from stream_al.api.annotator_tables import open_registry
from stream_al.api.app import create_app
from stream_al.api.server import ApiServer
from stream_al.api.service import AnnotationService, Probes
from stream_al.clock import Clock
from stream_al.service.counters import StreamCounters, read_counters
from stream_al.store.base import Store

if TYPE_CHECKING:
    from stream_al.config import Settings
    from stream_al.service.learner import LearnerService
    from stream_al.service.scorer import Scorer
    from stream_al.service.wiring import Roles

__all__ = [
    "accuracy_probe",
    "budget_probe",
    "build_service",
    "lag_probe",
    "records_probe",
    "start_api",
]


def budget_probe(store: Store, fraction: float) -> Callable[[], Mapping[str, float] | None]:
    """Budget figures from the budget state the scorer saves with each batch."""

    def read() -> Mapping[str, float]:
        state = store.load_budget_state() or {}
        seen, spent = float(state.get("seen", 0)), float(state.get("spent", 0))
        return {
            "budget": fraction,
            "spent": spent / seen if seen else 0.0,
            "seen": seen,
            "queries": spent,
        }

    return read


def accuracy_probe(learner: LearnerService | None) -> Callable[[], float | None]:
    """The learner's recent accuracy: on random-share labels when it has them (unbiased)."""

    def read() -> float | None:
        if learner is None:
            return None
        metrics = learner.learner
        unbiased = metrics.unbiased.recent_accuracy
        return unbiased if unbiased is not None else metrics.labelled.recent_accuracy

    return read


def records_probe(store: Store) -> Callable[[], Mapping[str, StreamCounters]]:
    """What became of the records of the scorer and the learner, from the counters they
    save in the store with each batch (whichever process they run in)."""

    def read() -> Mapping[str, StreamCounters]:
        return read_counters(store, ("scorer", "learner"))

    return read


def lag_probe(scorer: Scorer | None) -> Callable[[], Mapping[str, float | None] | None]:
    """The scorer's lag figures, when the scorer runs in this process."""

    def read() -> Mapping[str, float | None] | None:
        return None if scorer is None else scorer.lag_figures()

    return read


def build_service(
    settings: Settings, roles: Roles, clock: Clock | None = None
) -> AnnotationService:
    """The `AnnotationService` over the queue, store, producer and lock of `roles`."""
    if roles.queue is None or roles.store is None:
        raise ValueError("the annotation API needs a process holding the queue (run or queue)")
    probes = Probes(
        budget=budget_probe(roles.store, settings.strategy.budget),
        accuracy=accuracy_probe(roles.learner),
        oldest_arrival=roles.queue.oldest_arrival,
        lag=lag_probe(roles.scorer),
        records=records_probe(roles.store),
    )
    return AnnotationService(
        roles.queue,
        roles.store,
        roles.producer,
        settings.kafka.topic("labels"),
        clock=clock,
        lock=roles.lock,
        settings=settings.api,
        probes=probes,
        health=roles.health,
        classes=roles.classes,
    )


def start_api(settings: Settings, roles: Roles, clock: Clock | None = None) -> ApiServer:
    """Serve the annotation API for `roles` on ``[api] host:port``; returns the running server.

    The service loop's ticks also give back the tasks of annotators revoked by
    another process (`AnnotationService.reclaim`, at most once a second), so
    they return to the queue even when no one leases.
    """
    api = settings.api
    registry = open_registry(
        settings.store.path, api.token, api.token_name, settings.store.busy_timeout_s
    )
    try:
        service = build_service(settings, roles, clock)
        app = create_app(service, registry, api)
        server = ApiServer(app, api.host, api.port, on_stop=registry.close).start()
    except BaseException:
        registry.close()
        raise

    def reclaim() -> None:
        service.reclaim(registry.revoked_among)

    roles.ticks.append(reclaim)
    return server

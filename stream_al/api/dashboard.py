"""The operator dashboard: ``GET /v1/dashboard`` (admins) and its page at ``/dashboard``.

The document puts together, oldest first, the metric snapshots the scheduler
keeps in the store (state keys ``metrics:<slot>``, see
`stream_al.scheduler.snapshots.SnapshotJob`) followed by one live point read
from the service now; the drift and label-lag alerts recorded in the store;
and what the human labels cost against the accuracy they bought
(`label_cost`). The page (``static/dashboard.html``) plots it, and reads the
annotators' throughput and agreement from ``/v1/quality`` itself.

The work of a request is bounded: the snapshots by ``[scheduler]
snapshots_keep`` (a ring of state keys) and thinned to at most ``points``; the
alerts by the service's `stream_al.api.tallies.DriftWatch`, which keeps the
newest `MAX_DRIFTS` and reads only what was recorded since it last looked.

>>> cost = label_cost(40, cost_per_label=1.5, accuracy_start=0.6, accuracy_now=0.8)
>>> cost.total_cost, round(cost.points_gained, 9), round(cost.cost_per_point, 9)
(60.0, 20.0, 3.0)
>>> print(label_cost(40, 1.5, accuracy_start=0.8, accuracy_now=0.8).cost_per_point)
None
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from stream_al.api.errors import NotFoundError
from stream_al.api.routes import Admin, Service, error_answers
from stream_al.api.service import AnnotationService, Snapshot
from stream_al.api.tallies import ALERTS_KEPT
from stream_al.drift.alerts import DriftAlert

__all__ = [
    "DEFAULT_POINTS",
    "MAX_DRIFTS",
    "MAX_POINTS",
    "CostOut",
    "DashboardOut",
    "DriftOut",
    "SeriesPoint",
    "build_dashboard",
    "dashboard_router",
    "label_cost",
    "live_point",
    "snapshot_points",
    "thin",
]

#: The state-key prefix of the scheduler's metric snapshots.
SNAPSHOT_PREFIX = "metrics:"
#: Points of the series answered when the caller does not say, and at most.
DEFAULT_POINTS = 720
MAX_POINTS = 5000
#: Newest alerts answered (and kept in memory per service).
MAX_DRIFTS = ALERTS_KEPT

T = TypeVar("T")


class SeriesPoint(BaseModel):
    """The figures at one instant; None where the process that saved them did not know."""

    time: float = Field(description="Unix seconds")
    live: bool = Field(False, description="Read from the service now, not a stored snapshot")
    seen: int | None = Field(None, description="Items scored so far")
    spent: int | None = Field(None, description="Labels spent so far (items sent to annotators)")
    spent_share: float | None = Field(None, description="Labels spent over items scored")
    labels: int | None = Field(None, description="Human labels so far")
    accuracy: float | None = Field(
        None, description="Recent accuracy: unbiased (random-share labels) when known, else all"
    )
    label_free_accuracy: float | None = Field(
        None, description="Mean calibrated confidence of recent items: accuracy without labels"
    )
    pseudo_labels: int | None = Field(None, description="Pseudo-labels learnt (scorer process)")
    queue_depth: int | None = Field(None, description="Tasks waiting for an annotator")
    leased: int | None = Field(None, description="Tasks out with annotators")
    lag_items: int | None = Field(None, description="Tasks admitted and not labelled yet")
    lag_seconds: float | None = Field(None, description="Age of the oldest of them")
    model_version: str | None = None


class DriftOut(BaseModel):
    """One recorded alert: a drift, or a labeling lag."""

    time: float
    kind: str = Field(description="drift or label_lag")
    severity: str
    detector: str
    source: str
    position: int = Field(description="Items seen when it fired")
    message: str


class CostOut(BaseModel):
    """What the human labels cost against the accuracy gained (see `label_cost`)."""

    labels: int = Field(description="Human labels stored")
    cost_per_label: float
    total_cost: float
    accuracy_start: float | None = Field(description="The oldest accuracy estimate kept")
    accuracy_now: float | None = Field(description="The newest accuracy estimate")
    points_gained: float | None = Field(description="100 × (accuracy_now − accuracy_start)")
    cost_per_point: float | None = Field(description="total_cost / points_gained; None: no gain")


class DashboardOut(BaseModel):
    """Everything the operator dashboard shows but the annotators' quality."""

    now: float = Field(description="The server's time (unix seconds)")
    budget: float | None = Field(description="Share of the stream that may be labelled")
    cost_per_label: float
    cost_unit: str
    series: list[SeriesPoint] = Field(description="Oldest first; the last one is live")
    drifts: list[DriftOut] = Field(description=f"The newest {MAX_DRIFTS} alerts, oldest first")
    drifts_total: int = Field(description="Alerts recorded, shown or not")
    cost: CostOut


def label_cost(
    labels: int,
    cost_per_label: float,
    accuracy_start: float | None,
    accuracy_now: float | None,
) -> CostOut:
    """The cost per accuracy point gained.

    ``cost_per_point = (labels × cost_per_label) / (100 × (accuracy_now −
    accuracy_start))``: every human label paid for, over the accuracy
    percentage points gained between the first estimate and the newest. It is
    None when either estimate is unknown or the gain is not positive (nothing
    was bought, or accuracy fell). `build_dashboard` counts the labels given
    since the first estimate kept (the oldest snapshot with one), so once the
    ring of snapshots wraps, the labels and the gain cover the same span.

    Parameters
    ----------
    labels
        Human labels paid for.
    cost_per_label
        ``[api] cost_per_label``.
    accuracy_start, accuracy_now
        Accuracy estimates in [0, 1], the first and the newest.
    """
    total = labels * cost_per_label
    gained = None
    if accuracy_start is not None and accuracy_now is not None:
        gained = 100.0 * (accuracy_now - accuracy_start)
    per_point = total / gained if gained is not None and gained > 0 else None
    return CostOut(
        labels=labels,
        cost_per_label=cost_per_label,
        total_cost=total,
        accuracy_start=accuracy_start,
        accuracy_now=accuracy_now,
        points_gained=gained,
        cost_per_point=per_point,
    )


def snapshot_points(docs: Iterable[Mapping[str, Any]]) -> list[SeriesPoint]:
    """The stored snapshots (``{"period", "time", "metrics"}``) as points, oldest first.

    Documents without a period or a metrics object are skipped.

    >>> docs = [{"period": 2, "time": 120.0, "metrics": {"queue_depth": 3}},
    ...         {"period": 1, "time": 60.0, "metrics": {"unbiased_accuracy": 0.7}}]
    >>> [(p.time, p.accuracy, p.queue_depth) for p in snapshot_points(docs)]
    [(60.0, 0.7, None), (120.0, None, 3)]
    """
    kept = [doc for doc in docs if _is_snapshot(doc)]
    kept.sort(key=lambda doc: doc["period"])
    return [_point(doc["time"], doc["metrics"]) for doc in kept]


def _is_snapshot(doc: Mapping[str, Any]) -> bool:
    return (
        _number(doc.get("period")) is not None
        and _number(doc.get("time")) is not None
        and isinstance(doc.get("metrics"), Mapping)
    )


def _point(time: float, metrics: Mapping[str, Any]) -> SeriesPoint:
    unbiased = _number(metrics.get("unbiased_accuracy"))
    seen, spent = _int(metrics.get("seen")), _int(metrics.get("spent"))
    share = _number(metrics.get("spent_share"))
    if share is None and seen and spent is not None:
        share = spent / seen  # snapshots saved before spent_share was kept
    version = metrics.get("model_version")
    return SeriesPoint(
        time=time,
        seen=seen,
        spent=spent,
        spent_share=share,
        labels=_int(metrics.get("labels")),
        accuracy=unbiased if unbiased is not None else _number(metrics.get("labelled_accuracy")),
        label_free_accuracy=_number(metrics.get("label_free_accuracy")),
        pseudo_labels=_int(metrics.get("pseudo_labels")),
        queue_depth=_int(metrics.get("queue_depth")),
        leased=_int(metrics.get("leased")),
        lag_items=_int(metrics.get("lag_items")),
        lag_seconds=_number(metrics.get("lag_seconds")),
        model_version=None if version is None else str(version),
    )


def live_point(snap: Snapshot, now: float) -> SeriesPoint:
    """The point read from the service now (`AnnotationService.snapshot`)."""
    return SeriesPoint(
        time=now,
        live=True,
        seen=_int(snap.budget.get("seen")),
        spent=_int(snap.budget.get("queries")),
        spent_share=_number(snap.budget.get("spent")),
        labels=snap.labels_by_source.get("human", 0),
        accuracy=_number(snap.accuracy),
        label_free_accuracy=_number(snap.lag.get("label_free_accuracy")),
        pseudo_labels=snap.labels_by_source.get("pseudo", 0),
        queue_depth=snap.queue.depth,
        leased=snap.queue.leased,
        lag_items=snap.lag_items,
        lag_seconds=snap.lag_seconds,
    )


def thin(points: Sequence[T], most: int) -> list[T]:
    """At most `most` (≥ 2) of `points`, evenly spaced, the first and the last kept.

    >>> thin(list(range(10)), 4)
    [0, 3, 6, 9]
    >>> thin([1, 2], 4)
    [1, 2]
    """
    n = len(points)
    if n <= most:
        return list(points)
    return [points[round(i * (n - 1) / (most - 1))] for i in range(most)]


def build_dashboard(service: AnnotationService, points: int = DEFAULT_POINTS) -> DashboardOut:
    """The dashboard document: snapshots and a live point, alerts, the cost of accuracy.

    Parameters
    ----------
    service
        The annotation service (its store, live figures and ``[api]`` settings).
    points
        Most points in the series (≥ 2): more are thinned evenly, the first and
        the live one kept. The cost is computed on every point.
    """
    with service.lock:  # every store read of the API is under the service lock
        snap = service.snapshot()
        now = service.clock.now()
        stored = service.store.states(SNAPSHOT_PREFIX)
        alerts = service.drifts.recent()
        total = service.drifts.total
    series = [*snapshot_points(stored.values()), live_point(snap, now)]
    known = [point for point in series if point.accuracy is not None]
    settings = service.settings
    human = snap.labels_by_source.get("human", 0)
    before = known[0].labels if known and not known[0].live else None
    cost = label_cost(
        max(0, human - (before or 0)),
        settings.cost_per_label,
        known[0].accuracy if known else None,
        known[-1].accuracy if known else None,
    )
    return DashboardOut(
        now=now,
        budget=_budget(snap, stored.values()),
        cost_per_label=settings.cost_per_label,
        cost_unit=settings.cost_unit,
        series=thin(series, points),
        drifts=[DriftOut.model_validate(_drift(alert)) for alert in alerts],
        drifts_total=total,
        cost=cost,
    )


def _budget(snap: Snapshot, docs: Iterable[Mapping[str, Any]]) -> float | None:
    live = _number(snap.budget.get("budget"))
    if live is not None:
        return live
    newest = max(
        (doc for doc in docs if _is_snapshot(doc)),
        key=lambda doc: doc["period"],
        default=None,
    )
    return None if newest is None else _number(newest["metrics"].get("budget"))


def _drift(alert: DriftAlert) -> dict[str, Any]:
    doc = alert.to_dict()
    doc.pop("statistic", None)
    return doc


def _number(value: Any) -> float | None:
    """A finite number as float, else None (JSON has no NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


_RESPONSES: dict[int | str, dict[str, Any]] = error_answers(403)


def dashboard_router(static_dir: Path) -> APIRouter:
    """``GET /v1/dashboard`` (admins only) and the page ``/dashboard`` from `static_dir`.

    The page itself needs no token; it asks for an admin's to call the API.
    """
    router = APIRouter()

    @router.get("/v1/dashboard", responses=_RESPONSES)
    def dashboard(
        who: Admin,
        service: Service,
        points: Annotated[
            int, Query(ge=2, le=MAX_POINTS, description="Most points in the series")
        ] = DEFAULT_POINTS,
    ) -> DashboardOut:
        """Accuracy, labels spent, queue and lag over time, alerts, cost per accuracy point.

        Admins only. The series are the scheduler's metric snapshots, oldest
        first, then one point read now; ``cost.cost_per_point`` is ``(labels ×
        cost_per_label) / (100 × (accuracy now − first accuracy))``, null
        without a gain.
        """
        return build_dashboard(service, points)

    @router.get("/dashboard", include_in_schema=False)
    def page() -> FileResponse:
        html = static_dir / "dashboard.html"
        if not html.is_file():
            raise NotFoundError(
                "no_dashboard",
                "the dashboard page is not installed; GET /v1/dashboard has its data",
            )
        return FileResponse(html)

    return router

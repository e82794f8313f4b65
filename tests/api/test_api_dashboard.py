"""The operator dashboard's data, ``GET /v1/dashboard``, and its page, against the live server.

Snapshots are put in the store the way the scheduler's `SnapshotJob` saves
them (``metrics:<slot>``), alerts the way the service records them; the
harness's probes answer budget 5 %, 4 % spent of 1000 items and accuracy 0.8.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import MAX_BODY, Api, start_api

from stream_al.api import ApiServer, create_app
from stream_al.api.dashboard import MAX_DRIFTS
from stream_al.config.sections import ApiSettings
from stream_al.drift.alerts import DriftAlert
from stream_al.store.records import LabelSource


def _snapshot(api: Api, slot: int, period: int, ago: float, **metrics: Any) -> None:
    """A metric snapshot `ago` seconds before the server's now, in ring slot `slot`."""
    time = api.clock.now() - ago
    with api.service.lock:
        api.store.save_state(
            f"metrics:{slot}", {"period": period, "time": time, "metrics": metrics}
        )


def _alert(
    position: int, ago: float = 0.0, kind: str = "drift", severity: str = "critical"
) -> DriftAlert:
    return DriftAlert(
        kind=kind,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        detector="adwin" if kind == "drift" else "lag",
        source="labelled" if kind == "drift" else "queue",
        statistic=0.25,
        position=position,
        time=1_000_000.0 - ago,
        message=f"{kind} at item {position}",
    )


def _log(api: Api, *alerts: DriftAlert) -> None:
    with api.service.lock, api.store.transaction():
        for alert in alerts:
            assert api.store.log_drift(alert)


def _labels(api: Api, n: int, source: LabelSource = "human") -> None:
    with api.service.lock, api.store.transaction():
        for k in range(n):
            api.store.add_label(f"{source}-{k}", "cat", "ana", time=api.clock.now(), source=source)


def _dashboard(api: Api, **params: Any) -> dict[str, Any]:
    response = api.client("root").get("/v1/dashboard", params=params)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


@pytest.fixture
def priced(tmp_path: Path) -> Iterator[Api]:
    """A server whose labels cost 2.5 EUR each."""
    settings = ApiSettings(port=0, max_body_bytes=MAX_BODY, cost_per_label=2.5, cost_unit="EUR")
    running = start_api(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


def test_the_dashboard_is_for_admins_only(api: Api) -> None:
    anonymous = httpx.get(f"{api.url}/v1/dashboard")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized"
    annotator = api.client("ana").get("/v1/dashboard")
    assert annotator.status_code == 403
    assert annotator.json() == {
        "error": "forbidden",
        "message": "annotator 'ana' is not an admin; ask an admin to do this",
    }
    assert api.client("root").get("/v1/dashboard").status_code == 200


def test_the_series_is_the_snapshots_by_period_then_a_live_point(api: Api) -> None:
    # ring slots out of period order, as after the ring wrapped
    _snapshot(
        api,
        0,
        12,
        ago=60,
        seen=900,
        spent=36,
        spent_share=0.04,
        labels=30,
        queue_depth=4,
        leased=1,
        lag_items=5,
        lag_seconds=80.0,
        unbiased_accuracy=0.7,
        labelled_accuracy=0.6,
        model_version=3,
    )
    _snapshot(api, 1, 10, ago=180, seen=500, spent=25, labelled_accuracy=0.55, queue_depth=2)
    _snapshot(api, 2, 11, ago=120, seen=700, budget=0.05)  # no accuracy yet
    with api.service.lock:
        api.store.save_state("metrics:note", {"not": "a snapshot"})
        api.store.save_state("metricsx", {"period": 1, "time": 0.0, "metrics": {}})
    api.offer(0.9, 0.5)
    api.client("ana").post("/v1/tasks/lease")
    api.clock.advance(30)
    _labels(api, 3)

    doc = _dashboard(api)
    now = api.clock.now()
    assert doc["now"] == now
    assert doc["budget"] == 0.05
    assert (doc["cost_per_label"], doc["cost_unit"]) == (1.0, "USD")
    series = doc["series"]
    assert [point["time"] for point in series] == [now - 210, now - 150, now - 90, now]
    assert [point["live"] for point in series] == [False, False, False, True]
    assert [point["accuracy"] for point in series] == [0.55, None, 0.7, 0.8]  # unbiased first
    assert [point["seen"] for point in series] == [500, 700, 900, 1000]
    assert [point["spent"] for point in series] == [25, None, 36, 40]
    assert [point["spent_share"] for point in series] == [0.05, None, 0.04, 0.04]
    assert [point["labels"] for point in series] == [None, None, 30, 3]
    assert [point["queue_depth"] for point in series] == [2, None, 4, 1]
    assert [point["leased"] for point in series] == [None, None, 1, 1]
    assert [point["lag_items"] for point in series] == [None, None, 5, 2]
    assert [point["lag_seconds"] for point in series] == [None, None, 80.0, 30.0]
    assert [point["model_version"] for point in series] == [None, None, "3", None]


def test_the_cost_per_point_is_the_labels_cost_over_the_points_gained(priced: Api) -> None:
    _snapshot(priced, 0, 1, ago=120, unbiased_accuracy=None, labelled_accuracy=None)
    _snapshot(priced, 1, 2, ago=60, unbiased_accuracy=0.6)
    _snapshot(priced, 2, 3, ago=30, unbiased_accuracy=0.7)
    _labels(priced, 10)
    _labels(priced, 3, source="pseudo")  # the model's own labels cost nothing

    doc = _dashboard(priced)
    assert (doc["cost_per_label"], doc["cost_unit"]) == (2.5, "EUR")
    cost = doc["cost"]
    assert cost["labels"] == 10
    assert cost["cost_per_label"] == 2.5
    assert cost["total_cost"] == 25.0
    assert cost["accuracy_start"] == 0.6
    assert cost["accuracy_now"] == 0.8  # the live estimate
    assert cost["points_gained"] == pytest.approx(20.0)
    assert cost["cost_per_point"] == pytest.approx(1.25)  # 10 × 2.5 / (100 × (0.8 − 0.6))


def test_only_the_labels_since_the_first_estimate_kept_are_paid_for(priced: Api) -> None:
    _labels(priced, 10)
    _snapshot(priced, 5, 9, ago=60, unbiased_accuracy=0.6, labels=6)  # the ring wrapped
    cost = _dashboard(priced)["cost"]
    assert cost["labels"] == 4  # 10 in all, 6 before the first estimate kept
    assert cost["cost_per_point"] == pytest.approx(4 * 2.5 / 20.0)


@pytest.mark.parametrize("first", [None, 0.8, 0.85])
def test_without_a_gain_there_is_no_cost_per_point(api: Api, first: float | None) -> None:
    if first is not None:
        _snapshot(api, 0, 1, ago=60, unbiased_accuracy=first)
    _labels(api, 4)
    cost = _dashboard(api)["cost"]
    assert cost["labels"] == 4
    assert cost["total_cost"] == 4.0
    assert cost["accuracy_start"] == (0.8 if first is None else first)  # alone: the live one
    assert cost["points_gained"] == pytest.approx(100 * (0.8 - cost["accuracy_start"]))
    assert cost["points_gained"] <= 0
    assert cost["cost_per_point"] is None


def test_alerts_are_listed_oldest_first_and_new_ones_appear(api: Api) -> None:
    first = [
        _alert(100, ago=300),
        _alert(150, ago=200, kind="label_lag", severity="warning"),
        _alert(180, ago=100, severity="warning"),
    ]
    _log(api, *first)
    doc = _dashboard(api)
    assert doc["drifts_total"] == 3
    assert doc["drifts"] == [
        {key: value for key, value in a.to_dict().items() if key != "statistic"} for a in first
    ]
    assert doc["drifts"][1] == {
        "kind": "label_lag",
        "severity": "warning",
        "detector": "lag",
        "source": "queue",
        "position": 150,
        "time": 1_000_000.0 - 200,
        "message": "label_lag at item 150",
    }
    _log(api, _alert(200, ago=50))
    doc = _dashboard(api)
    assert doc["drifts_total"] == 4
    assert [d["position"] for d in doc["drifts"]] == [100, 150, 180, 200]


def test_only_the_newest_alerts_are_answered(api: Api) -> None:
    total = MAX_DRIFTS + 7
    _log(api, *(_alert(k, ago=total - k) for k in range(total)))
    doc = _dashboard(api)
    assert doc["drifts_total"] == total
    positions = [d["position"] for d in doc["drifts"]]
    assert positions == list(range(7, total))


def test_a_long_series_is_thinned_keeping_the_first_and_the_live_point(api: Api) -> None:
    for k in range(9):
        _snapshot(api, k, k, ago=60.0 * (9 - k), queue_depth=k)
    series = _dashboard(api, points=4)["series"]
    assert [p["queue_depth"] for p in series] == [0, 3, 6, 0]  # 10 points: 0, 3, 6, live
    assert series[-1]["live"] is True
    assert len(_dashboard(api)["series"]) == 10
    refused = api.client("root").get("/v1/dashboard", params={"points": 1})
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_request"


def test_the_page_and_its_assets_are_served_without_a_token(api: Api) -> None:
    page = httpx.get(f"{api.url}/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/dashboard.js" defer></script>' in page.text
    assert "Content-Security-Policy" in page.text
    for asset, kind in (("dashboard.js", "javascript"), ("dashboard.css", "text/css")):
        response = httpx.get(f"{api.url}/static/{asset}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
    assert "/v1/dashboard" in httpx.get(f"{api.url}/openapi.json").json()["paths"]


def test_without_the_page_installed_the_dashboard_route_says_so(api: Api, tmp_path: Path) -> None:
    empty = tmp_path / "no-static"
    empty.mkdir()
    app = create_app(api.service, api.registry, static_dir=empty)
    with ApiServer(app, "127.0.0.1", 0) as server:
        response = httpx.get(f"{server.url}/dashboard")
    assert response.status_code == 404
    assert response.json()["error"] == "no_dashboard"

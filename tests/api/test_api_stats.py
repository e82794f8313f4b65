"""Stats, health, metrics and the server itself."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from api_harness import Api
from fastapi import FastAPI

from stream_al.api import ApiServer, create_app
from stream_al.api.errors import ApiError
from stream_al.drift.alerts import DriftAlert
from stream_al.store.records import PSEUDO_ANNOTATOR


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} in metrics")


def test_healthz_needs_no_token(api: Api) -> None:
    response = httpx.get(f"{api.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "waiting": {}}


def test_stats_tell_queue_lag_budget_accuracy_and_last_drift(api: Api) -> None:
    first, second = api.offer(0.9, 0.4)
    api.clock.advance(30)
    api.offer(0.2)
    # the model's own guess: counted apart, never as a label from an annotator
    api.store.add_label(second, "dog", PSEUDO_ANNOTATOR, api.clock.now(), "pseudo")
    ana = api.client("ana")
    ana.post("/v1/tasks/lease")
    ana.post("/v1/labels", json={"labels": [{"item_id": first, "label": "cat"}]})
    api.clock.advance(12)
    alert = DriftAlert(
        kind="drift",
        severity="warning",
        detector="adwin",
        source="labelled",
        statistic=0.3,
        position=120,
        time=api.clock.now(),
        message="accuracy fell",
    )
    api.store.log_drift(alert)
    stats = ana.get("/v1/stats").json()
    assert stats == {
        "queue_depth": 2,
        "leased": 0,
        "capacity": 50,
        "label_lag_items": 2,
        "label_lag_seconds": 42.0,  # the second task waits since the start
        "label_lag_median_seconds": 30.0,  # the one label came 30 s after its admission
        "label_lag_median_items": 40.0,  # ... and 1,000 - 960 items later
        "labels_total": 1,
        "pseudo_labels": 1,
        "budget_spent": 0.04,
        "budget": 0.05,
        "admission_rate": 0.05,
        "labeling_rate": 0.02,
        "accuracy_estimate": 0.8,
        "accuracy_label_free": 0.83,
        "last_drift": alert.to_dict(),
        "items_scored": 0,
        "records": {},
        "annotator": {"name": "ana", "labels": 1},
    }


def test_metrics_report_live_values_in_the_prometheus_format(api: Api) -> None:
    api.offer(0.9, 0.5, 0.1)
    api.client("ana").post("/v1/tasks/lease")
    api.clock.advance(5)
    response = httpx.get(f"{api.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _metric(text, "stream_al_queue_depth") == 2
    assert _metric(text, "stream_al_queue_leased") == 1
    assert _metric(text, "stream_al_label_lag_items") == 3
    assert _metric(text, "stream_al_label_lag_seconds") == 5
    assert _metric(text, "stream_al_items_scored_total") == 1000
    assert _metric(text, "stream_al_queries_total") == 40
    assert _metric(text, "stream_al_budget_spent_ratio") == 0.04
    assert _metric(text, "stream_al_accuracy_estimate") == 0.8
    assert _metric(text, "stream_al_accuracy_label_free") == 0.83
    assert _metric(text, "stream_al_admission_rate") == 0.05
    assert _metric(text, "stream_al_labeling_rate") == 0.02
    assert "stream_al_drifts_total" in text
    assert (
        'stream_al_api_requests_total{method="POST",route="/v1/tasks/lease",status="200"} 1.0'
        in (text)
    )


def test_request_counts_use_route_templates_not_raw_paths(api: Api) -> None:
    ana = api.client("ana")
    for item in ("a", "b", "c"):
        ana.post(f"/v1/tasks/{item}/skip")
    text = httpx.get(f"{api.url}/metrics").text
    line = 'route="/v1/tasks/{item_id}/skip",status="404"} 3.0'
    assert line in text
    assert "/v1/tasks/a/skip" not in text


def test_the_openapi_document_lists_every_route(api: Api) -> None:
    paths = httpx.get(f"{api.url}/openapi.json").json()["paths"]
    for path in (
        "/v1/me",
        "/v1/tasks/lease",
        "/v1/labels",
        "/v1/tasks/{item_id}/skip",
        "/v1/tasks/{item_id}/release",
        "/v1/stats",
        "/healthz",
        "/metrics",
    ):
        assert path in paths


def test_the_web_page_is_served_when_installed(api: Api, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>label me</h1>")
    (tmp_path / "page.js").write_text("let x = 1;")
    app = create_app(api.service, api.registry, static_dir=tmp_path)
    with ApiServer(app, "127.0.0.1", 0) as server:
        assert httpx.get(f"{server.url}/").text == "<h1>label me</h1>"
        assert httpx.get(f"{server.url}/static/page.js").text == "let x = 1;"
    app = create_app(api.service, api.registry, static_dir=tmp_path / "absent")
    with ApiServer(app, "127.0.0.1", 0) as server:
        response = httpx.get(f"{server.url}/")
        assert response.status_code == 404
        assert response.json()["error"] == "no_web_page"


def test_port_zero_picks_a_free_port_and_stop_frees_it() -> None:
    server = ApiServer(FastAPI(), "127.0.0.1", 0).start()
    port = server.port
    assert port
    assert httpx.get(f"{server.url}/openapi.json").status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/openapi.json")


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ApiError, match="is the port taken"):
            ApiServer(FastAPI(), "127.0.0.1", port).start(timeout=5)

"""``[api] metrics_token``: /metrics wants it when set, and stays open when not."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_harness import MAX_BODY, Api, start_api
from pydantic import SecretStr

from stream_al.config.sections import ApiSettings

METRICS_TOKEN = "a-scraper-token-that-must-never-be-logged"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Api]:
    settings = ApiSettings(
        port=0, max_body_bytes=MAX_BODY, metrics_token=SecretStr(METRICS_TOKEN), signin_failures=4
    )
    running = start_api(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


def scrape(api: Api, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{api.url}/metrics", headers=headers)


def test_without_a_metrics_token_metrics_need_no_token(api: Api) -> None:
    response = scrape(api, None)
    assert response.status_code == 200
    assert "stream_al_queue_depth" in response.text
    operation = api.client().get("/openapi.json").json()["paths"]["/metrics"]["get"]
    assert "security" not in operation


def test_with_a_metrics_token_only_it_opens_metrics(
    guarded: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for token in (None, "wrong-token", guarded.tokens["root"]):  # an admin's token is not it
        refused = scrape(guarded, token)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        body = refused.json()
        assert body["error"] == "unauthorized"
        assert "metrics_token" in body["message"]
    allowed = scrape(guarded, METRICS_TOKEN)
    assert allowed.status_code == 200
    assert "stream_al_queue_depth" in allowed.text
    failures = [r.getMessage() for r in caplog.records if "signin_failed" in r.getMessage()]
    assert len(failures) == 3
    assert "route=/metrics" in failures[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert METRICS_TOKEN[:8] not in logged
    assert METRICS_TOKEN not in repr(guarded.service.settings)


def test_wrong_metrics_tokens_count_as_failed_sign_ins(guarded: Api) -> None:
    for _ in range(4):
        assert scrape(guarded, "wrong-token").status_code == 401
    held_off = scrape(guarded, METRICS_TOKEN)
    assert held_off.status_code == 429
    assert int(held_off.headers["retry-after"]) >= 1


def test_the_openapi_document_says_metrics_want_a_token(guarded: Api) -> None:
    doc = guarded.client().get("/openapi.json").json()
    operation = doc["paths"]["/metrics"]["get"]
    assert operation["security"] == [{"MetricsToken": []}]
    assert {"401", "429"} <= set(operation["responses"])

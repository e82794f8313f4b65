"""Failed sign-ins over HTTP: logged without token material, limited per client address."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import MAX_BODY, Api, start_api

from stream_al.api.signin import SignInGuard
from stream_al.config.sections import ApiSettings

K = 3
WINDOW_S = 1.5
FORGED = "not-a-token-but-long-enough-to-have-a-recognisable-prefix"


def server(tmp_path: Path, **api: Any) -> Api:
    settings = {"port": 0, "max_body_bytes": MAX_BODY, "signin_failures": K}
    return start_api(tmp_path, ApiSettings(**(settings | api)))


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Api]:
    """Three failures per address within `WINDOW_S` seconds."""
    running = server(tmp_path, signin_window_s=WINDOW_S)
    try:
        yield running
    finally:
        running.close()


def call(api: Api, token: str | None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with httpx.Client(base_url=api.url, headers=headers) as client:
        return client.get("/v1/me")


def signin_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "stream_al.api.signin"]


def test_each_failed_sign_in_is_logged_with_address_and_reason_never_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    root = api.client("root")
    revoked_token = api.tokens["bob"]
    assert root.post("/v1/annotators/bob/revoke").status_code == 200
    assert call(api, None).status_code == 401
    assert call(api, FORGED).status_code == 401
    assert call(api, revoked_token).status_code == 401
    lines = signin_lines(caplog)
    assert len(lines) == 3
    for line, reason in zip(lines, ["no_token", "unknown_token", "revoked"], strict=True):
        assert "api.signin_failed client=127.0.0.1" in line
        assert f"reason={reason}" in line
        assert "route=/v1/me" in line
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (FORGED, revoked_token):
        assert secret[:6] not in everything
        assert secret[-6:] not in everything


def test_past_the_limit_a_token_is_answered_429_without_being_checked(
    limited: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(K):
        assert call(limited, FORGED).status_code == 401
    looked_up: list[str] = []
    table = limited.registry.table
    find = table.find_by_hash
    monkeypatch.setattr(
        table, "find_by_hash", lambda digest: looked_up.append(digest) or find(digest)
    )
    started = time.monotonic()
    for token in (FORGED, limited.tokens["ana"]):  # a good token waits too
        held_off = call(limited, token)
        assert held_off.status_code == 429
        assert held_off.json()["error"] == "too_many_failures"
        assert "try again in" in held_off.json()["message"]
        assert 1 <= int(held_off.headers["retry-after"]) <= WINDOW_S + 1
    assert looked_up == []  # neither token reached the table
    assert call(limited, None).status_code == 401  # nothing to check: the usual 401
    lines = signin_lines(caplog)
    assert len([line for line in lines if "signin_failed" in line]) == K  # no more lines
    assert len([line for line in lines if "signin_held_off" in line]) == 1
    while time.monotonic() < started + WINDOW_S + 0.2:
        time.sleep(0.05)
    assert call(limited, limited.tokens["ana"]).status_code == 200  # the window is over


def test_every_authenticated_route_is_held_off_and_the_answers_are_documented(
    limited: Api,
) -> None:
    for _ in range(K):
        call(limited, FORGED)
    headers = {"Authorization": f"Bearer {limited.tokens['root']}"}
    with httpx.Client(base_url=limited.url, headers=headers) as root:
        schema = root.get("/openapi.json").json()
        assert root.post("/v1/tasks/lease").status_code == 429
        assert root.get("/v1/dashboard").status_code == 429
        assert root.post("/v1/annotators/ana/revoke").status_code == 429
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                assert "429" in operation["responses"], (method, path)


def test_without_trusted_proxies_a_forwarded_for_header_changes_nothing(limited: Api) -> None:
    for k in range(K):
        assert call(limited, FORGED, **{"X-Forwarded-For": f"203.0.113.{k}"}).status_code == 401
    fresh = call(limited, limited.tokens["ana"], **{"X-Forwarded-For": "198.51.100.1"})
    assert fresh.status_code == 429  # all of it came from 127.0.0.1


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_tally(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api = server(tmp_path, trusted_proxies=["127.0.0.0/8"])
    try:
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(K):
            assert call(api, FORGED, **guesser).status_code == 401
        assert call(api, api.tokens["ana"], **guesser).status_code == 429
        colleague = {"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}  # the proxy saw .2
        assert call(api, api.tokens["ana"], **colleague).status_code == 200
        assert "client=203.0.113.7" in signin_lines(caplog)[0]
    finally:
        api.close()


def test_the_table_of_addresses_is_bounded() -> None:
    now = [0.0]
    guard = SignInGuard(failures=2, window_s=60.0, clients=100, clock=lambda: now[0])
    for k in range(5000):
        guard.failed(f"10.0.{k // 256}.{k % 256}", "unknown_token", "/v1/me")
        assert len(guard) <= 100
    guard.failed("10.9.9.9", "unknown_token", "/v1/me")
    guard.failed("10.9.9.9", "unknown_token", "/v1/me")
    assert guard.retry_after("10.9.9.9") == 60  # the newest is kept
    assert guard.retry_after("10.0.0.0") is None  # the oldest was forgotten
    now[0] = 61.0
    guard.failed("10.8.8.8", "unknown_token", "/v1/me")
    assert len(guard) == 1  # windows that are over are dropped

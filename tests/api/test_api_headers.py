"""Every answer carries the security headers: JSON, errors, pages, static files, 404s, 500s."""

from __future__ import annotations

import httpx
import pytest
from api_harness import MAX_BODY, Api

from stream_al.api.headers import CONTENT_SECURITY_POLICY

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    policy = response.headers.get("content-security-policy", "")
    directives = {part.strip() for part in policy.split(";")}
    assert "frame-ancestors 'none'" in directives, response.request.url
    assert "script-src 'self'" in directives
    assert "default-src 'none'" in directives


def test_the_policy_keeps_what_the_pages_meta_tag_says() -> None:
    from stream_al.api.app import STATIC_DIR

    for page in ("index.html", "dashboard.html"):
        html = (STATIC_DIR / page).read_text()
        meta = html.split('content="', 2)[2].split('"', 1)[0]  # the CSP meta tag's content
        for directive in meta.split(";"):
            assert directive.strip() in CONTENT_SECURITY_POLICY, (page, directive)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/metrics", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/docs", 200),
        ("GET", "/", 200),
        ("GET", "/dashboard", 200),
        ("GET", "/static/app.js", 200),
        ("GET", "/static/style.css", 200),
        ("GET", "/static/nothing.js", 404),
        ("GET", "/no/such/route", 404),
        ("GET", "/v1/labels", 405),
        ("GET", "/v1/me", 200),
        ("GET", "/v1/stats", 200),
        ("POST", "/v1/tasks/lease?n=0", 422),
        ("POST", "/v1/tasks/nothing/skip", 404),
    ],
)
def test_answers_carry_the_security_headers(api: Api, method: str, path: str, status: int) -> None:
    response = api.client("ana").request(method, path)
    assert response.status_code == status
    assert_secured(response)


def test_refusals_before_the_app_and_unexpected_errors_carry_them_too(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    anonymous = api.client()
    assert_secured(anonymous.get("/v1/me"))  # 401
    too_large = api.client("ana").post("/v1/labels", content=b"x" * (MAX_BODY + 1))
    assert too_large.status_code == 413  # refused by the body limit, before any route
    assert_secured(too_large)

    def broken(who: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.service, "me", broken)
    failed = api.client("ana").get("/v1/me")
    assert failed.status_code == 500
    assert failed.json()["error"] == "internal_error"
    assert_secured(failed)

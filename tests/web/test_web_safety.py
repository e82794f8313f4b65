"""The pages' safety in headless Chromium: our own /docs, the CSP header, no framing, limits.

The browser and tab fixtures are in ``conftest.py`` (skipped without Playwright
or Chromium). Every test listens to the requests the page makes and to the
console, where Chromium reports Content-Security-Policy violations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip(
        "Playwright is not installed (pip install playwright; no browser download needed)",
        allow_module_level=True,
    )

from api_harness import MAX_BODY, Api, start_api

from stream_al.config.sections import ApiSettings

CAP = 2
FAILURES = 2


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """An API whose annotators hold at most `CAP` tasks and may fail `FAILURES` sign-ins."""
    settings = ApiSettings(
        port=0, max_body_bytes=MAX_BODY, max_leased_per_annotator=CAP, signin_failures=FAILURES
    )
    running = start_api(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


class Watch:
    """What a tab asked for, and what its console said."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.console: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def origins(self) -> set[str]:
        return {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.requests}

    def policy_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]


def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    doc = httpx.get(f"{api.url}/openapi.json").json()
    return [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def test_docs_render_every_operation_from_this_server_only(page: Page, api: Api) -> None:
    watch = Watch(page)
    page.goto(f"{api.url}/docs")
    listed = operations(api)
    expect(page.locator("#operations .operation")).to_have_count(len(listed))
    expect(page.get_by_role("status")).to_contain_text(f"{len(listed)} operations")
    for method, path, _ in listed:
        expect(page.get_by_role("region", name=f"{method} {path}", exact=True)).to_be_visible()
    lease = page.get_by_role("region", name="POST /v1/tasks/lease", exact=True)
    params = lease.get_by_role("table", name="Parameters")
    header = "Name In Type Required Description"
    n = "n query integer no How many tasks at most; ≥ 1, ≤ 100, default 1"
    expect(params.get_by_role("row")).to_have_text([header, n], use_inner_text=True)
    expect(lease).to_contain_text("Authorization: Bearer <token>")
    expect(lease.get_by_role("table", name="Answers")).to_contain_text("409")
    labels = page.get_by_role("region", name="POST /v1/labels", exact=True)
    expect(labels).to_contain_text("Request body (application/json), required")
    expect(labels.locator(".fields .fields code.name")).to_contain_text(
        ["item_id", "label", "seconds_spent", "lease_id"]
    )
    page.get_by_role("link", name="LabelsIn").first.click()
    expect(page.locator("#schema-LabelsIn")).to_be_in_viewport()
    expect(page.get_by_role("region", name="GET /healthz")).to_contain_text("No token needed.")
    assert watch.origins() == {api.url}
    assert f"{api.url}/openapi.json" in watch.requests
    assert watch.policy_violations() == []


def test_redoc_and_swagger_ui_are_off(api: Api) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect"):
        response = httpx.get(f"{api.url}{path}")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    docs = httpx.get(f"{api.url}/docs")
    assert "cdn" not in docs.text.lower()
    assert '<script src="/static/docs.js"' in docs.text


@pytest.mark.parametrize("path", ["/", "/dashboard", "/docs"])
def test_the_csp_header_lets_the_pages_load_their_own_scripts_and_styles(
    page: Page, api: Api, path: str
) -> None:
    watch = Watch(page)
    page.goto(f"{api.url}{path}")
    expect(page.locator("form#sign-in, #operations .operation").first).to_be_visible()
    sheets = page.evaluate("document.styleSheets.length")
    assert sheets >= 1  # style.css applied under the header's policy
    assert watch.policy_violations() == []
    assert watch.origins() == {api.url}


class _Framer(BaseHTTPRequestHandler):
    """Another origin: a page framing the API's page and one of its own."""

    target = ""

    def do_GET(self) -> None:
        if self.path == "/own":
            body = b'<p id="own">framed fine</p>'
        else:
            body = (
                f'<iframe id="api" src="{self.target}/"></iframe>'
                '<iframe id="own" src="/own"></iframe>'
            ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass


@pytest.fixture
def framer(api: Api) -> Iterator[str]:
    _Framer.target = api.url
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Framer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_another_origin_cannot_frame_the_page(page: Page, api: Api, framer: str) -> None:
    page.goto(framer)
    expect(page.frame_locator("#own").locator("#own")).to_have_text("framed fine")  # control
    api_frame = page.frame_locator("#api")
    page.wait_for_timeout(500)
    expect(api_frame.locator("#sign-in")).to_have_count(0)
    expect(api_frame.locator("#token")).to_have_count(0)


def test_the_page_waits_out_the_lease_cap_and_then_shows_a_task(page: Page, api: Api) -> None:
    held = api.offer(0.9, 0.8)
    (waiting,) = api.offer(0.1)
    ana = api.client("ana")
    assert len(ana.post("/v1/tasks/lease", params={"n": 5}).json()["tasks"]) == CAP
    page.goto(f"{api.url}/")
    page.get_by_label("Annotator token").fill(api.tokens["ana"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("max_leased_per_annotator")
    expect(page.locator("#task")).to_be_hidden()
    assert ana.post(f"/v1/tasks/{held[0]}/release").status_code == 200
    expect(page.locator("#task-id")).to_have_text(held[0])  # polled again, not hammered
    assert waiting in api.queue


def test_too_many_bad_tokens_are_told_to_wait(page: Page, api: Api) -> None:
    page.goto(f"{api.url}/")
    for _ in range(FAILURES):
        page.get_by_label("Annotator token").fill("not-a-token")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Token not accepted")
    page.get_by_label("Annotator token").fill(api.tokens["ana"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("too many failed sign-ins")
    expect(page.get_by_label("Annotator token")).to_be_visible()

"""The annotators' page when no class is known: it says so and offers nothing to type into."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip(
        "Playwright is not installed (pip install playwright; no browser download needed)",
        allow_module_level=True,
    )

from api_harness import Api, start_api

from stream_al.queue import TaskState

POLL_WAIT_MS = 8000  # the page asks again every 3 s


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The API server with no class configured and none detected."""
    running = start_api(tmp_path, classes=())
    try:
        yield running
    finally:
        running.close()


def test_unknown_classes_are_explained_and_no_free_text_is_offered(page: Page, api: Api) -> None:
    (item_id,) = api.offer(0.9, classes=())
    page.goto(f"{api.url}/")
    page.get_by_label("Annotator token").fill(api.tokens["ana"])
    page.get_by_role("button", name="Sign in").click()

    notice = page.get_by_role("region", name="Nothing can be labelled yet")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Only an admin can fix this")
    expect(notice).to_contain_text("[model] classes")
    expect(notice).to_contain_text("POST /v1/classes")
    expect(page.get_by_role("status")).to_contain_text("Waiting for an admin")
    expect(page.locator("#task")).to_be_hidden()
    assert page.locator("input:visible, textarea:visible, [contenteditable]").count() == 0
    expect(page.get_by_role("textbox")).to_have_count(0)
    assert page.locator("#task form, #task input").count() == 0  # not even hidden
    assert page.locator("#classes button").count() == 0
    with api.service.lock:
        assert api.queue.state(item_id) is TaskState.QUEUED  # not held by a page that cannot label

    declared = api.client("root").post("/v1/classes", json={"classes": ["UP", "DOWN"]})
    assert declared.status_code == 200
    expect(page.locator("#task-id")).to_have_text(item_id, timeout=POLL_WAIT_MS)
    expect(notice).to_be_hidden()
    expect(page.locator("#classes button")).to_have_text(["1 UP", "2 DOWN"])
    assert page.locator("input:visible, textarea:visible").count() == 0
    page.keyboard.press("2")
    expect(page.locator("#my-labels")).to_have_text("1")
    assert [r.label for r in api.store.labels_for(item_id)] == ["DOWN"]

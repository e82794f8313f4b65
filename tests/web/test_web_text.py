"""Text items on the annotators' page: shown as text, wrapped, scrollable, labelled as usual.

Headless Chromium against the real API server (fixtures in ``conftest.py``;
skipped without Playwright or Chromium).
"""

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
from web_harness import offer_item

from stream_al.items import Item

CLASSES = ("ham", "spam")
LONG_WORD = "x" * 300
PARAGRAPH = "Congratulations! You have been selected for a FREE cruise. Call now to claim. "
LONG_TEXT = (
    "Hi <b>markup</b> stays text & so does <script>window.injected = 1</script>\n"
    f"{LONG_WORD}\n" + PARAGRAPH * 60 + "\nthe end"
)
PHONE = {"width": 360, "height": 640}
LAPTOP = {"width": 1024, "height": 768}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The API server over a SQLite store, the memory broker and a fake clock."""
    running = start_api(tmp_path, classes=CLASSES)
    try:
        yield running
    finally:
        running.close()


def offer_text(api: Api, item_id: str, text: str, **features: float | str) -> None:
    offer_item(api, Item(id=item_id, event_time=0.0, text=text, features=features), CLASSES)


def sign_in(page: Page, api: Api, first: str = "sms-1") -> None:
    """Sign in as ana and wait for the task `first`."""
    page.goto(f"{api.url}/")
    page.get_by_label("Annotator token").fill(api.tokens["ana"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#task-id")).to_have_text(first)


def show_text_task(page: Page, api: Api, text: str, **features: float | str) -> None:
    """Queue one text item as "sms-1", sign in as ana and wait for it."""
    offer_text(api, "sms-1", text, **features)
    sign_in(page, api)


def horizontal_overflow(page: Page, selector: str) -> int:
    """How many pixels the element's content is wider than its box (0: none)."""
    width: int = page.locator(selector).evaluate("e => e.scrollWidth - e.clientWidth")
    return width


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_long_text_is_shown_as_text_wrapped_and_scrollable(
    page: Page, api: Api, viewport: dict[str, int]
) -> None:
    show_text_task(page, api, LONG_TEXT, length=len(LONG_TEXT), lang="en")
    shown = page.locator("#task-text")
    expect(shown).to_be_visible()
    assert shown.text_content() == LONG_TEXT
    assert page.locator("#task b, #task script").count() == 0  # markup shown, not made
    assert page.evaluate("window.injected") is None

    for selector in ("#task", "#task-text", "html"):
        assert horizontal_overflow(page, selector) <= 0, selector
    style = shown.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.whiteSpace, s.overflowWrap, s.overflowY, parseFloat(s.fontSize)] }"
    )
    assert style[:3] == ["pre-wrap", "anywhere", "auto"]
    assert style[3] >= 16  # px: at least the browser's body size
    scroll = shown.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert scroll[0] > scroll[1]  # the long text scrolls inside its box...
    assert scroll[1] <= viewport["height"] / 2  # ... which leaves room for the rest

    table = page.get_by_role("table", name="Features")
    expect(table).to_be_visible()
    assert table.evaluate("(t, p) => p.compareDocumentPosition(t) & 4", shown.element_handle())
    for name in CLASSES:
        button = page.get_by_role("button", name=name)
        button.click(trial=True)  # visible, enabled, and nothing covers it
        if viewport == LAPTOP:  # on a laptop, without scrolling the page
            expect(button).to_be_in_viewport()


def test_the_text_box_scrolls_by_keyboard_and_shortcuts_still_label(page: Page, api: Api) -> None:
    show_text_task(page, api, LONG_TEXT)
    shown = page.locator("#task-text")
    shown.focus()
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.getElementById('task-text').scrollTop > 0")
    page.keyboard.press("2")
    expect(page.locator("#my-labels")).to_have_text("1")
    assert [(r.label, r.annotator) for r in api.store.labels_for("sms-1")] == [("spam", "ana")]


def test_the_next_text_starts_at_its_top(page: Page, api: Api) -> None:
    offer_text(api, "sms-0", LONG_TEXT)
    offer_text(api, "sms-1", "next:\n" + LONG_TEXT)
    sign_in(page, api, first="sms-0")  # equal priorities: first come, first served
    page.locator("#task-text").evaluate("e => { e.scrollTop = e.scrollHeight; }")
    page.get_by_role("button", name="spam").click()
    expect(page.locator("#task-id")).to_have_text("sms-1")
    expect(page.locator("#task-text")).to_contain_text("next:")
    assert page.locator("#task-text").evaluate("e => e.scrollTop") == 0


def test_a_label_button_submits_a_text_task(page: Page, api: Api) -> None:
    show_text_task(page, api, f"short message with a long word {LONG_WORD}")
    shown = page.locator("#task-text")
    assert shown.evaluate("e => e.scrollHeight <= e.clientHeight")  # short: no scrollbar
    for selector in ("#task", "#task-text"):
        assert horizontal_overflow(page, selector) <= 0, selector
    expect(page.get_by_role("table", name="Features")).to_be_hidden()  # no features: no table
    page.get_by_role("button", name="ham").click()
    expect(page.locator("#my-labels")).to_have_text("1")
    expect(page.get_by_role("status")).to_contain_text("Labelled sms-1 as ham")
    assert [r.label for r in api.store.labels_for("sms-1")] == ["ham"]

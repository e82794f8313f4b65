"""The annotators' web page in headless Chromium, against the real API server.

The browser and tab fixtures are in ``conftest.py`` (skipped without Playwright
or Chromium). Each test signs in as a real annotator, labels through the page,
and checks what reached the store, the labels topic and, with the whole service
running, the learner.
"""

from __future__ import annotations

import json
import re
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

from api_harness import LEASE_TTL, Api, start_api
from web_harness import ADMIN_TOKEN, offer_item, running_service, wait_for

from stream_al.items import Item
from stream_al.queue import TaskState

PERCENT = re.compile(r"^\d{1,3}%$")
ANY_TEXT = re.compile(r"\S")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The API server over a SQLite store, the memory broker and a fake clock."""
    running = start_api(tmp_path)
    try:
        yield running
    finally:
        running.close()


def sign_in(page: Page, url: str, token: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Annotator token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def expect_task(page: Page, item_id: str) -> None:
    expect(page.locator("#task-id")).to_have_text(item_id)


def state_of(api: Api, item_id: str) -> TaskState | None:
    with api.service.lock:
        return api.queue.state(item_id)


def published(api: Api) -> dict[str, dict[str, object]]:
    """The labels topic's messages by item id."""
    docs = [json.loads(value) for value in api.published()]
    return {str(doc["id"]): doc for doc in docs}


def test_a_bad_token_is_refused_and_a_good_one_shows_a_task(page: Page, api: Api) -> None:
    (first,) = api.offer(0.9)
    sign_in(page, api.url, "not-a-token")
    expect(page.get_by_role("alert")).to_contain_text("Token not accepted")
    expect(page.get_by_label("Annotator token")).to_be_visible()
    expect(page.locator("#task")).to_be_hidden()

    sign_in(page, api.url, api.tokens["ana"])
    expect_task(page, first)
    expect(page.get_by_role("alert")).to_have_text("")
    expect(page.get_by_label("Annotator token")).to_be_hidden()
    expect(page.locator("#who")).to_have_text("ana")
    expect(page.locator("#my-labels")).to_have_text("0")
    expect(page.locator("#queue-depth")).to_have_text("0")
    table = page.get_by_role("table", name="Features")
    expect(table.get_by_role("row")).to_have_text(["Name Value", "x 0.9"], use_inner_text=True)
    expect(page.locator("#predicted")).to_have_text("cat")
    expect(page.locator("#confidence")).to_have_text("60%")
    expect(page.get_by_role("button", name="1 cat")).to_have_attribute("aria-keyshortcuts", "1")
    expect(page.get_by_role("button", name="2 dog")).to_be_visible()
    expect(page.locator("#task-title")).to_be_focused()
    assert page.evaluate("sessionStorage.length") == 1

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Annotator token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert state_of(api, first) is TaskState.QUEUED  # signing out gave the task back


def test_labels_by_click_and_key_and_a_skip_reach_the_store_and_topic(page: Page, api: Api) -> None:
    ids = api.offer(0.9, 0.8, 0.7, 0.6, 0.5)  # leased in this order
    sign_in(page, api.url, api.tokens["ana"])
    expect_task(page, ids[0])
    expect(page.locator("#queue-depth")).to_have_text("4")
    page.get_by_role("button", name="1 cat").click()

    expect_task(page, ids[1])
    expect(page.locator("#my-labels")).to_have_text("1")
    expect(page.locator("#queue-depth")).to_have_text("3")
    expect(page.get_by_role("status")).to_contain_text(f"Labelled {ids[0]} as cat")
    page.keyboard.press("2")

    expect_task(page, ids[2])
    expect(page.locator("#my-labels")).to_have_text("2")
    page.keyboard.press("1")

    expect_task(page, ids[3])
    expect(page.locator("#my-labels")).to_have_text("3")
    page.keyboard.press("s")

    expect_task(page, ids[4])
    expect(page.get_by_role("status")).to_contain_text(f"Skipped {ids[3]}")
    expect(page.locator("#my-labels")).to_have_text("3")
    expect(page.locator("#queue-depth")).to_have_text("1")  # the skipped one waits for others
    page.get_by_role("button", name="2 dog").click()

    expect(page.locator("#my-labels")).to_have_text("4")
    expect(page.get_by_role("status")).to_contain_text("you skipped the ones waiting")
    expect(page.locator("#task")).to_be_hidden()

    given = {ids[0]: "cat", ids[1]: "dog", ids[2]: "cat", ids[4]: "dog"}
    for item_id, label in given.items():
        stored = api.store.labels_for(item_id)
        assert [(r.label, r.annotator) for r in stored] == [(label, "ana")]
    assert api.store.labels_for(ids[3]) == []
    assert state_of(api, ids[3]) is TaskState.QUEUED
    on_topic = published(api)
    assert {item_id: doc["label"] for item_id, doc in on_topic.items()} == given
    for doc in on_topic.values():
        assert doc["annotator"] == "ana"
        assert isinstance(doc["seconds_spent"], float)
        assert doc["seconds_spent"] >= 0


def test_text_is_shown_as_text_and_numbers_readably(page: Page, api: Api) -> None:
    text = (
        "Hello <b>bold</b> & 'quotes'\n"
        '<script>window.injected = 1</script><img src="x" onerror="window.injected = 2">\n'
        "third line"
    )
    features = {"amount": 1234.5678, "tiny": 0.0000123, "count": 3, "lang": "en"}
    offer_item(api, Item(id="<i>txt</i>", event_time=0.0, features=features, text=text))
    sign_in(page, api.url, api.tokens["bob"])
    expect_task(page, "<i>txt</i>")

    shown = page.locator("#task-text")
    expect(shown).to_be_visible()
    assert shown.text_content() == text
    assert shown.inner_text().splitlines()[-1] == "third line"  # line breaks kept
    assert shown.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert page.locator("#task b, #task script, #task img, #task i").count() == 0
    assert page.evaluate("window.injected") is None
    rows = page.get_by_role("table", name="Features").locator("tbody tr")
    expect(rows).to_have_text(
        ["amount 1234.6", "tiny 1.23e-5", "count 3", "lang en"], use_inner_text=True
    )
    expect(rows.first.locator("td")).to_have_attribute("title", "1234.5678")

    page.keyboard.press("2")
    expect(page.locator("#my-labels")).to_have_text("1")
    assert [r.label for r in api.store.labels_for("<i>txt</i>")] == ["dog"]


def test_an_empty_queue_is_said_and_polled(page: Page, api: Api) -> None:
    sign_in(page, api.url, api.tokens["ana"])
    expect(page.get_by_role("status")).to_have_text("Queue empty, checking again…")
    expect(page.locator("#task")).to_be_hidden()
    (item_id,) = api.offer(0.5)
    expect_task(page, item_id)  # the page asks again every few seconds
    expect(page.locator("#queue-depth")).to_have_text("0")


def test_an_expired_lease_is_explained_and_the_task_leased_again(page: Page, api: Api) -> None:
    (item_id,) = api.offer(0.5)
    sign_in(page, api.url, api.tokens["ana"])
    expect_task(page, item_id)
    api.clock.advance(LEASE_TTL + 1)
    page.get_by_role("button", name="1 cat").click()
    expect(page.get_by_role("alert")).to_contain_text("lease it again")
    expect(page.locator("#task")).not_to_have_attribute("aria-busy", "true")  # leased again
    expect_task(page, item_id)
    assert api.store.labels_for(item_id) == []
    page.keyboard.press("1")  # the new lease takes the label
    expect(page.locator("#my-labels")).to_have_text("1")
    assert [r.label for r in api.store.labels_for(item_id)] == ["cat"]


def test_labels_given_on_the_page_reach_the_learner(page: Page, tmp_path: Path) -> None:
    with running_service(tmp_path) as service:
        wait_for(lambda: service.queued() >= 4, "the scorer to queue 4 tasks")
        sign_in(page, service.url, ADMIN_TOKEN)
        labelled: dict[str, str] = {}
        for n in range(4):  # label as the stream's truth says: two clicks, two keys
            expect(page.locator("#my-labels")).to_have_text(str(n))
            expect(page.locator("#task-id")).to_have_text(ANY_TEXT)
            for done in labelled:  # the next task is on screen, not the one just labelled
                expect(page.locator("#task-id")).not_to_have_text(done)
            item_id = page.locator("#task-id").inner_text()
            expect(page.locator("#confidence")).to_have_text(PERCENT)
            label = service.truth[item_id]
            if n % 2:
                buttons = page.locator("#classes button").all_inner_texts()
                page.keyboard.press(str([b.split()[-1] for b in buttons].index(label) + 1))
            else:
                page.locator("#classes button", has_text=label).click()
            labelled[item_id] = label
        expect(page.locator("#my-labels")).to_have_text("4")

        learner = service.learner
        wait_for(lambda: service.learned() >= 4, "the learner to learn 4 labels")
        with service.roles.lock:
            assert learner.version >= 1  # a new model version after 3 labels
            assert service.roles.store is not None
            versions = service.roles.store.model_versions(learner.name)
            stored = {i: service.roles.store.labels_for(i) for i in labelled}
        assert [v.version for v in versions][:1] == ["1"]
        for item_id, label in labelled.items():
            assert (label, "admin") in [(r.label, r.annotator) for r in stored[item_id]]

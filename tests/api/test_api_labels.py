"""Label submission over HTTP: durable before the answer, idempotent, atomic, with reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from api_harness import LEASE_TTL, MAX_BODY, Api
from pydantic import ValidationError

from stream_al.api.schemas import LabelIn
from stream_al.transport.codec import decode_label


def _lease(api: Api, who: str, n: int = 1) -> list[str]:
    tasks = api.client(who).post("/v1/tasks/lease", params={"n": n}).json()["tasks"]
    return [task["item_id"] for task in tasks]


def _submit(api: Api, who: str, *labels: dict[str, object]) -> httpx.Response:
    return api.client(who).post("/v1/labels", json={"labels": list(labels)})


def test_a_label_is_in_the_store_and_on_the_labels_topic_before_the_answer(api: Api) -> None:
    [item] = api.offer(0.5)
    _lease(api, "ana")
    response = _submit(api, "ana", {"item_id": item, "label": "dog", "seconds_spent": 4.5})
    assert response.status_code == 200
    assert response.json() == {"results": [{"item_id": item, "status": "accepted"}], "labels": 1}
    # the server answered: both effects are already there
    [stored] = api.store.labels_for(item)
    assert (stored.label, stored.annotator, stored.source) == ("dog", "ana", "human")
    [value] = api.published()
    event = decode_label(value)
    assert (event.id, event.label, event.annotator, event.time) == (item, "dog", "ana", stored.time)
    message = json.loads(value)
    assert message["item"]["id"] == item
    assert message["item"]["features"] == {"x": 0.5}
    assert message["seconds_spent"] == 4.5
    assert api.queue.state(item).value == "acked"
    assert api.client("ana").get("/v1/me").json()["labels"] == 1


def test_a_repeated_identical_submission_is_a_duplicate_and_published_again(api: Api) -> None:
    [item] = api.offer(0.5)
    _lease(api, "ana")
    first = _submit(api, "ana", {"item_id": item, "label": "cat"})
    again = _submit(api, "ana", {"item_id": item, "label": "cat"})
    assert first.status_code == again.status_code == 200
    assert again.json() == {"results": [{"item_id": item, "status": "duplicate"}], "labels": 1}
    assert len(api.store.labels_for(item)) == 1
    assert len(api.published()) == 2  # harmless: the learner learns each label once
    again_event, first_event = (decode_label(value) for value in reversed(api.published()))
    assert again_event == first_event._replace(item=None)  # the first carries the item


def test_a_different_label_for_an_item_already_labelled_is_409(api: Api) -> None:
    [item] = api.offer(0.5)
    _lease(api, "ana")
    _submit(api, "ana", {"item_id": item, "label": "cat"})
    response = _submit(api, "ana", {"item_id": item, "label": "dog"})
    assert response.status_code == 409
    assert response.json()["error"] == "label_conflict"
    assert response.json()["item_id"] == item
    assert [r.label for r in api.store.labels_for(item)] == ["cat"]


def test_unknown_item_is_404(api: Api) -> None:
    response = _submit(api, "ana", {"item_id": "never-seen", "label": "cat"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_item"
    assert response.json()["item_id"] == "never-seen"


def test_a_task_leased_to_someone_else_is_409(api: Api) -> None:
    [item] = api.offer(0.5)
    _lease(api, "bob")
    response = _submit(api, "ana", {"item_id": item, "label": "cat"})
    assert response.status_code == 409
    assert response.json()["error"] == "not_your_lease"
    wrong_lease = _submit(api, "bob", {"item_id": item, "label": "cat", "lease_id": "old"})
    assert wrong_lease.status_code == 409
    assert api.store.labels_for(item) == []


@pytest.mark.parametrize("label", ["bird", "Cat", 1, True])
def test_a_label_outside_the_tasks_classes_is_422(api: Api, label: object) -> None:
    [item] = api.offer(0.5)
    _lease(api, "ana")
    response = _submit(api, "ana", {"item_id": item, "label": label})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_label"
    assert body["item_id"] == item
    assert "'cat', 'dog'" in body["message"]
    assert api.queue.lease_of(item).annotator == "ana"  # still leased: fix and resend


def test_labels_of_integer_or_boolean_classes_keep_their_type(api: Api) -> None:
    ints = api.offer(0.9, classes=(0, 1))
    bools = api.offer(0.8, classes=(False, True))
    _lease(api, "ana", n=2)
    response = _submit(
        api, "ana", {"item_id": ints[0], "label": 1}, {"item_id": bools[0], "label": True}
    )
    assert response.status_code == 200
    assert api.store.labels_for(ints[0])[0].label == 1
    assert api.store.labels_for(bools[0])[0].label is True


def test_a_batch_is_applied_whole_or_not_at_all(api: Api) -> None:
    items = api.offer(0.9, 0.8, 0.7)
    _lease(api, "ana", n=3)
    bad = _submit(
        api,
        "ana",
        {"item_id": items[0], "label": "cat"},
        {"item_id": items[1], "label": "bird"},
        {"item_id": items[2], "label": "dog"},
    )
    assert bad.status_code == 422
    assert bad.json()["item_id"] == items[1]
    assert "entry 1" in bad.json()["message"]
    assert all(api.store.labels_for(item) == [] for item in items)
    assert api.published() == []
    assert all(api.queue.lease_of(item).annotator == "ana" for item in items)
    good = _submit(
        api,
        "ana",
        {"item_id": items[0], "label": "cat"},
        {"item_id": items[1], "label": "cat"},
        {"item_id": items[2], "label": "dog"},
    )
    assert [r["status"] for r in good.json()["results"]] == ["accepted"] * 3
    assert good.json()["labels"] == 3


def test_the_same_item_twice_in_one_batch_is_422(api: Api) -> None:
    [item] = api.offer(0.5)
    _lease(api, "ana")
    entry = {"item_id": item, "label": "cat"}
    response = _submit(api, "ana", entry, entry)
    assert response.status_code == 422
    assert response.json()["error"] == "duplicate_item"


@pytest.mark.parametrize(
    "body",
    [
        {"labels": []},
        {"labels": [{"item_id": "x"}]},
        {"labels": [{"item_id": "x", "label": 1.5}]},
        {"labels": [{"item_id": "", "label": "cat"}]},
        {"labels": [{"item_id": "x", "label": "cat", "seconds_spent": -1}]},
        {"nothing": True},
    ],
)
def test_malformed_bodies_are_422_with_a_json_reason(api: Api, body: object) -> None:
    response = api.client("ana").post("/v1/labels", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "labels" in response.json()["message"]


def test_invalid_json_is_422(api: Api) -> None:
    response = api.client("ana").post(
        "/v1/labels", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_an_oversized_body_is_413_by_content_length(api: Api) -> None:
    [item] = api.offer(0.5)
    labels = [{"item_id": item, "label": "cat"}] * (MAX_BODY // 20)
    response = api.client("ana").post("/v1/labels", json={"labels": labels})
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert str(MAX_BODY) in response.json()["message"]


def test_an_oversized_streamed_body_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"labels": ['
        for _ in range(MAX_BODY // 16):
            yield b'{"item_id": "a", "label": "cat"},'
        yield b'{"item_id": "a", "label": "cat"}]}'

    response = api.client("ana").post(
        "/v1/labels", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_unknown_routes_and_methods_answer_json(api: Api) -> None:
    ana = api.client("ana")
    missing = ana.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = ana.get("/v1/labels")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]


def test_a_lease_about_to_run_out_is_refused_before_anything_is_applied(api: Api) -> None:
    first, second = api.offer(0.9, 0.8)
    _lease(api, "ana")
    api.clock.advance(LEASE_TTL - 5)
    _lease(api, "ana")  # the second lease has 60 s left, the first 5 s
    api.clock.advance(4.5)
    response = _submit(
        api, "ana", {"item_id": second, "label": "cat"}, {"item_id": first, "label": "cat"}
    )
    assert response.status_code == 409
    assert response.json()["item_id"] == first
    assert "running out" in response.json()["message"]
    assert api.store.labels_for(second) == []
    assert api.queue.lease_of(second).annotator == "ana"


LONE = "\\ud800"  # half a surrogate pair, as JSON escapes it


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/labels", f'{{"labels": [{{"item_id": "{LONE}", "label": "cat"}}]}}'),
        ("/v1/labels", f'{{"labels": [{{"item_id": "item-1", "label": "c{LONE}t"}}]}}'),
        (
            "/v1/labels",
            f'{{"labels": [{{"item_id": "item-1", "label": "cat", "lease_id": "{LONE}"}}]}}',
        ),
        ("/v1/annotators", f'{{"name": "ana{LONE}"}}'),
        ("/v1/reviews/item-1", f'{{"label": "{LONE}"}}'),
    ],
)
def test_strings_utf8_cannot_encode_are_refused_with_422(api: Api, path: str, body: str) -> None:
    api.offer(0.5)
    response = api.client("root").post(
        path, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert api.published() == []


def test_path_bytes_that_are_not_utf8_answer_404(api: Api) -> None:
    root = api.client("root")
    for path in ("/v1/tasks/%ED%A0%80/skip", "/v1/tasks/%FF/release", "/v1/reviews/%ED%A0%80"):
        response = root.post(path, json={"label": "cat"})
        assert response.status_code == 404, path
    assert root.post("/v1/annotators/%ED%A0%80/revoke").status_code == 404


def test_an_optional_string_with_a_lone_surrogate_is_refused_too() -> None:
    """Pydantic lets one through ``str | None`` when the body was parsed first (FastAPI's way)."""
    doc = json.loads('{"item_id": "7", "label": "cat", "lease_id": "\\ud800"}')
    assert doc["lease_id"] == "\ud800"
    with pytest.raises(ValidationError, match="lone surrogate"):
        LabelIn.model_validate(doc)
    assert LabelIn.model_validate({"item_id": "7", "label": "chat 🐈"}).label == "chat 🐈"

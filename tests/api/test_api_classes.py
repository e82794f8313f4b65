"""The class set over HTTP: labels outside it refused or held, and the admins' decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import MAX_BODY, Api, start_api

from stream_al.config.sections import ApiSettings


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Api]:
    """No class configured, none detected, new classes refused (the defaults)."""
    running = start_api(tmp_path, classes=())
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def open_api(tmp_path: Path) -> Iterator[Api]:
    """Classes cat and dog, and ``[api] allow_new_classes``."""
    settings = ApiSettings(port=0, max_body_bytes=MAX_BODY, allow_new_classes=True)
    running = start_api(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


def _lease(api: Api, who: str, n: int = 1) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = (
        api.client(who).post("/v1/tasks/lease", params={"n": n}).json()["tasks"]
    )
    return tasks


def _label(api: Api, who: str, item_id: str, label: object) -> httpx.Response:
    return api.client(who).post(
        "/v1/labels", json={"labels": [{"item_id": item_id, "label": label}]}
    )


def _messages(api: Api) -> list[dict[str, Any]]:
    return [json.loads(value) for value in api.published()]


def test_with_no_class_known_a_made_up_label_is_refused_and_nothing_is_published(
    bare: Api,
) -> None:
    (item,) = bare.offer(0.5, classes=())
    (task,) = _lease(bare, "ana")
    assert task["classes"] == []
    response = _label(bare, "ana", item, "banana")
    assert response.status_code == 422
    body = response.json()
    assert (body["error"], body["item_id"]) == ("invalid_label", item)
    assert "no classes are known yet" in body["message"]
    assert "POST /v1/classes" in body["message"]
    assert bare.store.labels_for(item) == []
    assert bare.published() == []
    assert bare.queue.lease_of(item).annotator == "ana"  # still leased: skip or release it
    classes = bare.client("ana").get("/v1/classes").json()
    assert classes == {
        "classes": [],
        "known": [],
        "pending": [],
        "rejected": [],
        "allow_new_classes": False,
    }


def test_an_admin_declares_the_classes_and_tasks_offer_them(bare: Api) -> None:
    (item,) = bare.offer(0.5, classes=())
    assert (
        bare.client("ana").post("/v1/classes", json={"classes": ["UP", "DOWN"]}).status_code == 403
    )
    root = bare.client("root")
    one = root.post("/v1/classes", json={"classes": ["UP"]})
    assert (one.status_code, one.json()["error"]) == (422, "invalid_request")
    twice = root.post("/v1/classes", json={"classes": ["UP", "UP"]})
    assert (twice.status_code, twice.json()["error"]) == (422, "invalid_classes")
    declared = root.post("/v1/classes", json={"classes": ["UP", "DOWN"]})
    assert declared.status_code == 200, declared.text
    assert declared.json()["classes"] == ["UP", "DOWN"]
    assert [(c["source"], c["by"]) for c in declared.json()["known"]] == [("admin", "root")] * 2
    again = root.post("/v1/classes", json={"classes": ["A", "B"]})
    assert (again.status_code, again.json()["error"]) == (409, "class_conflict")

    (task,) = _lease(bare, "ana")
    assert task["classes"] == ["UP", "DOWN"]
    assert _label(bare, "ana", item, "banana").status_code == 422
    assert _label(bare, "ana", item, "DOWN").status_code == 200
    assert [m["label"] for m in _messages(bare)] == ["DOWN"]


def test_a_new_class_is_held_listed_and_its_labels_published_held(open_api: Api) -> None:
    first, second = open_api.offer(0.9, 0.8)
    _lease(open_api, "ana")
    held = _label(open_api, "ana", first, "bird")
    assert held.status_code == 200, held.text
    assert held.json()["results"] == [{"item_id": first, "status": "accepted", "held": "class"}]
    _lease(open_api, "bob")
    assert _label(open_api, "bob", second, "Bird").json()["results"][0]["held"] == "class"
    assert [r.label for r in open_api.store.labels_for(first)] == ["bird"]  # stored as given

    listed = open_api.client("bob").get("/v1/classes").json()
    assert listed["classes"] == ["cat", "dog"]  # tasks do not offer it
    assert listed["allow_new_classes"] is True
    pending = {p["label"]: p for p in listed["pending"]}
    assert pending["bird"]["proposed_by"] == ["ana"]
    assert pending["bird"]["labels"] == 1
    assert pending["Bird"]["proposed_by"] == ["bob"]  # another text: another class
    messages = _messages(open_api)
    assert [(m["id"], m["label"], m["hold"]) for m in messages] == [
        (first, "bird", "class"),
        (second, "Bird", "class"),
    ]
    (third,) = open_api.offer(0.7)
    (task,) = _lease(open_api, "ana")
    assert task["classes"] == ["cat", "dog"]
    assert _label(open_api, "ana", third, "cat").json()["results"][0] == {
        "item_id": third,
        "status": "accepted",
    }


def test_an_accepted_class_becomes_known_and_its_held_labels_are_published_unheld(
    open_api: Api,
) -> None:
    first, second = open_api.offer(0.9, 0.8)
    _lease(open_api, "ana", n=2)
    assert _label(open_api, "ana", first, "bird").status_code == 200
    assert _label(open_api, "ana", second, "dog").status_code == 200
    root = open_api.client("root")
    assert (
        open_api.client("ana").post("/v1/classes/accept", json={"label": "bird"}).status_code == 403
    )
    unknown = root.post("/v1/classes/accept", json={"label": "fish"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_class")
    assert "'bird'" in unknown.json()["message"]  # the classes waiting

    accepted = root.post("/v1/classes/accept", json={"label": "bird"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"label": "bird", "status": "accepted", "labels": 1}
    messages = _messages(open_api)
    assert [(m["id"], m["label"], m.get("hold")) for m in messages] == [
        (first, "bird", "class"),
        (second, "dog", None),
        (first, "bird", None),  # the held label again, to be learned now
    ]
    assert messages[-1]["annotator"] == "ana"
    assert messages[-1]["item"]["id"] == first  # with its features for the learner
    listed = root.get("/v1/classes").json()
    assert listed["classes"] == ["cat", "dog", "bird"]
    assert listed["pending"] == []
    assert listed["known"][-1] == {"label": "bird", "source": "admin", "by": "root", "at": 1e6}

    (third,) = open_api.offer(0.7)
    (task,) = _lease(open_api, "bob")
    assert task["classes"] == ["cat", "dog", "bird"]
    assert _label(open_api, "bob", third, "bird").json()["results"][0].get("held") is None
    retry = root.post("/v1/classes/accept", json={"label": "bird"})  # e.g. after a 503
    assert retry.json()["labels"] == 2  # both labels of the class, published again
    conflict = root.post("/v1/classes/accept", json={"label": "cat"})
    assert (conflict.status_code, conflict.json()["error"]) == (409, "class_conflict")


def test_a_rejected_class_is_never_learned_and_its_new_labels_are_refused(open_api: Api) -> None:
    first, second = open_api.offer(0.9, 0.8)
    _lease(open_api, "ana", n=2)
    assert _label(open_api, "ana", first, "fish").status_code == 200
    root = open_api.client("root")
    rejected = root.post("/v1/classes/reject", json={"label": "fish"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json() == {"label": "fish", "status": "rejected", "labels": 1}
    refused = _label(open_api, "ana", second, "fish")
    assert refused.status_code == 422
    assert "rejected class 'fish'" in refused.json()["message"]
    listed = root.get("/v1/classes").json()
    assert listed["pending"] == []
    assert [(r["label"], r["by"], r["labels"]) for r in listed["rejected"]] == [("fish", "root", 1)]
    assert [(m["label"], m.get("hold")) for m in _messages(open_api)] == [("fish", "class")]
    assert [r.label for r in open_api.store.labels_for(first)] == ["fish"]  # kept in the log
    again = root.post("/v1/classes/accept", json={"label": "fish"})
    assert (again.status_code, again.json()["error"]) == (409, "class_conflict")


def test_an_admins_review_decision_follows_the_same_rule(tmp_path: Path) -> None:
    for allow_new in (False, True):
        settings = ApiSettings(port=0, max_body_bytes=MAX_BODY, allow_new_classes=allow_new)
        (tmp_path / str(allow_new)).mkdir()
        api = start_api(tmp_path / str(allow_new), settings, overlap=1.0)
        try:
            (item,) = api.offer(0.9)
            for who, label in (("ana", "cat"), ("bob", "dog")):
                _lease(api, who)
                assert _label(api, who, item, label).status_code == 200
            decided = api.client("root").post(f"/v1/reviews/{item}", json={"label": "fish"})
            if not allow_new:
                assert decided.status_code == 422
                assert decided.json()["error"] == "invalid_label"
                assert "not one of the classes ('cat', 'dog')" in decided.json()["message"]
                continue
            assert decided.status_code == 200, decided.text
            settled = _messages(api)[-1]
            assert (settled["label"], settled["annotator"], settled["hold"]) == (
                "fish",
                "review:root",
                "class",
            )
            (pending,) = api.client("root").get("/v1/classes").json()["pending"]
            assert (pending["label"], pending["proposed_by"]) == ("fish", ["root"])
            accepted = api.client("root").post("/v1/classes/accept", json={"label": "fish"})
            assert accepted.json()["labels"] == 1
            again = _messages(api)[-1]
            assert (again["label"], again["annotator"], again.get("hold")) == (
                "fish",
                "review:root",
                None,
            )
        finally:
            api.close()


def test_new_classes_stop_at_the_limit_of_classes_waiting(open_api: Api) -> None:
    open_api.service.classes.max_pending = 1
    first, second, third = open_api.offer(0.9, 0.8, 0.7)
    _lease(open_api, "ana", n=3)
    assert _label(open_api, "ana", first, "bird").status_code == 200
    refused = _label(open_api, "ana", second, "fish")
    assert refused.status_code == 422
    assert "too many new classes wait for an admin" in refused.json()["message"]
    assert open_api.store.labels_for(second) == []
    assert _label(open_api, "ana", third, "bird").status_code == 200  # a waiting one: fine
    (pending,) = open_api.client("root").get("/v1/classes").json()["pending"]
    assert (pending["label"], pending["labels"]) == ("bird", 2)

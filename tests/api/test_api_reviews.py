"""Overlap tasks over HTTP: held labels, consensus, third opinions, admins' decisions, quality."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import LEASE_TTL, Api, start_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """A server whose every task goes to two annotators, with a third annotator ``cy``."""
    running = start_api(tmp_path, overlap=1.0)
    running.tokens["cy"] = running.registry.add("cy")
    try:
        yield running
    finally:
        running.close()


def lease(api: Api, who: str, n: int = 1) -> list[str]:
    answer = api.client(who).post("/v1/tasks/lease", params={"n": n})
    assert answer.status_code == 200, answer.text
    return [task["item_id"] for task in answer.json()["tasks"]]


def label(api: Api, who: str, item_id: str, value: Any, **extra: Any) -> dict[str, Any]:
    body = {"labels": [{"item_id": item_id, "label": value, **extra}]}
    answer = api.client(who).post("/v1/labels", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def messages(api: Api, item_id: str) -> list[dict[str, Any]]:
    found = [json.loads(value) for value in api.published()]
    return [doc for doc in found if doc["id"] == item_id]


def learnable(api: Api, item_id: str) -> list[tuple[str, Any]]:
    """(annotator, label) of the item's messages the learner learns (those without hold)."""
    return [(d["annotator"], d["label"]) for d in messages(api, item_id) if "hold" not in d]


def test_two_agreeing_labels_are_held_then_learned_once_as_the_consensus(api: Api) -> None:
    (item,) = api.offer(0.9)
    assert lease(api, "ana") == [item]
    label(api, "ana", item, "cat", seconds_spent=4.5)
    assert [d.get("hold") for d in messages(api, item)] == ["overlap"]
    assert api.queue.state(item) == "queued"  # back for a second opinion
    assert lease(api, "ana") == []  # never to the one who labelled it
    assert lease(api, "bob") == [item]
    api.clock.advance(7.0)
    label(api, "bob", item, "cat")
    assert api.queue.state(item) == "acked"
    assert learnable(api, item) == [("review:auto", "cat")]
    settled = [d for d in messages(api, item) if d["annotator"] == "review:auto"]
    assert settled[0]["decided_by"] == "annotators"
    assert settled[0]["item"]["id"] == item  # the learner has the features
    log = {(r.annotator, r.source): r.seconds for r in api.store.labels_for(item)}
    assert log == {("ana", "human"): 4.5, ("bob", "human"): 7.0, ("review:auto", "review"): None}


def test_a_conflict_asks_a_third_annotator_whose_label_settles_it(api: Api) -> None:
    (item,) = api.offer(0.9)
    lease(api, "ana")
    label(api, "ana", item, "cat")
    lease(api, "bob")
    label(api, "bob", item, "dog")
    assert [d.get("hold") for d in messages(api, item)] == ["overlap", "conflict"]
    assert api.queue.state(item) == "queued"
    assert api.queue.wanted(item) == 3
    assert lease(api, "bob") == []
    assert lease(api, "ana") == []
    root = api.client("root")
    listed = root.get("/v1/reviews").json()["disputes"]
    assert [(d["item_id"], d["waiting_for_label"]) for d in listed] == [(item, True)]
    assert [x["label"] for x in listed[0]["labels"]] == ["cat", "dog"]
    assert lease(api, "cy") == [item]
    label(api, "cy", item, "dog")
    assert learnable(api, item) == [("review:auto", "dog")]
    assert root.get("/v1/reviews").json()["disputes"] == []
    assert api.queue.state(item) == "acked"


def test_three_different_labels_wait_for_an_admin_who_decides(api: Api) -> None:
    api.tokens["dee"] = api.registry.add("dee")
    (item,) = api.offer(0.9, classes=("cat", "dog", "bird"))
    for who, value in [("ana", "cat"), ("bob", "dog"), ("cy", "bird")]:
        assert lease(api, who) == [item]
        label(api, who, item, value)
    assert api.queue.state(item) == "acked"  # three labels: no more opinions
    assert lease(api, "dee") == []
    assert learnable(api, item) == []
    root = api.client("root")
    (dispute,) = root.get("/v1/reviews").json()["disputes"]
    assert dispute["item_id"] == item
    assert not dispute["waiting_for_label"]
    assert dispute["classes"] == ["cat", "dog", "bird"]

    refused = root.post(f"/v1/reviews/{item}", json={"label": "fish"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_label"
    assert api.client("ana").post(f"/v1/reviews/{item}", json={"label": "cat"}).status_code == 403
    decided = root.post(f"/v1/reviews/{item}", json={"label": "bird"})
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"item_id": item, "label": "bird", "annotator": "review:root"}
    assert learnable(api, item) == [("review:root", "bird")]
    again = root.post(f"/v1/reviews/{item}", json={"label": "cat"})
    assert again.status_code == 409
    assert again.json()["error"] == "already_settled"
    assert root.get("/v1/reviews").json()["disputes"] == []


def test_an_admin_may_settle_a_task_still_waiting_in_the_queue(api: Api) -> None:
    (item,) = api.offer(0.9)
    lease(api, "ana")
    label(api, "ana", item, "cat")
    lease(api, "bob")
    label(api, "bob", item, "dog")
    lease(api, "cy")  # cy holds the third opinion's lease
    root = api.client("root")
    assert root.post(f"/v1/reviews/{item}", json={"label": "cat"}).status_code == 200
    assert api.queue.state(item) == "acked"
    late = api.client("cy").post("/v1/labels", json={"labels": [{"item_id": item, "label": "dog"}]})
    assert late.status_code == 409  # the task left the queue with the decision
    assert learnable(api, item) == [("review:root", "cat")]


def test_unknown_items_get_404_from_the_review_routes(api: Api) -> None:
    root = api.client("root")
    answer = root.post("/v1/reviews/nope", json={"label": "cat"})
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown_item"
    assert root.post("/v1/reviews/nope", json={"label": 1.5}).status_code == 422
    assert api.client().get("/v1/reviews").status_code == 401


def test_an_overlap_task_dropped_with_one_label_is_learned_from_it(api: Api) -> None:
    api.tokens["dee"] = api.registry.add("dee")
    (item,) = api.offer(0.9)
    lease(api, "ana")
    label(api, "ana", item, "dog")
    for who in ("bob", "cy", "dee"):  # three skips drop it ([queue] max_skips)
        assert lease(api, who) == [item]
        assert api.client(who).post(f"/v1/tasks/{item}/skip").status_code == 200
    assert api.queue.state(item) == "dropped"
    assert learnable(api, item) == [("review:auto", "dog")]
    assert api.client("root").get("/v1/quality").json()["held"] == 0


def test_quality_reports_kappa_time_per_label_and_throughput(api: Api) -> None:
    items = api.offer(0.9, 0.8, 0.7, 0.6)
    bob_says = {items[0]: "cat", items[1]: "dog", items[2]: "dog", items[3]: "dog"}
    ana_says = {items[0]: "cat", items[1]: "dog", items[2]: "cat", items[3]: "dog"}
    for item in lease(api, "ana", n=4):
        label(api, "ana", item, ana_says[item], seconds_spent=2.0)
    for item in lease(api, "bob", n=4):
        label(api, "bob", item, bob_says[item], seconds_spent=6.0)
    quality = api.client("root").get("/v1/quality").json()
    # pairs (cat,cat) (dog,dog) (cat,dog) (dog,dog): p_o = 0.75, p_e = 0.5·0.25 + 0.5·0.75 = 0.5
    assert quality["pairs"] == 4
    assert quality["kappa"] == pytest.approx(0.5)
    assert quality["agreement"] == pytest.approx(0.75)
    assert quality["overlap"] == 1.0
    assert quality["conflicts_open"] == 1
    assert quality["held"] == 2
    by_name = {a["name"]: a for a in quality["annotators"]}
    assert by_name["ana"]["kappa"] == pytest.approx(0.5)
    assert by_name["ana"]["pairs"] == 4
    assert by_name["ana"]["median_seconds"] == 2.0
    assert by_name["bob"]["median_seconds"] == 6.0
    assert by_name["bob"]["labels"] == 4
    assert by_name["bob"]["labels_last_hour"] == 4
    api.clock.advance(3601.0)
    later = api.client("root").get("/v1/quality").json()
    assert {a["name"]: a["labels_last_hour"] for a in later["annotators"]} == {"ana": 0, "bob": 0}
    assert api.client("ana").get("/v1/quality").status_code == 403


def test_a_repeated_submission_publishes_the_settled_label_again(api: Api) -> None:
    (item,) = api.offer(0.9)
    lease(api, "ana")
    label(api, "ana", item, "cat")
    lease(api, "bob")
    label(api, "bob", item, "cat")
    before = len(learnable(api, item))
    again = label(api, "bob", item, "cat")  # the client did not see the first answer
    assert again["results"] == [{"item_id": item, "status": "duplicate"}]
    assert learnable(api, item) == [("review:auto", "cat")] * (before + 1)
    assert [d.get("hold") for d in messages(api, item) if d["annotator"] == "bob"] == [
        "overlap",
        "overlap",
    ]


def test_without_overlap_a_label_is_learned_as_it_comes(tmp_path: Path) -> None:
    plain = start_api(tmp_path, overlap=0.0)
    try:
        (item,) = plain.offer(0.9)
        lease(plain, "ana")
        label(plain, "ana", item, "dog")
        assert learnable(plain, item) == [("ana", "dog")]
        assert plain.queue.state(item) == "acked"
        assert [r.seconds for r in plain.store.labels_for(item)] == [0.0]  # leased, then labelled
    finally:
        plain.close()


def test_lease_expiry_keeps_who_labelled_it(api: Api) -> None:
    (item,) = api.offer(0.9)
    lease(api, "ana")
    label(api, "ana", item, "cat")
    lease(api, "bob")
    api.clock.advance(LEASE_TTL + 1)  # bob walked away
    assert lease(api, "ana") == []
    assert lease(api, "cy") == [item]

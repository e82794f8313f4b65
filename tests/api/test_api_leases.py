"""Leasing over HTTP: priority order, one annotator per task, expiry, skip and release."""

from __future__ import annotations

import threading

import pytest
from api_harness import CLASSES, LEASE_TTL, Api


def test_lease_hands_out_the_highest_priorities_with_lease_ids_and_expiry(api: Api) -> None:
    low, high, mid = api.offer(0.2, 0.9, 0.5)
    response = api.client("ana").post("/v1/tasks/lease", params={"n": 2})
    assert response.status_code == 200
    body = response.json()
    assert [t["item_id"] for t in body["tasks"]] == [high, mid]
    assert body["queue_depth"] == 1
    task = body["tasks"][0]
    assert set(task) == {
        "lease_id",
        "item_id",
        "expires_at",
        "priority",
        "classes",
        "item",
        "prediction",
        "confidence",
        "model_version",
    }
    assert task["expires_at"] == api.clock.now() + LEASE_TTL
    assert task["priority"] == pytest.approx(0.9)
    assert task["classes"] == list(CLASSES)
    assert task["item"] == {
        "id": high,
        "event_time": api.clock.now(),
        "features": {"x": 0.9},
        "text": None,
        "metadata": {},
    }
    assert (task["prediction"], task["confidence"], task["model_version"]) == ("cat", 0.6, "3")
    assert len({t["lease_id"] for t in body["tasks"]}) == 2
    assert api.queue.lease_of(high).annotator == "ana"
    assert low in api.queue


def test_lease_of_an_empty_queue_is_an_empty_list(api: Api) -> None:
    assert api.client("ana").post("/v1/tasks/lease").json() == {"tasks": [], "queue_depth": 0}


@pytest.mark.parametrize("n", ["0", "101", "-1", "two"])
def test_lease_size_out_of_bounds_is_422(api: Api, n: str) -> None:
    response = api.client("ana").post("/v1/tasks/lease", params={"n": n})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "n" in response.json()["message"]


def test_no_task_is_leased_to_two_annotators_at_once(api: Api) -> None:
    ids = set(api.offer(*[0.01 * (i + 1) for i in range(40)]))
    got: dict[str, list[str]] = {}
    names = ["ana", "bob", "root"]
    clients = {name: api.client(name) for name in names}
    start = threading.Barrier(len(names))

    def grab(name: str) -> None:
        start.wait()
        mine = got.setdefault(name, [])
        while True:
            tasks = clients[name].post("/v1/tasks/lease", params={"n": 3}).json()["tasks"]
            if not tasks:
                return
            mine.extend(t["item_id"] for t in tasks)

    threads = [threading.Thread(target=grab, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    leased = [item for name in names for item in got[name]]
    assert sorted(leased) == sorted(ids)  # every task once, to exactly one annotator
    for name in names:
        for item in got[name]:
            assert api.queue.lease_of(item).annotator == name


def test_an_expired_lease_returns_the_task(api: Api) -> None:
    [item] = api.offer(0.5)
    ana, bob = api.client("ana"), api.client("bob")
    assert [t["item_id"] for t in ana.post("/v1/tasks/lease").json()["tasks"]] == [item]
    assert bob.post("/v1/tasks/lease").json()["tasks"] == []
    api.clock.advance(LEASE_TTL + 1)
    assert [t["item_id"] for t in bob.post("/v1/tasks/lease").json()["tasks"]] == [item]
    late = ana.post("/v1/labels", json={"labels": [{"item_id": item, "label": "cat"}]})
    assert late.status_code == 409
    assert late.json()["error"] == "not_your_lease"
    assert late.json()["item_id"] == item


def test_skip_passes_the_task_to_others_only(api: Api) -> None:
    [item] = api.offer(0.5)
    ana, bob = api.client("ana"), api.client("bob")
    ana.post("/v1/tasks/lease")
    response = ana.post(f"/v1/tasks/{item}/skip")
    assert response.status_code == 200
    assert response.json() == {"item_id": item, "state": "queued"}
    assert ana.post("/v1/tasks/lease").json()["tasks"] == []
    assert [t["item_id"] for t in bob.post("/v1/tasks/lease").json()["tasks"]] == [item]


def test_release_gives_the_task_back_to_anyone(api: Api) -> None:
    [item] = api.offer(0.5)
    ana = api.client("ana")
    ana.post("/v1/tasks/lease")
    assert ana.post(f"/v1/tasks/{item}/release").json() == {"item_id": item, "state": "queued"}
    assert [t["item_id"] for t in ana.post("/v1/tasks/lease").json()["tasks"]] == [item]


@pytest.mark.parametrize("action", ["skip", "release"])
def test_skip_and_release_need_the_callers_lease(api: Api, action: str) -> None:
    [item] = api.offer(0.5)
    ana, bob = api.client("ana"), api.client("bob")
    unknown = ana.post(f"/v1/tasks/nope/{action}")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": "unknown_item",
        "message": unknown.json()["message"],
        "item_id": "nope",
    }
    assert ana.post(f"/v1/tasks/{item}/{action}").status_code == 409  # queued, not leased
    bob.post("/v1/tasks/lease")
    response = ana.post(f"/v1/tasks/{item}/{action}")
    assert response.status_code == 409
    assert response.json()["error"] == "not_your_lease"
    assert api.queue.lease_of(item).annotator == "bob"

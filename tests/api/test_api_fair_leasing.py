"""Fair leasing over HTTP: a cap per annotator, and a revoked annotator's tasks come back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_harness import LEASE_TTL, MAX_BODY, Api, start_api
from typer.testing import CliRunner

from stream_al.api import open_registry
from stream_al.api import start_api as serve_api
from stream_al.cli import app
from stream_al.config import Settings
from stream_al.config.sections import ApiSettings
from stream_al.queue import Task
from stream_al.service.wiring import build_roles, build_transport, run_roles
from stream_al.transport.memory import MemoryBroker

CAP = 5


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[Api]:
    """A server whose annotators may hold `CAP` leased tasks each."""
    settings = ApiSettings(port=0, max_body_bytes=MAX_BODY, max_leased_per_annotator=CAP)
    running = start_api(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


def lease(client: httpx.Client, n: int) -> list[str]:
    response = client.post("/v1/tasks/lease", params={"n": n})
    assert response.status_code == 200, response.text
    return [task["item_id"] for task in response.json()["tasks"]]


def test_by_default_one_annotator_cannot_lease_the_whole_queue(api: Api) -> None:
    api.offer(*[0.01 * (i + 1) for i in range(30)])
    ana, bob = api.client("ana"), api.client("bob")
    assert len(lease(ana, 100)) == ApiSettings().max_leased_per_annotator == 20
    refused = ana.post("/v1/tasks/lease", params={"n": 100})
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "lease_limit"
    assert "max_leased_per_annotator = 20" in body["message"]
    assert "label, skip or release" in body["message"]
    assert len(lease(bob, 100)) == 10  # what ana could not take


def test_a_lease_gets_only_what_fits_and_labelling_makes_room(capped: Api) -> None:
    capped.offer(*[0.1 * (i + 1) for i in range(9)])
    ana = capped.client("ana")
    first = lease(ana, 3)
    assert len(lease(ana, 5)) == CAP - 3
    assert ana.post("/v1/tasks/lease").json()["error"] == "lease_limit"
    labelled = ana.post("/v1/labels", json={"labels": [{"item_id": first[0], "label": "cat"}]})
    assert labelled.status_code == 200
    released = ana.post(f"/v1/tasks/{first[1]}/release")
    assert released.status_code == 200
    assert len(lease(ana, 5)) == 2  # one labelled, one given back: two slots, two tasks


def test_leases_that_ran_out_no_longer_count(capped: Api) -> None:
    capped.offer(*[0.1 * (i + 1) for i in range(8)])
    ana = capped.client("ana")
    assert len(lease(ana, CAP)) == CAP
    assert ana.post("/v1/tasks/lease").status_code == 409
    capped.clock.advance(LEASE_TTL + 1)
    assert len(lease(ana, CAP)) == CAP


def test_the_cap_is_per_annotator(capped: Api) -> None:
    capped.offer(*[0.1 * (i + 1) for i in range(8)])
    assert len(lease(capped.client("ana"), CAP)) == CAP
    assert len(lease(capped.client("bob"), CAP)) == 3


def test_revoking_through_the_api_gives_the_leased_tasks_back_at_once(capped: Api) -> None:
    capped.offer(0.9, 0.8, 0.7)
    ana, root = capped.client("ana"), capped.client("root")
    held = lease(ana, 3)
    revoked = root.post("/v1/annotators/ana/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["leases_released"] == 3
    assert (capped.queue.depth, capped.queue.leased_count) == (3, 0)
    assert lease(capped.client("bob"), 3) == held  # same priority order as before
    assert ana.post("/v1/tasks/lease").status_code == 401


def revoke_with_the_cli(store: Path, name: str, tmp_path: Path) -> str:
    config = tmp_path / "cli.toml"
    config.write_text(f'[store]\npath = "{store}"\n')
    result = CliRunner().invoke(app, ["annotators", "revoke", name, "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    return result.stderr


def test_a_revocation_by_another_process_gives_the_tasks_back_on_a_later_lease(
    capped: Api, tmp_path: Path
) -> None:
    capped.offer(0.9, 0.8, 0.7)
    held = lease(capped.client("ana"), 3)
    revoke_with_the_cli(tmp_path / "store.db", "ana", tmp_path)
    bob = capped.client("bob")
    got: list[str] = []
    deadline = time.monotonic() + 5.0  # the server looks at most once a second
    while not got and time.monotonic() < deadline:
        got = lease(bob, 3)
        time.sleep(0.05)
    assert got == held
    assert capped.clock.now() < capped.queue.leases_of("bob")[0].leased_at + LEASE_TTL


def test_the_service_loop_gives_back_the_tasks_of_an_annotator_revoked_elsewhere(
    tmp_path: Path,
) -> None:
    """No one leases after the revocation: the loop's tick finds it within seconds."""
    store = tmp_path / "s.db"
    settings = Settings(store={"path": str(store)}, api={"port": 0})
    roles = build_roles(settings, build_transport(settings, MemoryBroker()), {"queue"})
    queue = roles.queue
    assert queue is not None
    assert roles.store is not None
    registry = open_registry(store)
    token = registry.add("ana")
    registry.close()
    server = serve_api(settings, roles)
    roles.on_close.append(server.stop)
    with roles.lock, roles.store.transaction():
        for k in range(3):
            assert queue.offer(Task(f"i{k}", 0.5, time.time())).admitted
    stop = threading.Event()
    loop = threading.Thread(target=run_roles, args=(roles, stop), kwargs={"poll_ms": 20})
    loop.start()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers) as ana:
            assert len(lease(ana, 3)) == 3
        note = revoke_with_the_cli(store, "ana", tmp_path)
        assert "gives the tasks they held back" in note
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            with roles.lock:
                if queue.leased_count == 0:
                    break
            time.sleep(0.05)
        with roles.lock:
            assert (queue.leased_count, queue.depth) == (0, 3)
            counts = queue.stats().counts
            assert (counts["released"], counts.get("lease_expired", 0)) == (3, 0)  # not timed out
    finally:
        stop.set()
        loop.join(30)
    assert not loop.is_alive()

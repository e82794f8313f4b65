"""Classes end to end, as `stream-al run` wires them: what the learner learns of the labels
given through the API when a class is unknown, new, accepted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from stream_al.api import start_api
from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.service.wiring import Roles, build_roles, build_transport, run_roles
from stream_al.transport.codec import decode_label, encode_event
from stream_al.transport.memory import MemoryBroker

TOKEN = "a-test-admin-token-of-enough-length"


@dataclass
class Running:
    client: httpx.Client
    roles: Roles
    settings: Settings
    broker: MemoryBroker

    def learned(self) -> int:
        """Labels the learner learned so far."""
        assert self.roles.learner is not None
        with self.roles.lock:
            return self.roles.learner.learner.labelled.n

    def lease(self) -> dict[str, Any]:
        """One task, once the scorer queued one."""
        found: list[dict[str, Any]] = []

        def leased() -> bool:
            found.extend(self.client.post("/v1/tasks/lease").json()["tasks"])
            return bool(found)

        wait_for(leased, "a task")
        return found[0]

    def label(self, task: dict[str, Any], label: object) -> httpx.Response:
        return self.client.post(
            "/v1/labels", json={"labels": [{"item_id": task["item_id"], "label": label}]}
        )


@contextmanager
def running(tmp_path: Path, **sections: Any) -> Iterator[Running]:
    """Scorer, queue, learner and the API on one loop, fed 400 SEA events (no labels in them)."""
    settings = Settings(
        store={"path": str(tmp_path / "s.db")},
        strategy={"budget": 0.3},
        api={"port": 0, "token": TOKEN, **sections.pop("api", {})},
        scorer={"poll_timeout_ms": 20},
        **sections,
    )
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    server = start_api(settings, roles)
    roles.on_close.append(server.stop)
    for example in open_stream("synth:sea?n=400", seed=2):
        broker.producer().send(settings.kafka.input_topic, encode_event(example))
    stop = threading.Event()
    loop = threading.Thread(target=run_roles, args=(roles, stop), kwargs={"poll_ms": 20})
    loop.start()
    client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        yield Running(client, roles, settings, broker)
    finally:
        client.close()
        stop.set()
        loop.join(30)
    assert not loop.is_alive()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_with_no_class_known_nothing_typed_reaches_the_learner(tmp_path: Path) -> None:
    with running(tmp_path) as service:
        task = service.lease()
        assert task["classes"] == []
        refused = service.label(task, "banana")
        assert refused.status_code == 422
        assert "no classes are known yet" in refused.json()["message"]
        assert service.broker.read(service.settings.kafka.topic("labels")) == []
        assert service.learned() == 0
        assert service.roles.learner is not None
        assert service.roles.learner.model.classes == []


def test_a_new_class_is_learned_only_after_an_admin_accepts_it(tmp_path: Path) -> None:
    sections = {"model": {"classes": ["False", "True"]}, "api": {"allow_new_classes": True}}
    with running(tmp_path, **sections) as service:
        assert service.roles.learner is not None
        model = service.roles.learner.model
        first, second, third = service.lease(), service.lease(), service.lease()
        assert service.label(first, "FLAT").json()["results"][0]["held"] == "class"
        assert service.label(second, "True").status_code == 200
        wait_for(lambda: service.learned() == 1, "the learner to learn the plain label")
        with service.roles.lock:  # the held label came first on the topic: read, not learned
            assert "FLAT" not in model.classes
        topic = service.broker.read(service.settings.kafka.topic("labels"))
        assert [decode_label(r.value).hold for r in topic] == ["class", None]
        (pending,) = service.client.get("/v1/classes").json()["pending"]
        assert (pending["label"], pending["labels"]) == ("FLAT", 1)

        accepted = service.client.post("/v1/classes/accept", json={"label": "FLAT"})
        assert accepted.json() == {"label": "FLAT", "status": "accepted", "labels": 1}
        wait_for(lambda: service.learned() == 2, "the learner to learn the accepted class")
        with service.roles.lock:
            assert model.classes[-1] == "FLAT"
        assert service.label(third, "FLAT").status_code == 200
        wait_for(lambda: service.learned() == 3, "a label of the accepted class")
        assert service.lease()["classes"] == ["False", "True", "FLAT"]

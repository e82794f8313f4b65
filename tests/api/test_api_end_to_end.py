"""`stream-al run` as serve() wires it: labels given through the API reach the learner."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from stream_al.api import start_api
from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.service.learner import LearnerService
from stream_al.service.wiring import build_roles, build_transport, run_roles
from stream_al.transport.codec import encode_event
from stream_al.transport.memory import MemoryBroker

TOKEN = "a-test-admin-token-of-enough-length"


@pytest.mark.parametrize("store", ["file", ":memory:"])
def test_labels_through_the_api_reach_the_learner(tmp_path: Path, store: str) -> None:
    settings = Settings(
        store={"path": str(tmp_path / "s.db") if store == "file" else store},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.3},
        api={"port": 0, "token": TOKEN},
        scorer={"poll_timeout_ms": 20},
    )
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    assert roles.learner is not None
    roles.learner.checkpoint_every = 20
    server = start_api(settings, roles)
    roles.on_close.append(server.stop)
    stop = threading.Event()
    loop = threading.Thread(target=run_roles, args=(roles, stop), kwargs={"poll_ms": 20})
    loop.start()
    try:
        producer = broker.producer()
        truth = {}
        for example in open_stream("synth:sea?n=600", seed=2):
            producer.send(settings.kafka.input_topic, encode_event(example))
            truth[example.item.id] = str(example.label)
        client = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        given = _annotate(client, truth, roles.learner, want=60)
        assert given >= 60
        stats = client.get("/v1/stats").json()
        assert stats["labels_total"] >= given
        assert stats["annotator"] == {"name": "admin", "labels": given}
        assert stats["budget_spent"] > 0
        assert stats["accuracy_estimate"] is not None
        assert roles.learner.version >= 1  # checkpoints were written
        published = [json.loads(r.value) for r in broker.read(settings.kafka.topic("labels"))]
        assert all(doc["annotator"] == "admin" and "item" in doc for doc in published)
        client.close()
    finally:
        stop.set()
        loop.join(30)
    assert not loop.is_alive()
    with pytest.raises(httpx.ConnectError):  # the API stopped with the roles
        httpx.get(f"{server.url}/healthz")


def _annotate(
    client: httpx.Client, truth: dict[str, str], learner: LearnerService, want: int
) -> int:
    """Lease and label until the learner learned `want` labels; returns labels given."""
    given = 0
    deadline = time.monotonic() + 30
    while learner.learner.labelled.n < want:
        assert time.monotonic() < deadline, f"learner has {learner.learner.labelled.n} labels"
        tasks = client.post("/v1/tasks/lease", params={"n": 20}).json()["tasks"]
        if not tasks:
            time.sleep(0.02)
            continue
        labels = [{"item_id": t["item_id"], "label": truth[t["item_id"]]} for t in tasks]
        response = client.post("/v1/labels", json={"labels": labels})
        assert response.status_code == 200, response.text
        given += len(labels)
    return given

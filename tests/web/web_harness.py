"""Servers for the web page tests: queue a chosen item, or run the whole service loop.

`offer_item` puts one item of the test's choosing in the queue of an
``api_harness`` server. `running_service` starts what ``stream-al run``
starts over the in-memory broker (scorer, queue, learner, the API), feeds it
a synthetic stream, and keeps the true labels so a test can label like a
careful annotator would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api_harness import CLASSES, Api, scorer_payload

from stream_al.api import start_api
from stream_al.config import Settings
from stream_al.datasets import open_stream
from stream_al.items import Item
from stream_al.queue import Task
from stream_al.service.learner import LearnerService
from stream_al.service.wiring import Roles, build_roles, build_transport, run_roles
from stream_al.transport.codec import encode_event
from stream_al.transport.memory import MemoryBroker

ADMIN_TOKEN = "a-web-test-admin-token-of-enough-length"


def offer_item(api: Api, item: Item, classes: tuple[Any, ...] = CLASSES) -> None:
    """Queue `item` with a scorer-like payload (prediction: the first class, 60 %)."""
    payload = scorer_payload(item, classes)
    with api.service.lock, api.store.transaction():
        assert api.queue.offer(Task(item.id, 1.0, api.clock.now(), payload, classes)).admitted


@dataclass
class Service:
    """The running service: its API address, its parts and the stream's true labels."""

    url: str
    roles: Roles
    learner: LearnerService
    broker: MemoryBroker
    settings: Settings
    truth: dict[str, str]

    def queued(self) -> int:
        """Tasks waiting in the queue now."""
        with self.roles.lock:
            return 0 if self.roles.queue is None else self.roles.queue.depth

    def learned(self) -> int:
        """Labels the learner learned so far."""
        with self.roles.lock:
            return self.learner.learner.labelled.n


@contextmanager
def running_service(tmp_path: Path, items: int = 300) -> Iterator[Service]:
    """The scorer, queue, learner and API on one loop; a model version every 3 labels."""
    settings = Settings(
        store={"path": str(tmp_path / "service.db")},
        model={"classes": ["False", "True"]},
        strategy={"budget": 0.3},
        api={"port": 0, "token": ADMIN_TOKEN},
        scorer={"poll_timeout_ms": 20},
    )
    broker = MemoryBroker()
    roles = build_roles(settings, build_transport(settings, broker), {"scorer", "queue", "learner"})
    assert roles.learner is not None
    roles.learner.checkpoint_every = 3
    server = start_api(settings, roles)
    roles.on_close.append(server.stop)
    producer = broker.producer()
    truth = {}
    for example in open_stream(f"synth:sea?n={items}", seed=2):
        producer.send(settings.kafka.input_topic, encode_event(example))
        truth[example.item.id] = str(example.label)
    stop = threading.Event()
    loop = threading.Thread(target=run_roles, args=(roles, stop), kwargs={"poll_ms": 20})
    loop.start()
    try:
        yield Service(server.url, roles, roles.learner, broker, settings, truth)
    finally:
        stop.set()
        loop.join(30)
    assert not loop.is_alive(), "the service loop did not stop"


def wait_for(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Poll `check` (state of another thread) every 20 ms until true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.02)

"""A real annotation API server for the tests: uvicorn on 127.0.0.1, a free port.

`start_api` starts it over a SQLite store file in ``tmp_path`` and the in-memory
broker, with a fake clock (leases expire when the test says so), the classes
``cat`` and ``dog`` as if configured, and three annotators: ``ana`` and ``bob``
(annotators) and ``root`` (admin), plus the ``[api] token`` admin when the
settings give a token.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from stream_al.api import (
    AnnotationService,
    AnnotatorRegistry,
    ApiServer,
    Probes,
    Role,
    create_app,
    open_registry,
)
from stream_al.classes import ClassBook
from stream_al.clock import FakeClock
from stream_al.config.sections import ApiSettings
from stream_al.items import Item
from stream_al.queue import AnnotationQueue, Task
from stream_al.store import SqliteStore, open_store
from stream_al.transport.memory import MemoryBroker

LABELS_TOPIC = "sal.labels"
CLASSES = ("cat", "dog")
MAX_BODY = 4096
LEASE_TTL = 60.0


def scorer_payload(item: Item, classes: tuple[Any, ...] = CLASSES) -> dict[str, Any]:
    """A task payload as the scorer writes it (prediction: the first class, 60 %)."""
    return {
        "item": item.to_json(),
        "prediction": classes[0] if classes else None,
        "confidence": 0.6,
        "random": False,
        "model_version": "3",
        "position": 960,  # items scored at admission; the budget probe says 1,000 now
    }


@dataclass
class Api:
    """A running API and everything behind it."""

    url: str
    clock: FakeClock
    queue: AnnotationQueue
    store: SqliteStore
    broker: MemoryBroker
    registry: AnnotatorRegistry
    service: AnnotationService
    server: ApiServer
    tokens: dict[str, str] = field(default_factory=dict)
    _clients: list[httpx.Client] = field(default_factory=list)
    _offered: int = 0

    def client(self, who: str | None = None) -> httpx.Client:
        """An HTTP client, sending the bearer token of `who` (none when None)."""
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10.0)
        self._clients.append(client)
        return client

    def offer(self, *scores: float, classes: tuple[Any, ...] = CLASSES) -> list[str]:
        """Queue one task per score, with a scorer-like payload; returns their ids.

        `classes` are made known first, as if configured (none: the set is left as it is).
        """
        ids = []
        with self.service.lock, self.store.transaction():
            if classes:
                self.service.classes.seed(classes, "config")
            for score in scores:
                self._offered += 1
                item_id = f"item-{self._offered}"
                item = Item(id=item_id, event_time=self.clock.now(), features={"x": score})
                payload = scorer_payload(item, classes)
                task = Task(item_id, score, self.clock.now(), payload, classes)
                assert self.queue.offer(task).admitted
                ids.append(item_id)
        return ids

    def published(self) -> list[bytes]:
        """Values on the labels topic."""
        return [record.value for record in self.broker.read(LABELS_TOPIC)]

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.server.stop()
        self.store.close()


def start_api(
    tmp_path: Path,
    settings: ApiSettings | None = None,
    overlap: float = 0.0,
    classes: tuple[Any, ...] = CLASSES,
) -> Api:
    """Start a server over a fresh store file; the caller stops it with `Api.close`.

    `overlap`: the queue's share of tasks for two annotators (``[queue] overlap``);
    `classes`: the known classes, as if configured (none: no class is known).
    """
    settings = settings or ApiSettings(port=0, max_body_bytes=MAX_BODY)
    path = tmp_path / "store.db"
    clock = FakeClock(1_000_000.0)
    store = open_store(path)
    assert isinstance(store, SqliteStore)
    broker = MemoryBroker(clock=clock)
    broker.ensure_topics([LABELS_TOPIC])
    queue = AnnotationQueue(
        capacity=50,
        half_life=600,
        lease_ttl=LEASE_TTL,
        clock=clock,
        store=store.queue_store(),
        overlap=overlap,
    )
    book = ClassBook(store)
    if classes:
        book.seed(classes, "config")
    service = AnnotationService(
        queue,
        store,
        broker.producer(),
        LABELS_TOPIC,
        clock=clock,
        lock=threading.RLock(),
        settings=settings,
        probes=Probes(
            budget=lambda: {"budget": 0.05, "spent": 0.04, "seen": 1000.0, "queries": 40.0},
            accuracy=lambda: 0.8,
            oldest_arrival=queue.oldest_arrival,
            lag=lambda: {
                "admission_rate": 0.05,
                "labeling_rate": 0.02,
                "label_free_accuracy": 0.83,
                "pseudo_labels": 3,
            },
        ),
        classes=book,
    )
    registry = open_registry(path, settings.token, settings.token_name)
    server = ApiServer(create_app(service, registry, settings), "127.0.0.1", 0, registry.close)
    api = Api(server.start().url, clock, queue, store, broker, registry, service, server)
    api.tokens = {
        "ana": registry.add("ana"),
        "bob": registry.add("bob"),
        "root": registry.add("root", Role.ADMIN),
    }
    return api

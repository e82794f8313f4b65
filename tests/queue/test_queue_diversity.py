"""Diverse leases: near-duplicate texts never share one lease; they wait for the next."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from stream_al.clock import FakeClock
from stream_al.config import Settings
from stream_al.exceptions import ConfigError
from stream_al.features import HashingEmbedder
from stream_al.queue import AnnotationQueue, MemoryQueueStore, QueueStore, Task
from stream_al.queue.diversity import Diversity, text_vectors
from stream_al.service.wiring import build_roles, build_transport, close_roles
from stream_al.store import open_store

SPAM = "WIN a FREE prize now!!!"
SPAM_AGAIN = "win a free prize now"
LUNCH = "Are we still meeting for lunch tomorrow?"


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], QueueStore]]:
    """Opens the queue's store; the same one again after a restart."""
    if request.param == "memory":
        memory = MemoryQueueStore()
        yield lambda: memory
        return
    sqlite = open_store(tmp_path / "queue.db")
    try:
        yield sqlite.queue_store
    finally:
        sqlite.close()


class Counting:
    """A ``vector_of`` over item texts that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.inner = text_vectors(HashingEmbedder())

    def __call__(self, task: Task) -> Any:
        self.calls += 1
        return self.inner(task)


def text_task(item_id: str, score: float, text: str | None, arrival: float = 0.0) -> Task:
    """A task with the scorer's payload shape."""
    item: dict[str, Any] = {"id": item_id, "event_time": arrival}
    if text is not None:
        item["text"] = text
    return Task(item_id, score, arrival, {"item": item, "prediction": "ham"}, ("ham", "spam"))


def make_queue(
    clock: FakeClock, diversity: Diversity | None, store: QueueStore | None = None
) -> AnnotationQueue:
    return AnnotationQueue(
        2000, half_life=600.0, lease_ttl=30.0, clock=clock, store=store, diversity=diversity
    )


def leased(queue: AnnotationQueue, annotator: str, n: int) -> list[str]:
    return [lease.item_id for lease in queue.lease(annotator, n)]


def spam_queue(clock: FakeClock, diversity: Diversity | None, **kw: Any) -> AnnotationQueue:
    queue = make_queue(clock, diversity, **kw)
    for task in (
        text_task("spam", 0.9, SPAM),
        text_task("spam-again", 0.8, SPAM_AGAIN),
        text_task("lunch", 0.5, LUNCH),
    ):
        assert queue.offer(task).admitted
    return queue


def test_near_duplicates_never_share_a_lease_and_wait_for_the_next(
    clock: FakeClock, stores: Callable[[], QueueStore]
) -> None:
    diversity = Diversity(text_vectors(HashingEmbedder()), max_similarity=0.9)
    queue = spam_queue(clock, diversity, store=stores())
    assert leased(queue, "ana", 2) == ["spam", "lunch"]
    assert queue.stats().counts["passed_similar"] == 1
    assert queue.depth == 1  # the duplicate is still queued, with its priority
    assert leased(queue, "bob", 2) == ["spam-again"]
    restarted = make_queue(clock, Diversity(text_vectors(HashingEmbedder())), store=stores())
    assert (restarted.depth, restarted.leased_count) == (0, 3)


def test_a_passed_over_task_keeps_its_place_for_the_next_lease(clock: FakeClock) -> None:
    diversity = Diversity(text_vectors(HashingEmbedder()), max_similarity=0.9)
    queue = spam_queue(clock, diversity)
    queue.offer(text_task("weak", 0.1, "the quarterly tax report is attached"))
    assert leased(queue, "ana", 2) == ["spam", "lunch"]
    assert leased(queue, "bob", 1) == ["spam-again"]  # still ahead of "weak"


def test_with_diversity_off_the_order_is_pure_priority(clock: FakeClock) -> None:
    assert leased(spam_queue(clock, None), "ana", 2) == ["spam", "spam-again"]
    off = Diversity(text_vectors(HashingEmbedder()), max_similarity=1.0)
    assert leased(spam_queue(clock, off), "ana", 3) == ["spam", "spam-again", "lunch"]


def test_tasks_without_a_vector_are_never_passed_over(clock: FakeClock) -> None:
    queue = make_queue(clock, Diversity(text_vectors(HashingEmbedder()), max_similarity=0.5))
    for i, score in enumerate([0.9, 0.8, 0.7]):
        queue.offer(text_task(f"numeric-{i}", score, None))  # no text: no vector
    queue.offer(text_task("spam", 0.6, SPAM))
    queue.offer(text_task("spam-again", 0.5, SPAM_AGAIN))
    assert leased(queue, "ana", 5) == ["numeric-0", "numeric-1", "numeric-2", "spam"]


def test_a_lease_looks_at_no_more_than_look_ahead_times_n_candidates(clock: FakeClock) -> None:
    vector_of = Counting()
    queue = make_queue(clock, Diversity(vector_of, max_similarity=0.9, look_ahead=8))
    for i in range(1000):
        queue.offer(text_task(f"{i:04d}", 1.0 - i / 2000, SPAM))
    assert leased(queue, "ana", 5) == ["0000"]
    assert vector_of.calls <= 5 * 8
    assert queue.depth == 999
    assert leased(queue, "bob", 5) == ["0001"]  # the passed-over ones kept their order
    assert vector_of.calls <= 5 * 8 + 1  # each vector computed once; one new candidate


def test_candidates_popped_together_are_embedded_in_one_batch(clock: FakeClock) -> None:
    one = Counting()
    batches: list[list[str]] = []

    def many(tasks: Sequence[Task]) -> list[Any]:
        batches.append([task.item_id for task in tasks])
        return text_vectors(HashingEmbedder()).many(tasks)

    queue = spam_queue(clock, Diversity(one, vectors_of=many))
    assert leased(queue, "ana", 2) == ["spam", "lunch"]
    assert batches == [["spam", "spam-again"]]  # "lunch" came alone: no batch needed
    assert one.calls == 1
    assert leased(queue, "bob", 2) == ["spam-again"]
    assert (batches, one.calls) == ([["spam", "spam-again"]], 1)  # vectors are remembered


def test_a_failing_batch_is_logged_and_never_blocks_leasing(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def many(tasks: Sequence[Task]) -> list[Any]:
        return []  # too few vectors

    queue = spam_queue(clock, Diversity(text_vectors(HashingEmbedder()), vectors_of=many))
    with caplog.at_level(logging.ERROR, logger="stream_al.queue.diversity"):
        assert leased(queue, "ana", 3) == ["spam", "spam-again", "lunch"]
    assert "diversity.vectors_failed tasks=3" in caplog.text


def test_a_single_task_lease_needs_no_vector(clock: FakeClock) -> None:
    vector_of = Counting()
    queue = spam_queue(clock, Diversity(vector_of))
    assert leased(queue, "ana", 1) == ["spam"]
    assert vector_of.calls == 0


def test_tasks_the_annotator_skipped_do_not_use_up_the_look_ahead(clock: FakeClock) -> None:
    queue = make_queue(clock, Diversity(text_vectors(HashingEmbedder()), look_ahead=1))
    for i in range(5):
        queue.offer(text_task(f"skipped-{i}", 0.9, f"message number {i} about topic {i}"))
    queue.offer(text_task("fresh", 0.1, LUNCH))
    queue.offer(text_task("other", 0.05, "see you at the station"))
    for _ in range(5):
        (lease,) = queue.lease("ana", 1)
        queue.skip(lease.lease_id, "ana")
    assert leased(queue, "ana", 2) == ["fresh", "other"]


def test_vectors_are_forgotten_when_their_task_leaves(clock: FakeClock) -> None:
    diversity = Diversity(text_vectors(HashingEmbedder()), max_similarity=0.9)
    queue = spam_queue(clock, diversity)
    leases = queue.lease("ana", 2)
    assert len(diversity) == 3
    for lease in leases:
        queue.ack(lease.lease_id, "ana")
    assert len(diversity) == 1  # only "spam-again", still queued


def test_the_vector_memory_is_bounded(clock: FakeClock) -> None:
    diversity = Diversity(text_vectors(HashingEmbedder()), cache_size=4)
    queue = make_queue(clock, diversity)
    for i in range(20):
        queue.offer(text_task(str(i), 0.5, f"text {i}"))
    while leased(queue, "ana", 3):
        assert len(diversity) <= 4


def test_a_failing_vector_function_is_logged_and_never_blocks_leasing(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(task: Task) -> Any:
        raise RuntimeError("embedder crashed")

    queue = spam_queue(clock, Diversity(broken))
    with caplog.at_level(logging.ERROR, logger="stream_al.queue.diversity"):
        assert leased(queue, "ana", 3) == ["spam", "spam-again", "lunch"]
    assert "diversity.vector_failed item_id=spam" in caplog.text


@pytest.mark.parametrize("bad", [np.zeros(4), np.array([np.nan, 1.0]), [1.0, 0.0], np.ones((2, 2))])
def test_an_unusable_vector_counts_as_none(clock: FakeClock, bad: Any) -> None:
    queue = spam_queue(clock, Diversity(lambda task: bad, max_similarity=0.5))
    assert leased(queue, "ana", 3) == ["spam", "spam-again", "lunch"]


@pytest.mark.parametrize(
    ("option", "value"), [("max_similarity", 0.0), ("max_similarity", 1.01), ("look_ahead", 0)]
)
def test_bad_diversity_options_are_config_errors(option: str, value: float) -> None:
    with pytest.raises(ConfigError, match=option):
        Diversity(lambda task: None, **{option: value})


@pytest.mark.parametrize("value", [0.0, -0.5, 1.5])
def test_the_config_field_is_a_similarity_in_0_1(value: float) -> None:
    with pytest.raises(ValidationError, match="diversity"):
        Settings(queue={"diversity": value})
    with pytest.raises(ValidationError, match="diversity_embedder"):
        Settings(queue={"diversity_embedder": "bert"})


@pytest.mark.parametrize(("similarity", "on"), [(1.0, False), (0.9, True)])
def test_the_service_builds_its_queue_with_diversity_from_config(
    tmp_path: Path, similarity: float, on: bool
) -> None:
    settings = Settings(
        store={"path": str(tmp_path / "s.db")}, queue={"diversity": similarity, "capacity": 50}
    )
    roles = build_roles(settings, build_transport(settings), {"queue"})
    try:
        assert roles.queue is not None
        assert (roles.queue.diversity is not None) is on
        if roles.queue.diversity is not None:
            assert roles.queue.diversity.max_similarity == similarity
            now = time.time()  # the service's queue runs on the system clock
            for task in (
                text_task("spam", 0.9, SPAM, now),
                text_task("spam-again", 0.8, SPAM_AGAIN, now),
                text_task("lunch", 0.5, LUNCH, now),
            ):
                assert roles.queue.offer(task).admitted
            assert leased(roles.queue, "ana", 2) == ["spam", "lunch"]
    finally:
        close_roles(roles)

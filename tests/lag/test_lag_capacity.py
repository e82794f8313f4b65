"""LimitedAnnotators, ThroughputPacer, AnnouncedLabels: labels bounded by the annotators."""

from __future__ import annotations

import pytest

from stream_al.budget import Budget
from stream_al.exceptions import ConfigError
from stream_al.lag.capacity import LimitedAnnotators
from stream_al.lag.throughput import AnnouncedLabels, ThroughputPacer
from stream_al.learner import LabelDelay


def _ask_all(team: LimitedAnnotators, delay: LabelDelay, items: int, every: int) -> None:
    for position in range(items):
        if position % every == 0:
            team.ask(position, None, position, random=False, score=0.5)
        team.work(position, delay)


def test_annotators_label_no_faster_than_their_capacity() -> None:
    team = LimitedAnnotators(capacity=0.02, queue_size=50)
    delay = LabelDelay(100)
    _ask_all(team, delay, 10_000, every=20)  # asked for 5% of the stream
    assert 195 <= team.labelled <= 201
    assert len(team.queue) <= 50  # the rest waits in a bounded queue, or was evicted
    delivered = list(delay.due(10_000 + 101))
    assert len(delivered) == team.labelled


def test_a_label_arrives_delay_items_after_the_task_is_taken() -> None:
    team = LimitedAnnotators(capacity=1.0, queue_size=10)
    delay = LabelDelay(7)
    team.ask(3, None, "x", random=True, score=0.0)
    team.work(3, delay)
    pending = list(delay.due(100))
    assert [(p.position, p.release, p.random) for p in pending] == [(3, 11, True)]


def test_the_fresh_first_queue_keeps_lag_bounded_the_plain_one_does_not() -> None:
    fresh = LimitedAnnotators(0.02, queue_size=100, half_life=200.0, item_ttl=2000.0)
    plain = LimitedAnnotators(0.02, queue_size=100, half_life=None, on_full="reject_new")
    lags = {}
    for name, team in (("fresh", fresh), ("plain", plain)):
        delay = LabelDelay(0)
        _ask_all(team, delay, 20_000, every=20)
        lags[name] = [p.release - p.position for p in delay.due(10**9)][-50:]
    assert max(lags["fresh"]) < 500
    assert min(lags["plain"]) > 2000  # a full queue of old tasks, served oldest-first


def test_bad_capacity_is_refused() -> None:
    with pytest.raises(ConfigError, match="capacity"):
        LimitedAnnotators(capacity=0.0)


def test_the_pacer_follows_the_throughput_within_its_bounds() -> None:
    budget = Budget(0.05)
    pacer = ThroughputPacer(budget, headroom=2.0, window=500, floor=0.2)
    for position in range(3000):  # one label per 100 items: 2% with headroom
        pacer.update(labelled=int(position % 100 == 0))
    assert budget.fraction == pytest.approx(0.02, abs=0.006)
    for _ in range(3000):  # annotators stop: the floor keeps admissions going
        pacer.update(labelled=0)
    assert budget.fraction == pytest.approx(0.01)
    pacer.update(labelled=0, items=5000)
    assert pacer.throughput == pytest.approx(0.0, abs=1e-6)
    for _ in range(3000):  # they label everything: back to the target, not above
        pacer.update(labelled=1)
    assert budget.fraction == 0.05


def test_bad_pacer_settings_are_refused() -> None:
    with pytest.raises(ConfigError):
        ThroughputPacer(Budget(0.05), headroom=0.5)


@pytest.mark.parametrize("batch", [1, 100, 500])
def test_the_pacer_reads_the_same_throughput_whatever_the_batch(batch: int) -> None:
    """Labels of a batch are spread over its items, not counted at its last one."""
    pacer = ThroughputPacer(Budget(0.05), window=200)
    for _ in range(20_000 // batch):
        pacer.update(labelled=0.01 * batch, items=batch)
    assert pacer.throughput == pytest.approx(0.01, rel=1e-6)


def test_announced_labels_give_the_rate_between_announcements() -> None:
    counts = AnnouncedLabels()
    counts.announce(labels=1_000, position=0, every=100)  # a baseline, not a rate
    assert counts.rate(5_000) is None
    counts.announce(labels=1_100, position=10_000, every=100)
    assert counts.rate(10_000) == pytest.approx(0.01)
    counts.announce(labels=1_100, position=11_000, every=100)  # again, no new labels: no news
    counts.announce(labels=1_150, position=10_000, every=100)  # no items since: waits
    counts.announce(labels=1_200, position=15_000, every=100)
    assert counts.rate(15_000) == pytest.approx(100 / 5_000)  # spans both
    assert counts.rate(15_000 + 10_000) == pytest.approx(100 / 10_000)  # silence bounds it
    counts.announce(labels=30, position=30_000, every=100)  # a learner started afresh
    assert counts.rate(30_000) == pytest.approx(0.02)  # the old rate stands until the next
    counts.announce(labels=80, position=35_000, every=100)
    assert counts.rate(35_000) == pytest.approx(0.01)

"""The demo loop on short synthetic streams: budget, learning, queue bounds, slow annotators."""

from __future__ import annotations

import math
from typing import Any

import pytest

from stream_al.demo import DemoConfig, DemoRun
from stream_al.demo.runner import DemoResult

#: A short stream the model can learn: SEA with one drift, annotators a bit slower than admission.
LEARNABLE = DemoConfig(
    data="synth:sea?drifts=1",
    items=4000,
    budget=0.1,
    annotators=3,
    annotator_speed=0.2,
    label_delay=20.0,
    seed=3,
)
#: The same stream with one annotator far too slow for what the rule admits.
SLOW = DemoConfig(
    data="synth:sea?drifts=1",
    items=4000,
    budget=0.1,
    annotators=1,
    annotator_speed=0.02,
    label_delay=20.0,
    queue_capacity=50,
    item_ttl=300.0,
    seed=3,
)


@pytest.fixture(scope="module")
def learnable() -> tuple[DemoRun, DemoResult]:
    run = DemoRun(LEARNABLE)
    return run, run.run()


@pytest.fixture(scope="module")
def slow() -> tuple[DemoRun, DemoResult]:
    run = DemoRun(SLOW)
    return run, run.run()


def test_every_item_is_processed_on_simulated_time(learnable: tuple[DemoRun, DemoResult]) -> None:
    _, result = learnable
    assert result.summary["items"] == 4000
    assert result.summary["simulated_seconds"] == pytest.approx(3999 / LEARNABLE.rate)
    assert result.summary["true_drifts"] == [2000]


def test_labels_spent_stay_within_budget_plus_burst(learnable: tuple[DemoRun, DemoResult]) -> None:
    _, result = learnable
    s = result.summary
    assert 0 < s["labels_queried"] <= LEARNABLE.budget * s["items"] + s["budget_burst"]
    assert s["labels"] <= s["labels_queried"]


def test_the_model_learns_exactly_the_labels_acked(learnable: tuple[DemoRun, DemoResult]) -> None:
    run, result = learnable
    acked = run.queue.stats().counts["acked"]
    assert run.model.n_learned > 0
    assert run.model.n_learned == result.summary["labels"] == acked == run.pool.counts["acked"]


def test_accuracy_beats_the_majority_class(learnable: tuple[DemoRun, DemoResult]) -> None:
    _, result = learnable
    s = result.summary
    assert s["accuracy"] > s["majority_accuracy"] + 0.1
    assert s["kappa"] > 0.3


def test_random_labels_give_an_unbiased_estimate(learnable: tuple[DemoRun, DemoResult]) -> None:
    _, result = learnable
    s = result.summary
    assert s["random_labels"] > 0
    assert abs(s["unbiased_accuracy"] - s["accuracy"]) < 0.2


def test_the_queue_never_exceeds_its_capacity(
    learnable: tuple[DemoRun, DemoResult], slow: tuple[DemoRun, DemoResult]
) -> None:
    for run, result in (learnable, slow):
        capacity = run.config.queue_capacity
        assert run.queue_max <= capacity
        _, depth = result.timeline.series("queue_depth")
        _, leased = result.timeline.series("leased")
        assert max(d + n for d, n in zip(depth, leased, strict=True)) <= capacity


def test_slow_annotators_make_the_queue_shed_work_and_lag_grow(
    learnable: tuple[DemoRun, DemoResult], slow: tuple[DemoRun, DemoResult]
) -> None:
    fast_summary, slow_summary = learnable[1].summary, slow[1].summary
    assert slow_summary["evicted"] + slow_summary["expired"] > 100
    assert slow_summary["labels"] < fast_summary["labels"] / 5
    assert slow_summary["lag_mean_s"] > fast_summary["lag_mean_s"]
    assert slow_summary["queue_max"] == SLOW.queue_capacity


def test_memory_stays_bounded_when_annotators_fall_behind(
    slow: tuple[DemoRun, DemoResult],
) -> None:
    run, result = slow
    assert len(run.queue) <= SLOW.queue_capacity
    assert run.pool.in_flight <= SLOW.annotators * 20
    assert len(result.timeline.points) <= result.timeline.max_points
    assert len(run.monitor.alerts) <= run.monitor.alerts.maxlen


def test_drift_alerts_are_marked_on_the_timeline(learnable: tuple[DemoRun, DemoResult]) -> None:
    run, result = learnable
    marks = [(m["position"], m["source"]) for m in result.timeline.marks]
    assert marks == [(a.position, a.source) for a in run.monitor.alerts]
    assert all(m["kind"] == "drift" for m in result.timeline.marks)


def test_timeline_records_every_series_the_report_draws(
    learnable: tuple[DemoRun, DemoResult],
) -> None:
    _, result = learnable
    for name in (
        "accuracy",
        "window_accuracy",
        "labels",
        "labels_received",
        "queue_depth",
        "leased",
        "evicted",
        "expired",
        "lag_seconds",
        "lag_p95_seconds",
    ):
        positions, _values = result.timeline.series(name)
        assert len(positions) >= 50, name
        assert positions[-1] == 4000, name
    _, labels = result.timeline.series("labels")
    assert labels == sorted(labels)


def _deterministic(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in ("seconds", "items_per_s")}


def test_a_run_is_deterministic_for_a_seed() -> None:
    config = DemoConfig(data="synth:sea?drifts=1", items=1500, budget=0.1, seed=5)
    first, second = DemoRun(config).run(), DemoRun(config).run()
    assert _deterministic(first.summary) == _deterministic(second.summary)
    assert first.timeline.points == second.timeline.points


def test_release_and_skip_paths_are_exercised_without_losing_labels() -> None:
    config = DemoConfig(
        data="synth:sea?drifts=1", items=3000, budget=0.1, pass_share=0.5, annotator_speed=0.3
    )
    run = DemoRun(config)
    summary = run.run().summary
    assert summary["released"] > 10
    assert summary["skipped"] > 10
    assert run.model.n_learned == summary["labels"] > 0


def test_leases_shorter_than_the_think_time_come_back_late_and_nothing_breaks() -> None:
    config = DemoConfig(
        data="synth:sea?drifts=1", items=3000, budget=0.1, label_delay=60.0, lease_ttl=30.0
    )
    run = DemoRun(config)
    summary = run.run().summary
    assert summary["late_labels"] > 0
    assert summary["lease_expired"] >= summary["late_labels"]
    assert run.model.n_learned == summary["labels"]
    assert not math.isnan(summary["accuracy"])

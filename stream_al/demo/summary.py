"""The end-of-run summary of a demo: one flat, JSON-ready dict (the report's table).

Keys the report knows how to show are listed in `stream_al.report.html`; any
other key is shown as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stream_al.demo.config import ACCURACY_WINDOW, LAG_WINDOW, UNBIASED_WINDOW

if TYPE_CHECKING:
    from stream_al.demo.runner import DemoRun

__all__ = ["summarise"]


def summarise(run: DemoRun, seconds: float) -> dict[str, Any]:
    """Summarise a finished `run` that took `seconds` of wall time."""
    config = run.config
    n = run.position
    counts = run.queue.stats().counts
    return {
        "data": run.stream.info.name,
        "source": config.source,
        "items": n,
        "labels": run.received,
        "labels_queried": run.rule.budget.spent,
        "label_fraction": run.received / n if n else 0.0,
        "budget": config.budget,
        "budget_burst": run.rule.budget.burst,
        **_accuracy(run),
        **_drifts(run),
        **_queue(run, counts),
        **_lag(run),
        "seconds": seconds,
        "items_per_s": n / seconds if seconds > 0 else math.inf,
        "simulated_seconds": run.clock.now(),
        "rate": config.rate,
        "admission_per_s": config.budget * config.rate,
        "annotation_capacity_per_s": config.annotators * config.annotator_speed,
        "label_delay": config.label_delay,
        "strategy": run.rule.name,
        "model": getattr(run.model, "name", type(run.model).__name__),
        "seed": config.seed,
    }


def _accuracy(run: DemoRun) -> dict[str, Any]:
    unbiased = run.learner.unbiased
    n = run.position
    majority = max(run.labels_seen.values()) / n if n else 0.0
    return {
        "accuracy": run.metrics.accuracy,
        "kappa": run.metrics.kappa,
        "final_window_accuracy": run.metrics.window_accuracy,
        "unbiased_accuracy": unbiased.accuracy if unbiased.n else None,
        "random_labels": unbiased.n,
        "labelled_accuracy": run.learner.labelled.accuracy,
        "majority_accuracy": majority,
        "accuracy_window": ACCURACY_WINDOW,
        "unbiased_window": UNBIASED_WINDOW,
    }


def _drifts(run: DemoRun) -> dict[str, Any]:
    alerts = list(run.monitor.alerts)
    return {
        "true_drifts": list(run.stream.info.drifts),
        "drifts_detected": [a.position for a in alerts if a.source == "labelled"],
        "drifts_label_free": [a.position for a in alerts if a.source == "label_free"],
        "drifts_suppressed": run.monitor.n_suppressed,
        "alerts": [alert.to_dict() for alert in alerts],
    }


def _queue(run: DemoRun, counts: Mapping[str, int]) -> dict[str, Any]:
    pool = run.pool.counts
    return {
        "queue_capacity": run.queue.capacity,
        "queue_max": run.queue_max,
        "queue_end_depth": run.queue.depth,
        "queue_end_leased": run.queue.leased_count,
        "offered": counts.get("offered", 0),
        "admitted": counts.get("admitted", 0),
        "rejected": sum(v for k, v in counts.items() if k.startswith("rejected_")),
        "evicted": counts.get("evicted", 0),
        "expired": counts.get("expired", 0),
        "dropped": counts.get("dropped", 0),
        "lease_expired": counts.get("lease_expired", 0),
        "released": pool["released"],
        "skipped": pool["skipped"],
        "late_labels": pool["late"],
        "idle_pulls": pool["idle"],
    }


def _lag(run: DemoRun) -> dict[str, Any]:
    lag = run.lag

    def clean(x: float) -> float | None:
        return None if math.isnan(x) else x

    return {
        "lag_mean_s": clean(lag.mean_seconds),
        "lag_p95_s": clean(lag.p95_seconds),
        "lag_mean_items": clean(lag.mean_items),
        "lag_p95_items": clean(lag.p95_items),
        "lag_window": LAG_WINDOW,
    }

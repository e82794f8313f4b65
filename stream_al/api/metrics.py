"""Prometheus metrics of the annotation API, on a registry of its own.

`ServiceCollector` reads live values from the `AnnotationService` at every
scrape (nothing is copied in between); `ApiMetrics` adds the count of API
answers by route, method and status. Each app has its own
`CollectorRegistry`, so many apps (tests) never clash on metric names.

>>> from prometheus_client import CollectorRegistry
>>> metrics = ApiMetrics(CollectorRegistry())
>>> metrics.count("/healthz", "GET", 200)
>>> "stream_al_api_requests_total" in metrics.render().decode()
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from stream_al.api.service import AnnotationService
from stream_al.service.counters import StreamCounters

__all__ = ["ApiMetrics", "ServiceCollector"]


class ServiceCollector(Collector):
    """The service's figures, read at each scrape."""

    def __init__(self, service: AnnotationService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        snap = self.service.snapshot()
        budget = snap.budget
        yield _counter("stream_al_items_scored", "Items scored", budget.get("seen"))
        yield _counter("stream_al_queries", "Items sent to annotators", budget.get("queries"))
        yield _gauge("stream_al_queue_depth", "Tasks waiting for an annotator", snap.queue.depth)
        yield _gauge("stream_al_queue_leased", "Tasks out with annotators", snap.queue.leased)
        yield _gauge("stream_al_queue_capacity", "Most tasks the queue holds", snap.queue.capacity)
        yield _gauge(
            "stream_al_label_lag_items", "Tasks admitted and not labelled yet", snap.lag_items
        )
        yield _gauge(
            "stream_al_label_lag_seconds", "Age of the oldest task not labelled", snap.lag_seconds
        )
        yield _gauge(
            "stream_al_budget_spent_ratio", "Share of scored items queried", budget.get("spent")
        )
        yield _gauge(
            "stream_al_budget_ratio", "Share of items that may be queried", budget.get("budget")
        )
        yield _gauge("stream_al_accuracy_estimate", "Model accuracy estimate", snap.accuracy)
        yield _gauge(
            "stream_al_label_lag_median_seconds",
            "Median seconds from admission to label (last 100 labels)",
            _finite(snap.label_lag_median_seconds),
        )
        yield _gauge(
            "stream_al_accuracy_label_free",
            "Mean calibrated confidence of recent items (accuracy estimated without labels)",
            snap.lag.get("label_free_accuracy"),
        )
        yield _gauge(
            "stream_al_admission_rate",
            "Share of recent items admitted",
            snap.lag.get("admission_rate"),
        )
        yield _gauge(
            "stream_al_labeling_rate", "Human labels per recent item", snap.lag.get("labeling_rate")
        )
        drifts = CounterMetricFamily("stream_al_drifts", "Drift and lag alerts", labels=["kind"])
        for kind, n in sorted(snap.drifts_by_kind.items()):
            drifts.add_metric([kind], n)
        yield drifts
        labels = CounterMetricFamily("stream_al_labels", "Labels stored", labels=["source"])
        for source, n in sorted(snap.labels_by_source.items()):
            labels.add_metric([source], n)
        yield labels
        events = CounterMetricFamily("stream_al_queue_events", "Queue events", labels=["event"])
        for event, n in sorted(snap.queue.counts.items()):
            events.add_metric([event], n)
        yield events
        yield from _records(snap.records)


def _records(records: Mapping[str, StreamCounters]) -> Iterator[Metric]:
    """What became of each role's input records (scorer: events; learner: labels)."""
    handled = CounterMetricFamily(
        "stream_al_records_handled", "Records handled in full", labels=["role"]
    )
    duplicates = CounterMetricFamily(
        "stream_al_duplicates_dropped", "Records dropped as already handled", labels=["role"]
    )
    letters = CounterMetricFamily(
        "stream_al_dead_letters", "Records sent to the dead-letter topic", labels=["role", "reason"]
    )
    failures = CounterMetricFamily(
        "stream_al_batch_failures", "Failed attempts at a batch", labels=["role"]
    )
    for role, counts in sorted(records.items()):
        handled.add_metric([role], counts.scored)
        duplicates.add_metric([role], counts.duplicates)
        failures.add_metric([role], counts.batch_failures)
        for reason, n in sorted(counts.dead_lettered.items()):
            letters.add_metric([role, reason], n)
    yield from (handled, duplicates, letters, failures)


def _counter(name: str, doc: str, value: float | None) -> Metric:
    family = CounterMetricFamily(name, doc)
    if value is not None:
        family.add_metric([], value)
    return family


def _finite(value: float) -> float | None:
    return None if value != value else value


def _gauge(name: str, doc: str, value: float | None) -> Metric:
    family = GaugeMetricFamily(name, doc)
    if value is not None:
        family.add_metric([], value)
    return family


class ApiMetrics:
    """The app's metric registry: the service's figures and the count of API answers.

    Parameters
    ----------
    registry
        The registry to fill (a fresh one per app).
    service
        Whose figures to report; None reports the API answers only.
    """

    def __init__(
        self, registry: CollectorRegistry, service: AnnotationService | None = None
    ) -> None:
        self.registry = registry
        self._requests = Counter(
            "stream_al_api_requests",
            "Answers of the annotation API",
            ["route", "method", "status"],
            registry=registry,
        )
        if service is not None:
            registry.register(ServiceCollector(service))

    def count(self, route: str, method: str, status: int) -> None:
        """Count one answer."""
        self._requests.labels(route, method, str(status)).inc()

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)

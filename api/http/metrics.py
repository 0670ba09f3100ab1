"""GET /metrics: Prometheus text, summed over the workers of one `clientes serve`.

Counters and histograms live in prometheus-client's multiprocess files when
``serve`` has set PROMETHEUS_MULTIPROC_DIR (it makes and removes the directory),
so any worker answers for all of them. The positions and lags are not counted
here: each scrape reads them from the store (api/progress.py), so they are right
wherever the projector runs, `clientes project` included.
"""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.bootstrap import Services
from api.http.openapi import problems
from api.http.progress import progress
from api.workers import shared_directory

UNMATCHED = "unmatched"  # the route label of a request no route answered
TEXT_FORMAT = "text/plain; version=0.0.4"  # what generate_latest writes; Litestar adds the charset

disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "clientes_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "clientes_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
COMMANDS = Counter(
    "clientes_commands",
    "Commands handled, by command (create, update, deactivate) and outcome.",
    ["command", "outcome"],
    registry=REGISTRY,
)


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    route = route or UNMATCHED
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


class StoreProgress(Collector):
    """The positions and lags, read from the store at each scrape; none while it is down."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> list[Metric]:
        try:
            now = progress(self.services)
        except self.services.store.unreachable:  # a store that is down: missing figures
            return []
        store = GaugeMetricFamily(
            "clientes_event_store_position", "The event store's last position."
        )
        store.add_metric([], now.head)
        families = {
            "position": "The projection's position: the last event it applied.",
            "lag_events": "Events stored that the projection has not applied.",
            "lag_seconds": "Age of the oldest event the projection has not applied.",
        }
        gauges = {
            name: GaugeMetricFamily(f"clientes_projection_{name}", text, labels=["projection"])
            for name, text in families.items()
        }
        for projection, lag in now.projections.items():
            gauges["position"].add_metric([projection], lag.position)
            gauges["lag_events"].add_metric([projection], lag.events)
            gauges["lag_seconds"].add_metric([projection], lag.seconds)
        return [store, *gauges.values()]


def counted() -> CollectorRegistry:
    """This process's counters, or every worker's when they share a multiprocess directory."""
    if shared_directory() is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


@get(
    "/metrics",
    operation_id="metrics",
    exclude_from_auth=True,
    security=[{}],
    tags=["health"],
    media_type="text/plain",
    response_description="Prometheus text format",
    responses=problems(),
    sync_to_thread=True,
)
def metrics(services: NamedDependency[Services]) -> Response[bytes]:
    """The counters of every worker, and the positions read from the store."""
    from_store = CollectorRegistry()
    from_store.register(StoreProgress(services))
    body = generate_latest(counted()) + generate_latest(from_store)
    return Response(body, media_type=TEXT_FORMAT)

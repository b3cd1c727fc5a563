"""Prometheus metrics of this process: counters read by /metrics, cheap to keep.

Every label set is made once here, so counting a request increments an existing child:
no label lookup or allocation on the call-start path.
"""

import contextlib
import weakref
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

OPERATION_TYPES = ("query", "mutation", "subscription", "unknown")
OUTCOMES = ("ok", "error", "refused")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

disable_created_metrics()  # type: ignore[no-untyped-call]  # _created series only double the page
REGISTRY = CollectorRegistry()
_requests = Counter(
    "persona_api_graphql_requests",
    "GraphQL operations by type and outcome (refused: rejected before it ran).",
    ("operation_type", "outcome"),
    registry=REGISTRY,
)
_latency = Histogram(
    "persona_api_graphql_request_seconds",
    "Time to answer a GraphQL operation (a subscription: until its stream is set up).",
    ("operation_type",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
_subscriptions = Gauge(
    "persona_api_open_subscriptions", "Subscriptions open in this process.", registry=REGISTRY
)
_events = Counter(
    "persona_api_subscription_events_delivered", "Events sent to subscribers.", registry=REGISTRY
)
_commands = Counter(
    "persona_api_database_commands",
    "Commands sent to the database (round trips).",
    registry=REGISTRY,
)

_COUNTED = {(t, o): _requests.labels(t, o) for t in OPERATION_TYPES for o in OUTCOMES}
_TIMED = {t: _latency.labels(t) for t in OPERATION_TYPES}


def record_operation(operation_type: str, outcome: str, seconds: float | None) -> None:
    """Count one GraphQL operation; `seconds` is None when it never ran (refused at the door)."""
    kind = operation_type if operation_type in _TIMED else "unknown"
    _COUNTED[kind, outcome].inc()
    if seconds is not None:
        _TIMED[kind].observe(seconds)


def event_delivered() -> None:
    _events.inc()


@contextlib.contextmanager
def open_subscription() -> Iterator[None]:
    _subscriptions.inc()
    try:
        yield
    finally:
        _subscriptions.dec()


class CommandCounter(CommandListener):
    """Counts every command a client sends: the database round trips."""

    def started(self, event: CommandStartedEvent) -> None:
        _commands.inc()

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


class HitCounting(Protocol):
    hits: int
    misses: int


class _CacheCollector(Collector):
    """Reads the hit and miss counters caches keep anyway, only when /metrics is asked."""

    def __init__(self) -> None:
        self.caches: dict[str, weakref.WeakSet[HitCounting]] = {}

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "persona_api_cache_lookups",
            "Cache lookups by cache and result.",
            labels=("cache", "result"),
        )
        for name, caches in sorted(self.caches.items()):
            family.add_metric((name, "hit"), sum(cache.hits for cache in caches))
            family.add_metric((name, "miss"), sum(cache.misses for cache in caches))
        yield family


_cache_collector = _CacheCollector()
REGISTRY.register(_cache_collector)


def watch_cache(name: str, cache: HitCounting) -> None:
    """Expose `cache`'s hits and misses under `name` for as long as it lives."""
    _cache_collector.caches.setdefault(name, weakref.WeakSet()).add(cache)


def exposition() -> bytes:
    return generate_latest(REGISTRY)

"""Prometheus metrics (prometheus-client), off by default: with METRICS_TOKEN set, GET /metrics answers to
`Authorization: Bearer <token>` (main.views). Measured here, in every process: each request's latency by
endpoint, and each committed participation (signature, support, ballot, response) by channel, whose rate is
votes and signatures per minute (`rate(participation_participations_total[1m]) * 60`). Read at each scrape
(staff/health.py's collector): queue depths, failed jobs, live workers, the cron, the oldest open count.

Under gunicorn with several worker processes, set PROMETHEUS_MULTIPROC_DIR to an empty directory (emptied at
each start) so that the scrape adds up every process (prometheus-client's multiprocess mode)."""

import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram

REQUEST_SECONDS = Histogram("participation_request_duration_seconds", "Time to answer a request, by endpoint",
                            ["method", "endpoint", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PARTICIPATIONS = Counter("participation_participations", "Committed signatures, supports, ballots and responses",
                         ["channel"])


def count_participation(channel: str) -> None:
    PARTICIPATIONS.labels(channel=channel).inc()


# HTTP's own methods; any other (a client may send any upper-case token) is counted as "other", so that made-up
# methods cannot add time series without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})

# (method, endpoint, status class) -> its histogram: `labels()` checks and converts its arguments under a lock
# on every call; the child it returns is the same each time.
_request_seconds: dict[tuple[str, str, int], Histogram] = {}


def register(app: Flask) -> None:
    @app.before_request
    def start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def measure(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
            method = request.method if request.method in METHODS else "other"
            key = (method, endpoint, response.status_code // 100)
            child = _request_seconds.get(key)
            if child is None:
                child = _request_seconds[key] = REQUEST_SECONDS.labels(method, endpoint, f"{key[2]}xx")
            child.observe(time.perf_counter() - started)
        return response


def scrape_registry(*collectors) -> CollectorRegistry:
    """The registry a scrape reads: this process's metrics, or every process's in multiprocess mode, and the
    collectors that read Redis and the database."""
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in collectors:
        registry.register(collector)
    return registry


class _Forward:
    """This process's default registry as one collector of the scrape registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()

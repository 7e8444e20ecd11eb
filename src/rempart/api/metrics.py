"""Prometheus metrics: requests by route and status, scan and match counts, index size."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "rempart_http_requests_total",
    "HTTP requests",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "rempart_http_request_seconds",
    "HTTP request latency",
    ["route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SCANS = Counter("rempart_scans_total", "Content scanned", ["content_type"], registry=REGISTRY)
MATCHES = Counter("rempart_matches_total", "Matches found", ["bank"], registry=REGISTRY)
INDEX_SIZE = Gauge(
    "rempart_index_entries", "Entries in the match index", ["signal_type"], registry=REGISTRY
)
INDEX_SEQ = Gauge("rempart_index_seq", "Last change-log position applied", registry=REGISTRY)


async def middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Count and time each request under its route template (not the raw path)."""
    start = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    name = getattr(route, "path", "unmatched")
    REQUESTS.labels(request.method, name, str(response.status_code)).inc()
    LATENCY.labels(name).observe(time.perf_counter() - start)
    return response

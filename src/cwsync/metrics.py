"""Prometheus metrics of the API and the sync, registered once per process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "cwsync_http_requests_total", "API requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "cwsync_http_request_duration_seconds", "API request duration", ["method", "route"]
)
SYNC_RUNS = Counter("cwsync_sync_runs_total", "Sync runs finished", ["status"])
SYNC_ITEMS = Counter("cwsync_sync_items_total", "Sync items recorded", ["outcome"])
SYNC_RUN_DURATION = Histogram(
    "cwsync_sync_run_duration_seconds",
    "Wall time of a sync run",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600),
)

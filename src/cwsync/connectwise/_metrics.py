"""Prometheus counters for ConnectWise traffic, registered once on the default registry."""

from __future__ import annotations

from prometheus_client import Counter

REQUESTS = Counter(
    "cwsync_cw_requests_total",
    "HTTP requests sent to ConnectWise, by method and status (or 'error' with no response).",
    ["method", "status"],
)
RETRIES = Counter(
    "cwsync_cw_retries_total",
    "ConnectWise requests retried, by reason (throttled, timeout, connect, status_5xx, ...).",
    ["reason"],
)
THROTTLES = Counter(
    "cwsync_cw_throttles_total",
    "429 answers received from ConnectWise.",
)

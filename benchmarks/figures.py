"""Turning the simulator's request log into the issue's figures: requests by method, per
client, per partner, and the bound T*. Pure functions, no I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A client's requests name its agreement (and addition): ids are 1..C per tenant.
_AGREEMENT = re.compile(r"/finance/agreements/(\d+)")


@dataclass
class Tally:
    by_method: Counter[str] = field(default_factory=Counter)
    by_partner: Counter[str] = field(default_factory=Counter)
    by_client: Counter[tuple[str, int]] = field(default_factory=Counter)
    outside_clients: Counter[str] = field(default_factory=Counter)  # "GET /system/info": n
    failed: int = 0  # answers that were not 2xx (throttles, errors, dropped connections)
    posts: int = 0  # additions created: pro-rata charges
    busy_seconds: float = 0.0  # the simulator's time answering, summed over every request

    @property
    def total(self) -> int:
        return sum(self.by_method.values())


def tally(records: Iterable[Mapping[str, Any]]) -> Tally:
    """Count the simulator's logged requests (`/__sim/requests` rows)."""
    result = Tally()
    for record in records:
        method, path, tenant = record["method"], record["path"], record.get("tenant") or "?"
        result.by_method[method] += 1
        result.by_partner[tenant] += 1
        result.busy_seconds += float(record.get("duration_ms") or 0) / 1000
        status = record.get("status")
        if status is None or not 200 <= int(status) < 300:
            result.failed += 1
        if method == "POST" and path.endswith("/additions"):
            result.posts += 1
        match = _AGREEMENT.search(path)
        if match:
            result.by_client[(tenant, int(match.group(1)))] += 1
        else:
            result.outside_clients[f"{method} {_short(path)}"] += 1
    return result


def _short(path: str) -> str:
    marker = "/apis/3.0"
    return path.split(marker, 1)[1] if marker in path else path


@dataclass(frozen=True)
class PerClient:
    mean: float
    max: int
    clients: int


def per_client(
    counts: Mapping[tuple[str, int], int],
    tenants: Iterable[str],
    clients: int,
    wanted: Callable[[int], bool],
) -> PerClient:
    """Requests per client (index = id − 1) for the clients `wanted` picks, zeros included."""
    values = [
        counts.get((tenant, index + 1), 0)
        for tenant in tenants
        for index in range(clients)
        if wanted(index)
    ]
    if not values:
        return PerClient(0.0, 0, 0)
    return PerClient(sum(values) / len(values), max(values), len(values))


@dataclass(frozen=True)
class Bound:
    """T* = max(total × latency ÷ global cap, max over partners of requests × latency ÷ cap)."""

    global_term: float
    partner_term: float
    busiest_partner_requests: int

    @property
    def seconds(self) -> float:
        return max(self.global_term, self.partner_term)


def bound(
    total: int, by_partner: Mapping[str, int], latency_s: float, global_cap: int, partner_cap: int
) -> Bound:
    busiest = max(by_partner.values(), default=0)
    return Bound(
        global_term=total * latency_s / global_cap,
        partner_term=busiest * latency_s / partner_cap,
        busiest_partner_requests=busiest,
    )


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1_000_000:.1f} MB"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"

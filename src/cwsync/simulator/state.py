"""In-memory state: tenants (one per ConnectWise company id) and their records.

Every lookup by id is a dict hit, and each agreement keeps its own index of additions, so a
benchmark with tens of thousands of records costs the same per request as the demo seed.
The state is mutated only from the server's event loop or, in tests, between requests.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cwsync.simulator.faults import FaultBook
from cwsync.simulator.records import Addition, Agreement, CatalogItem, Company, Member
from cwsync.simulator.requestlog import RequestRecord, WriteRecord

LINK_RELATIONS = ("first", "prev", "next", "last")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class TenantSettings:
    """Per-tenant server quirks (CASES.md C3, C4)."""

    # None: a modern server (pageSize above 1000 is capped silently). A number: an older
    # server that answers 400 OutOfRange above it.
    max_page_size: int | None = None
    link_header: bool = True  # False: no Link header at all, as some servers do
    link_order: list[str] = field(default_factory=lambda: list(LINK_RELATIONS))
    link_shuffle: bool = False  # shuffle the relations with the state's seeded RNG

    def to_json(self) -> dict[str, Any]:
        return {
            "max_page_size": self.max_page_size,
            "link_header": self.link_header,
            "link_order": list(self.link_order),
            "link_shuffle": self.link_shuffle,
        }

    def update(self, data: dict[str, Any]) -> None:
        for key, value in data.items():
            if key not in self.to_json():
                raise ValueError(f"unknown tenant setting {key!r}")
            if key == "link_order" and not set(value) <= set(LINK_RELATIONS):
                raise ValueError(f"link_order may only name {', '.join(LINK_RELATIONS)}")
            setattr(self, key, list(value) if key == "link_order" else value)


@dataclass
class Tenant:
    company_id: str
    company_name: str
    codebase: str = "v2025_1/"
    build: int = 10495
    is_cloud: bool = False
    server_time_zone: str = "Eastern Standard Time"
    settings: TenantSettings = field(default_factory=TenantSettings)
    members: dict[str, Member] = field(default_factory=dict)
    companies: dict[int, Company] = field(default_factory=dict)
    agreements: dict[int, Agreement] = field(default_factory=dict)
    catalog: dict[int, CatalogItem] = field(default_factory=dict)
    additions: dict[int, Addition] = field(default_factory=dict)
    # agreement id -> {addition id: addition}; keeps "additions of one agreement" O(k).
    additions_by_agreement: dict[int, dict[int, Addition]] = field(default_factory=dict)
    _last_ids: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.company_id.lower()

    @property
    def version_code(self) -> str:
        """``v2025_1/`` → ``v2025.1`` (``v4_6_release/`` → ``v4.6``)."""
        return self.codebase.rstrip("/").removesuffix("_release").replace("_", ".")

    def next_id(self, kind: str) -> int:
        self._last_ids[kind] = self._last_ids.get(kind, 1000) + 1
        return self._last_ids[kind]

    def _seen_id(self, kind: str, record_id: int) -> None:
        self._last_ids[kind] = max(self._last_ids.get(kind, 1000), record_id)

    def put_member(self, member: Member) -> Member:
        self.members[member.public_key] = member
        return member

    def put_company(self, company: Company) -> Company:
        self._seen_id("companies", company.id)
        self.companies[company.id] = company
        return company

    def put_agreement(self, agreement: Agreement) -> Agreement:
        self._seen_id("agreements", agreement.id)
        self.agreements[agreement.id] = agreement
        self.additions_by_agreement.setdefault(agreement.id, {})
        return agreement

    def put_catalog_item(self, item: CatalogItem) -> CatalogItem:
        self._seen_id("catalog", item.id)
        self.catalog[item.id] = item
        return item

    def put_addition(self, addition: Addition) -> Addition:
        self._seen_id("additions", addition.id)
        previous = self.additions.get(addition.id)
        if previous is not None and previous.agreement_id != addition.agreement_id:
            self.additions_by_agreement.get(previous.agreement_id, {}).pop(addition.id, None)
        self.additions[addition.id] = addition
        self.additions_by_agreement.setdefault(addition.agreement_id, {})[addition.id] = addition
        return addition

    def delete_addition(self, addition_id: int) -> Addition | None:
        addition = self.additions.pop(addition_id, None)
        if addition is not None:
            self.additions_by_agreement.get(addition.agreement_id, {}).pop(addition_id, None)
        return addition

    def delete_agreement(self, agreement_id: int) -> Agreement | None:
        # Like ConnectWise, the additions go with their agreement.
        for addition_id in list(self.additions_by_agreement.pop(agreement_id, {})):
            self.additions.pop(addition_id, None)
        return self.agreements.pop(agreement_id, None)


class SimulatorState:
    """Everything the simulator knows: tenants, faults, request and write logs."""

    def __init__(
        self,
        *,
        latency_ms: int = 0,
        rng_seed: int = 0,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        request_log_limit: int = 200_000,
        log_bodies: bool = True,
    ) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.latency_ms = latency_ms
        self.rng_seed = rng_seed
        self.rng = random.Random(rng_seed)
        self.clock = clock
        self.monotonic = monotonic
        self.faults = FaultBook(self)
        self.requests: deque[RequestRecord] = deque(maxlen=request_log_limit)
        self.writes: list[WriteRecord] = []
        self.log_bodies = log_bodies
        self.seed_document: dict[str, Any] | None = None

    def tenant(self, company_id: str) -> Tenant | None:
        return self.tenants.get(company_id.lower())

    def add_tenant(self, tenant: Tenant) -> Tenant:
        self.tenants[tenant.key] = tenant
        return tenant

    def clear_logs(self) -> None:
        self.requests.clear()
        self.writes.clear()

    def clear(self) -> None:
        """Forget tenants, faults and logs; keep server options such as the base latency."""
        self.tenants.clear()
        self.faults.clear()
        self.clear_logs()
        self.rng = random.Random(self.rng_seed)

"""What one run's client syncs share (`RunContext`), what each is given (`ClientJob`) and what
each produces (`ItemResult`), plus the shape the pro-rata step answers in (`ProRataOutcome`).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from cwsync.config import Settings
from cwsync.connectwise import Agreement, ConnectWiseClient
from cwsync.db import SessionMaker
from cwsync.models import Connection
from cwsync.sync.plan import ClientState

# Item outcomes (DESIGN §3). A dry run says `would_update` / `would_create_pro_rata` where a
# real run would have written; everything else reads the same in both.
UPDATED = "updated"
UNCHANGED = "unchanged"
PRO_RATA_CREATED = "pro_rata_created"
SKIPPED = "skipped"
FAILED = "failed"
WOULD_UPDATE = "would_update"
WOULD_CREATE_PRO_RATA = "would_create_pro_rata"
# Outcomes that count as success for the run's status: a `no_user_count` skip is not a
# failure (nothing was wrong with the mapping; INFIMA simply has not reported yet).
SUCCESS_OUTCOMES = frozenset(
    {UPDATED, UNCHANGED, PRO_RATA_CREATED, SKIPPED, WOULD_UPDATE, WOULD_CREATE_PRO_RATA}
)


class ClientFactory(Protocol):
    """Builds a ConnectWise client for a stored connection (`cwsync.connections.factory`)."""

    def for_connection(self, connection: Connection) -> ConnectWiseClient: ...


def warning(code: str, message: str) -> dict[str, str]:
    """A warning as items and mappings store it."""
    return {"code": code, "message": message}


@dataclass(frozen=True, slots=True)
class ClientJob:
    """One mapped client to sync, as read from the database at the start of its batch."""

    client_id: uuid.UUID
    mapping_id: uuid.UUID
    agreement_id: int
    addition_id: int
    include_pro_rata: bool
    state: ClientState
    mapping_status: str = "ok"
    mapping_warnings: tuple[Any, ...] = ()


@dataclass(slots=True)
class ItemResult:
    """What the sync did for one client; becomes one `sync_items` row (and a mapping update)."""

    client_id: uuid.UUID
    outcome: str
    addition_id: int | None = None
    quantity_before: Decimal | None = None
    quantity_after: Decimal | None = None
    unit_cost_before: Decimal | None = None
    unit_cost_after: Decimal | None = None
    error_code: str | None = None
    error_message: str | None = None
    cw_request_id: str | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    pro_rata: dict[str, Any] | None = None
    # The addition was read and is fine: a broken mapping is cleared by this.
    read_ok: bool = False
    broken_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome in SUCCESS_OUTCOMES


@dataclass(frozen=True, slots=True)
class ProRataOutcome:
    """What `apply_pro_rata` did, merged into the client's item by the executor.

    `outcome` replaces the item's outcome when set (`pro_rata_created`, or
    `would_create_pro_rata` in a dry run); `info` is stored as the item's `pro_rata`;
    `warnings` go on the item and the mapping; `error_code` fails the item.
    """

    outcome: str | None = None
    info: dict[str, Any] | None = None
    warnings: tuple[dict[str, str], ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None


@dataclass
class RunContext:
    """Shared by every client sync of one run."""

    run_id: uuid.UUID
    partner_id: uuid.UUID
    timezone: str
    now: datetime  # when the run started (UTC); "today" is its partner-local day
    today: date
    dry_run: bool
    product_id: int | None
    cw: ConnectWiseClient
    sessionmaker: SessionMaker
    settings: Settings
    _agreements: dict[int, asyncio.Task[Agreement]] = field(default_factory=dict)

    async def agreement(self, agreement_id: int) -> Agreement:
        """The agreement, read at most once per run however many clients ask at once.

        Clients of one company often share an agreement; one read serves them all. A failed
        read is not cached, so the next client asks again.
        """
        task = self._agreements.get(agreement_id)
        if task is None or (task.done() and task.exception() is not None):
            task = asyncio.ensure_future(self.cw.get_agreement(agreement_id))
            self._agreements[agreement_id] = task
        return await asyncio.shield(task)

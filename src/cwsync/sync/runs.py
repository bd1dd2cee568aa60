"""Sync runs as a partner sees them: queueing, run keys, status and counts.

Status rule (DESIGN §4 "Runs"):
- `failed` when the run could not start or had to stop (no connection, no product, bad
  credentials, ConnectWise unreachable): one error on the run, not one per client; also
  when it had clients and every one of them failed;
- `partial` when some items failed;
- `succeeded` otherwise. A `no_user_count` skip is a success: nothing is wrong with the
  mapping, INFIMA has just not reported a count yet (the item says so).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.errors import InvalidInput, NotFound
from cwsync.models import Client, Partner, SyncRun
from cwsync.models import Mapping as MappingRow
from cwsync.sync import run_repository
from cwsync.sync.context import (
    FAILED,
    PRO_RATA_CREATED,
    SKIPPED,
    SUCCESS_OUTCOMES,
    UNCHANGED,
    UPDATED,
    WOULD_CREATE_PRO_RATA,
    WOULD_UPDATE,
)

MANUAL = "manual"
SCHEDULE = "schedule"


@dataclass(frozen=True, slots=True)
class RunFailure:
    """Why a whole run could not go on: a stable code and a sentence for the partner."""

    code: str
    message: str


def scheduled_run_key(partner_id: uuid.UUID, local_day: date) -> str:
    """At most one scheduled run per partner and local date: the unique key says so."""
    return f"{SCHEDULE}:{partner_id}:{local_day.isoformat()}"


def manual_run_key() -> str:
    return f"{MANUAL}:{uuid.uuid4()}"


def run_counts(total: int, outcomes: Mapping[str, int], *, dry_run: bool) -> dict[str, int]:
    """`total` clients, then every outcome (zeros included, so a dashboard needs no guessing)."""
    names = (
        [WOULD_UPDATE, UNCHANGED, WOULD_CREATE_PRO_RATA, SKIPPED, FAILED]
        if dry_run
        else [UPDATED, UNCHANGED, PRO_RATA_CREATED, SKIPPED, FAILED]
    )
    counts = {"total": total}
    counts.update({name: 0 for name in names})
    counts.update(outcomes)
    return counts


def run_status(counts: Mapping[str, int], failure: RunFailure | None) -> str:
    if failure is not None:
        return "failed"
    failed = counts.get(FAILED, 0)
    succeeded = sum(n for outcome, n in counts.items() if outcome in SUCCESS_OUTCOMES)
    if failed == 0:
        return "succeeded"
    return "failed" if succeeded == 0 else "partial"


async def queue_manual_run(
    session: AsyncSession,
    partner: Partner,
    *,
    dry_run: bool,
    client_ids: list[uuid.UUID] | None,
    now: datetime,
) -> SyncRun:
    """Queue a run now; the scheduler's workers pick it up (the API never calls ConnectWise
    for a sync)."""
    if client_ids is not None:
        client_ids = list(dict.fromkeys(client_ids))
        await _check_mapped_clients(session, partner.id, client_ids)
    run_id = await run_repository.insert_run(
        session,
        partner_id=partner.id,
        trigger=MANUAL,
        run_key=manual_run_key(),
        dry_run=dry_run,
        client_ids=[str(c) for c in client_ids] if client_ids is not None else None,
        now=now,
    )
    assert run_id is not None  # a fresh uuid4 key cannot collide
    run = await run_repository.get_run(session, run_id)
    assert run is not None
    return run


async def _check_mapped_clients(
    session: AsyncSession, partner_id: uuid.UUID, client_ids: list[uuid.UUID]
) -> None:
    found = set(
        (
            await session.scalars(
                select(Client.id)
                .join(MappingRow, MappingRow.client_id == Client.id)
                .where(Client.partner_id == partner_id, Client.id.in_(client_ids))
            )
        ).all()
    )
    missing = [str(c) for c in client_ids if c not in found]
    if missing:
        raise InvalidInput(
            "some clients are not mapped clients of this partner",
            code="unknown_clients",
            details={"client_ids": missing},
        )


async def get_run_or_404(
    session: AsyncSession, partner_id: uuid.UUID, run_id: uuid.UUID
) -> SyncRun:
    run = await run_repository.get_run(session, run_id, partner_id)
    if run is None:
        raise NotFound("sync run not found", code="sync_run_not_found")
    return run


async def live_counts(session: AsyncSession, run: SyncRun) -> dict[str, int]:
    """A finished run's stored counts; for one still going, counted from its items now."""
    if run.status in run_repository.FINAL_STATUSES:
        return dict(run.counts or {})
    outcomes = await run_repository.outcome_counts(session, run.id)
    total = int((run.counts or {}).get("total", 0))
    return run_counts(total, outcomes, dry_run=run.dry_run)

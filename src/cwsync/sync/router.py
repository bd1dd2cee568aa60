"""`/v1/partners/{p}/sync-runs`: queue a manual run, list runs, read one with its items."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from cwsync.api.deps import PartnerDep, SessionDep
from cwsync.api.responses import errors
from cwsync.clock import utcnow
from cwsync.schemas import Limit, Offset
from cwsync.sync import run_repository, runs
from cwsync.sync.schemas import (
    SyncItemRead,
    SyncRunCreate,
    SyncRunDetail,
    SyncRunList,
    SyncRunRead,
)

router = APIRouter(prefix="/v1/partners/{partner_id}/sync-runs", tags=["sync runs"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncRunRead,
    responses=errors(401, 404, 422),
)
async def queue_run(partner: PartnerDep, data: SyncRunCreate, session: SessionDep) -> SyncRunRead:
    """Queue a manual run; the scheduler's workers execute it (follow it with GET)."""
    run = await runs.queue_manual_run(
        session, partner, dry_run=data.dry_run, client_ids=data.client_ids, now=utcnow()
    )
    return SyncRunRead.model_validate(run)


@router.get("", response_model=SyncRunList, responses=errors(401, 404, 422))
async def list_runs(
    partner: PartnerDep,
    session: SessionDep,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> SyncRunList:
    """The partner's runs, newest first."""
    rows, total = await run_repository.list_runs(session, partner.id, limit, offset)
    return SyncRunList(items=[SyncRunRead.model_validate(r) for r in rows], total=total)


@router.get("/{run_id}", response_model=SyncRunDetail, responses=errors(401, 404, 422))
async def get_run(
    partner: PartnerDep,
    run_id: uuid.UUID,
    session: SessionDep,
    limit: Annotated[Limit, Query(description="items per page")] = 100,
    offset: Annotated[Offset, Query(description="items to skip")] = 0,
) -> SyncRunDetail:
    """One run with a page of its items (outcome, before → after, error, request id)."""
    run = await runs.get_run_or_404(session, partner.id, run_id)
    items, items_total = await run_repository.list_items(session, run.id, limit, offset)
    summary = SyncRunRead.model_validate(run).model_dump()
    summary["counts"] = await runs.live_counts(session, run)
    return SyncRunDetail(
        **summary,
        items=[SyncItemRead.model_validate(i) for i in items],
        items_total=items_total,
    )

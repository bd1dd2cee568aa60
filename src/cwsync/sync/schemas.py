"""Sync-run bodies (DESIGN §5): queue a run, a run's summary, one run with its items."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cwsync.schemas import MoneyOut


class SyncRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(default=False, description="compute the plan, write nothing")
    client_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="only these mapped clients (default: every mapped, sync-enabled client)",
    )


class ItemWarning(BaseModel):
    code: str
    message: str


def _warning_objects(value: Any) -> Any:
    # Stored JSON; a bare string is a code without a sentence.
    if isinstance(value, list):
        return [{"code": w, "message": w} if isinstance(w, str) else w for w in value]
    return [] if value is None else value


class SyncItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: uuid.UUID
    outcome: str = Field(
        description="updated | unchanged | pro_rata_created | skipped | failed "
        "(would_update | would_create_pro_rata in a dry run)"
    )
    addition_id: int | None
    quantity_before: MoneyOut | None
    quantity_after: MoneyOut | None
    unit_cost_before: MoneyOut | None
    unit_cost_after: MoneyOut | None
    error_code: str | None
    error_message: str | None
    cw_request_id: str | None = Field(description="ConnectWise's x-cw-request-id")
    warnings: Annotated[list[ItemWarning], BeforeValidator(_warning_objects)]
    pro_rata: dict[str, Any] | None
    created_at: datetime


class SyncRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    partner_id: uuid.UUID
    status: str = Field(description="queued | running | succeeded | partial | failed")
    trigger: str = Field(description="schedule | manual")
    dry_run: bool
    run_key: str
    client_ids: list[uuid.UUID] | None
    counts: dict[str, int]
    error_code: str | None
    error_message: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SyncRunDetail(SyncRunRead):
    items: list[SyncItemRead]
    items_total: int = Field(description="items in the run; page them with limit/offset")


class SyncRunList(BaseModel):
    items: list[SyncRunRead]
    total: int

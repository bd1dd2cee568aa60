"""Buffered writes of a run's results: items and mapping changes, a batch per transaction.

Client syncs finish one by one; writing each in its own transaction would cost a commit per
client. The writer collects them and flushes when the buffer is full, every
`flush_seconds` (so progress shows and a crash loses little), and at the end. A transaction
is only ever open for the flush itself, never across a ConnectWise call.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import structlog

from cwsync.db import SessionMaker, unit_of_work
from cwsync.metrics import SYNC_ITEMS
from cwsync.sync import item_repository
from cwsync.sync.context import FAILED, SKIPPED, ClientJob, ItemResult
from cwsync.sync.sql import uncancellable

log = structlog.get_logger(__name__)

# Warnings the sync itself raises: refreshed on every good read. Others (set when the mapping
# was saved, e.g. by the mapping check) are kept unless the sync reports the same code.
SYNC_WARNING_CODES = frozenset({"agreement_status_unknown", "overwrite_cost_without_unit_cost"})


def item_row(run_id: uuid.UUID, item: ItemResult, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "run_id": run_id,
        "client_id": item.client_id,
        "outcome": item.outcome,
        "addition_id": item.addition_id,
        "quantity_before": item.quantity_before,
        "quantity_after": item.quantity_after,
        "unit_cost_before": item.unit_cost_before,
        "unit_cost_after": item.unit_cost_after,
        "error_code": item.error_code,
        "error_message": item.error_message,
        "cw_request_id": item.cw_request_id,
        "warnings": list(item.warnings),
        "pro_rata": item.pro_rata,
        "created_at": now,
    }


def _code(entry: Any) -> str | None:
    if isinstance(entry, dict):
        code = entry.get("code")
        return str(code) if code is not None else None
    return str(entry) if entry is not None else None


def merged_warnings(existing: Iterable[Any], new: list[dict[str, str]]) -> list[Any]:
    new_codes = {w["code"] for w in new}
    kept = [w for w in existing if _code(w) not in SYNC_WARNING_CODES and _code(w) not in new_codes]
    return [*kept, *new]


def mapping_change(job: ClientJob, item: ItemResult, now: datetime) -> dict[str, Any]:
    """What a real (not dry) run records on the mapping for this item."""
    change: dict[str, Any] = {
        "id": job.mapping_id,
        "last_synced_at": now,
        "last_outcome": item.outcome,
        "last_error": item.error_message if item.outcome in (FAILED, SKIPPED) else None,
        "updated_at": now,
    }
    if item.broken_reason is not None:
        change.update(status="broken", broken_reason=item.broken_reason)
    elif item.read_ok:
        # A good read clears a break: the addition and agreement are there and usable again.
        change.update(
            status="ok",
            broken_reason=None,
            warnings=merged_warnings(job.mapping_warnings, item.warnings),
        )
    if item.succeeded and item.quantity_after is not None:
        change["last_synced_quantity"] = item.quantity_after
    return change


class ItemWriter:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        run_id: uuid.UUID,
        *,
        dry_run: bool,
        batch_size: int,
        clock: Any,
        flush_seconds: float = 1.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._run_id = run_id
        self._dry_run = dry_run
        self._batch_size = batch_size
        self._clock = clock
        self._flush_seconds = flush_seconds
        self._buffer: list[tuple[ClientJob, ItemResult]] = []
        self._lock = asyncio.Lock()
        self.written = 0

    def add(self, job: ClientJob, item: ItemResult) -> None:
        self._buffer.append((job, item))

    @property
    def full(self) -> bool:
        return len(self._buffer) >= self._batch_size

    async def flush(self) -> None:
        await uncancellable(self._flush())

    async def _flush(self) -> None:
        async with self._lock:
            while self._buffer:
                batch = self._buffer[: self._batch_size]
                await self._write(batch)
                del self._buffer[: len(batch)]

    async def _write(self, batch: list[tuple[ClientJob, ItemResult]]) -> None:
        now = self._clock()
        items = [item_row(self._run_id, item, now) for _, item in batch]
        # Dry runs write nothing to mappings (DESIGN §4 rule 6); their items are the report.
        changes = [] if self._dry_run else [mapping_change(job, item, now) for job, item in batch]
        async with unit_of_work(self._sessionmaker) as session:
            await item_repository.insert_items(session, items)
            await item_repository.update_mappings(session, changes)
        for _, item in batch:
            SYNC_ITEMS.labels(outcome=item.outcome).inc()
        self.written += len(batch)

    @contextlib.asynccontextmanager
    async def periodic(self) -> AsyncIterator[None]:
        """Flush every `flush_seconds` while the block runs (the final flush is the caller's)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(self._flush_seconds)
                try:
                    await self.flush()
                except Exception:  # a failed flush is retried at the next tick or at the end
                    log.exception("item_flush_failed", run_id=str(self._run_id))

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""Executing one claimed run: check it can start, stream its clients, sync them concurrently,
write the items, finish with a status.

Run-level failures (no connection, no product, bad credentials, ConnectWise unreachable)
end the run `failed` with ONE error on the run, not one per client. Bad credentials also
mark the connection `failing`. Everything else is per client, in its item.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.connectwise import (
    AuthenticationError,
    ConnectWiseClient,
    ConnectWiseError,
    PermissionDeniedError,
)
from cwsync.db import SessionMaker
from cwsync.metrics import SYNC_RUN_DURATION, SYNC_RUNS
from cwsync.models import Client, Connection, Mapping, Partner, Product, SyncRun
from cwsync.sync import item_repository, run_repository
from cwsync.sync.billing_month import local_date
from cwsync.sync.client_sync import sync_client
from cwsync.sync.context import FAILED, ClientFactory, ClientJob, ItemResult, RunContext
from cwsync.sync.item_writer import ItemWriter
from cwsync.sync.jobs import client_job, end_of_local_day
from cwsync.sync.lease import LeaseKeeper
from cwsync.sync.runs import RunFailure, run_counts, run_status
from cwsync.sync.sql import in_session

log = structlog.get_logger(__name__)


@dataclass
class SyncDeps:
    """What executing runs needs; one per process (the worker, a test, a benchmark)."""

    sessionmaker: SessionMaker
    factory: ClientFactory
    settings: Settings
    clock: Callable[[], datetime] = utcnow
    # Client syncs in flight across every run of the process (DESIGN §6 global cap).
    global_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(200))

    @classmethod
    def create(
        cls, sessionmaker: SessionMaker, factory: ClientFactory, settings: Settings
    ) -> SyncDeps:
        return cls(
            sessionmaker,
            factory,
            settings,
            global_slots=asyncio.Semaphore(settings.cw_global_concurrency),
        )


async def execute_run(deps: SyncDeps, run: SyncRun, owner: str) -> str | None:
    """Execute a run `owner` has claimed; its final status, or None when it was given back
    (cancelled: released for another worker) or taken away (lease lost)."""
    keeper = LeaseKeeper(deps.sessionmaker, run.id, owner, deps.settings.lease_seconds, deps.clock)
    started = time.monotonic()
    log.info("run_started", run_id=str(run.id), partner_id=str(run.partner_id), owner=owner)
    try:
        async with keeper.held():
            status = await _execute(deps, run, owner)
    except asyncio.CancelledError:
        if keeper.lost:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return None
        # Shutting down: give the run back at once instead of waiting out the lease.
        await _release(deps, run.id, owner)
        log.info("run_released", run_id=str(run.id), owner=owner)
        raise
    except Exception:
        # A bug (or the database failing mid-run): end the run visibly rather than leave it
        # to be reclaimed, crash again, and loop every lease. If even that write fails, the
        # lease expiry hands the run to another worker.
        log.exception("run_crashed", run_id=str(run.id), owner=owner)
        status = await _crashed(deps, run, owner)
    if status is not None:
        SYNC_RUNS.labels(status=status).inc()
        SYNC_RUN_DURATION.observe(time.monotonic() - started)
        log.info("run_finished", run_id=str(run.id), status=status)
    return status


async def _execute(deps: SyncDeps, run: SyncRun, owner: str) -> str | None:
    setup = await _load(deps, run)
    if isinstance(setup, RunFailure):
        return await _finish(deps, run, owner, setup)
    partner, connection, product = setup
    try:
        cw = deps.factory.for_connection(connection)
    except Exception as exc:  # a stored connection we cannot use (e.g. undecryptable key)
        log.exception("connection_unusable", partner_id=str(partner.id))
        return await _finish(
            deps, run, owner, RunFailure("connection_unusable", f"cannot use the connection: {exc}")
        )
    failure = await _preflight(deps, partner.id, cw, connection)
    if failure is not None:
        return await _finish(deps, run, owner, failure)

    now = deps.clock()
    ctx = RunContext(
        run_id=run.id,
        partner_id=partner.id,
        timezone=partner.timezone,
        now=now,
        today=local_date(now, partner.timezone),
        dry_run=run.dry_run,
        product_id=product.catalog_item_id,
        cw=cw,
        sessionmaker=deps.sessionmaker,
        settings=deps.settings,
    )
    client_ids = [uuid.UUID(c) for c in run.client_ids] if run.client_ids is not None else None

    async def count_clients(session: AsyncSession) -> int:
        total = await item_repository.count_run_clients(session, partner.id, client_ids)
        await run_repository.set_counts(session, run.id, {"total": total})
        return total

    total = await in_session(deps.sessionmaker, count_clients, commit=True)
    writer = ItemWriter(
        deps.sessionmaker,
        run.id,
        dry_run=run.dry_run,
        batch_size=deps.settings.batch_size,
        clock=deps.clock,
    )
    abort: RunFailure | None = None
    try:
        async with writer.periodic():
            await _fan_out(deps, ctx, partner, client_ids, writer)
    except* AuthenticationError as group:
        first = group.exceptions[0]
        assert isinstance(first, AuthenticationError)
        abort = await _auth_failed(deps, partner.id, first)
    finally:
        # Also on cancellation: what finished is kept, so a reclaimed run does not redo it.
        await writer.flush()
    outcomes = await in_session(
        deps.sessionmaker, lambda session: run_repository.outcome_counts(session, run.id)
    )
    counts = run_counts(total, outcomes, dry_run=run.dry_run)
    return await _finish(deps, run, owner, abort, counts)


async def _crashed(deps: SyncDeps, run: SyncRun, owner: str) -> str | None:
    failure = RunFailure("internal_error", "cwsync failed unexpectedly during this run")
    try:
        outcomes = await in_session(
            deps.sessionmaker, lambda session: run_repository.outcome_counts(session, run.id)
        )
        current = await in_session(
            deps.sessionmaker, lambda session: run_repository.get_run(session, run.id)
        )
        total = int((current.counts if current else {}).get("total", 0))
        counts = run_counts(total, outcomes, dry_run=run.dry_run)
        return await _finish(deps, run, owner, failure, counts)
    except Exception:
        log.exception("run_crash_not_recorded", run_id=str(run.id))
        return None


async def _release(deps: SyncDeps, run_id: uuid.UUID, owner: str) -> None:
    await in_session(
        deps.sessionmaker,
        lambda session: run_repository.release_run(session, run_id, owner),
        commit=True,
    )


async def _load(deps: SyncDeps, run: SyncRun) -> tuple[Partner, Connection, Product] | RunFailure:
    async def read(
        session: AsyncSession,
    ) -> tuple[Partner | None, Connection | None, Product | None]:
        return (
            await session.get(Partner, run.partner_id),
            await session.scalar(select(Connection).where(Connection.partner_id == run.partner_id)),
            await session.scalar(select(Product).where(Product.partner_id == run.partner_id)),
        )

    partner, connection, product = await in_session(deps.sessionmaker, read)
    if partner is None:
        return RunFailure("partner_not_found", "the partner no longer exists")
    if connection is None:
        return RunFailure(
            "no_connection",
            "the partner has no ConnectWise connection; save one (PUT .../connectwise) first",
        )
    if product is None:
        return RunFailure(
            "no_product",
            "no product is picked; pick the INFIMA catalog item (PUT .../connectwise/product)",
        )
    return partner, connection, product


async def _preflight(
    deps: SyncDeps, partner_id: uuid.UUID, cw: ConnectWiseClient, connection: Connection
) -> RunFailure | None:
    """One cheap call before any client: bad keys fail the run once, not once per client."""
    try:
        await cw.system_info()
    except AuthenticationError as exc:
        return await _auth_failed(deps, partner_id, exc)
    except PermissionDeniedError:
        pass  # the role may lack System access; the clients' own calls say what is missing
    except ConnectWiseError as exc:
        return RunFailure("connectwise_unavailable", f"ConnectWise could not be reached: {exc}")
    # After a cloud upgrade the client re-resolved the codebase (C10); keep the stored one
    # current so the partner sees where ConnectWise answers and later runs start there.
    info = await cw.resolve()  # cached: no request unless nothing was resolved yet
    if (info.codebase, info.api_base_url) != (connection.codebase, connection.api_base_url):
        await in_session(
            deps.sessionmaker,
            lambda session: item_repository.set_connection_location(
                session, partner_id, info.codebase, info.api_base_url
            ),
            commit=True,
        )
    if connection.status != "ok":
        await in_session(
            deps.sessionmaker,
            lambda session: item_repository.set_connection_status(session, partner_id, "ok", None),
            commit=True,
        )
    return None


async def _auth_failed(
    deps: SyncDeps, partner_id: uuid.UUID, exc: AuthenticationError
) -> RunFailure:
    await in_session(
        deps.sessionmaker,
        lambda session: item_repository.set_connection_status(
            session, partner_id, "failing", exc.message
        ),
        commit=True,
    )
    return RunFailure("connectwise_authentication_failed", exc.message)


async def _fan_out(
    deps: SyncDeps,
    ctx: RunContext,
    partner: Partner,
    client_ids: list[uuid.UUID] | None,
    writer: ItemWriter,
) -> None:
    """Every client of the run, `cw_concurrency` at a time (and within the global cap),
    read from the database a batch at a time so memory stays flat however many there are."""
    run_slots = asyncio.Semaphore(deps.settings.cw_concurrency)
    counts_before = end_of_local_day(ctx.today, partner.timezone)
    after: uuid.UUID | None = None

    async def next_batch(
        session: AsyncSession,
    ) -> tuple[Sequence[tuple[Client, Mapping]], dict[uuid.UUID, int]]:
        rows = await item_repository.next_client_batch(
            session,
            run_id=ctx.run_id,
            partner_id=partner.id,
            client_ids=client_ids,
            after=after,
            limit=deps.settings.batch_size,
        )
        counts = await item_repository.latest_counts(
            session, [client.id for client, _ in rows], counts_before
        )
        return rows, counts

    async with asyncio.TaskGroup() as tasks:
        while True:
            rows, counts = await in_session(deps.sessionmaker, next_batch)
            if not rows:
                break
            for client, mapping in rows:
                job = client_job(client, mapping, partner, ctx.product_id, counts.get(client.id))
                await run_slots.acquire()
                await deps.global_slots.acquire()
                tasks.create_task(_sync_one(ctx, job, writer, run_slots, deps.global_slots))
            after = rows[-1][0].id
            if writer.full:
                await writer.flush()


async def _sync_one(
    ctx: RunContext,
    job: ClientJob,
    writer: ItemWriter,
    run_slots: asyncio.Semaphore,
    global_slots: asyncio.Semaphore,
) -> None:
    try:
        item = await sync_client(ctx, job)
    except (AuthenticationError, asyncio.CancelledError):
        raise
    except Exception:  # a bug costs this client its item, not the whole run
        log.exception("client_sync_crashed", run_id=str(ctx.run_id), client_id=str(job.client_id))
        item = ItemResult(
            client_id=job.client_id,
            outcome=FAILED,
            addition_id=job.addition_id,
            error_code="internal_error",
            error_message="cwsync failed unexpectedly while syncing this client",
        )
    finally:
        run_slots.release()
        global_slots.release()
    writer.add(job, item)


async def _finish(
    deps: SyncDeps,
    run: SyncRun,
    owner: str,
    failure: RunFailure | None,
    counts: dict[str, int] | None = None,
) -> str | None:
    counts = counts if counts is not None else {"total": 0}
    status = run_status(counts, failure)
    if status == "failed" and failure is None:
        # Every client failed: say so on the run too, so "failed" always carries a reason.
        failure = RunFailure(
            "all_clients_failed",
            f"all {counts.get('total', 0)} clients failed; each item says why",
        )

    async def write(session: AsyncSession) -> bool:
        return await run_repository.finish_run(
            session,
            run.id,
            owner,
            status=status,
            counts=counts,
            error_code=failure.code if failure else None,
            error_message=failure.message if failure else None,
            now=deps.clock(),
        )

    finished = await in_session(deps.sessionmaker, write, commit=True)
    if not finished:
        log.warning("run_finish_lost_lease", run_id=str(run.id), owner=owner)
        return None
    return status

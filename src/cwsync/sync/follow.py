"""`cwsync sync --partner P [--dry-run]`: queue a manual run and follow it to the end.

The run is queued in the database like `POST …/sync-runs` would. This process then tries to
claim it itself, through the same lease as a scheduler replica would, so the command works
on a one-machine start with no scheduler running; when a scheduler claims it first, this
process only follows. Exit code 0 only when the run `succeeded` (1 otherwise, 2 when the
partner is unknown).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cwsync.clock import utcnow
from cwsync.config import Settings, get_settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import create_engine, create_sessionmaker, unit_of_work
from cwsync.models import Partner, SyncItem, SyncRun
from cwsync.sync import run_repository, runs
from cwsync.sync.context import FAILED
from cwsync.sync.executor import SyncDeps, execute_run
from cwsync.sync.worker import claim, worker_id

POLL_SECONDS = 0.5
SHOWN_FAILURES = 20


def follow_cli(partner_id: str, dry_run: bool) -> int:
    """Entry point of `cwsync sync`; the process exit code."""
    console = Console(stderr=True)
    try:
        partner = uuid.UUID(partner_id)
    except ValueError:
        console.print(f"[red]not a partner id:[/red] {partner_id!r}")
        return 2
    # Progress bars and JSON log lines do not mix: only warnings reach the terminal.
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(follow(get_settings(), partner, dry_run, console))


async def follow(settings: Settings, partner_id: uuid.UUID, dry_run: bool, console: Console) -> int:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with unit_of_work(sessionmaker) as session:
            partner = await session.get(Partner, partner_id)
            if partner is None:
                console.print(f"[red]no partner {partner_id}[/red]")
                return 2
            run = await runs.queue_manual_run(
                session, partner, dry_run=dry_run, client_ids=None, now=utcnow()
            )
        console.print(f"queued {'dry ' if dry_run else ''}run {run.id} for {partner.name}")
        async with httpx.AsyncClient(follow_redirects=False) as http:
            deps = SyncDeps.create(sessionmaker, ConnectWiseFactory(http, settings), settings)
            final = await _follow(deps, run.id, console)
            async with sessionmaker() as session:
                failures = await run_repository.failed_items(session, run.id, SHOWN_FAILURES)
        _report(console, final, failures)
        return 0 if final.status == "succeeded" else 1
    finally:
        await engine.dispose()


async def _follow(deps: SyncDeps, run_id: uuid.UUID, console: Console) -> SyncRun:
    owner = worker_id()
    executing: asyncio.Task[str | None] | None = None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("queued", total=None)
        while True:
            async with deps.sessionmaker() as session:
                run = await run_repository.get_run(session, run_id)
                assert run is not None
                counts = await runs.live_counts(session, run)
            if run.status == "queued" and executing is None:
                claimed = await claim(deps, owner, 1, run_id=run_id)
                if claimed:
                    executing = asyncio.create_task(execute_run(deps, claimed[0], owner))
            total = counts.get("total")
            done = sum(n for name, n in counts.items() if name != "total")
            progress.update(bar, description=run.status, total=total or None, completed=done)
            if run.status in run_repository.FINAL_STATUSES:
                break
            if executing is not None and executing.done():
                executing.result()  # surfaces a crash instead of polling forever
                executing = None
            await asyncio.sleep(POLL_SECONDS)
    if executing is not None:
        await executing
    async with deps.sessionmaker() as session:
        final = await run_repository.get_run(session, run_id)
    assert final is not None
    return final


def _report(console: Console, run: SyncRun, failures: Sequence[SyncItem]) -> None:
    style = {"succeeded": "green", "partial": "yellow"}.get(run.status, "red")
    console.print(f"run {run.id}: [{style}]{run.status}[/{style}]")
    if run.error_message:
        console.print(f"[red]{run.error_code}[/red]: {run.error_message}")
    table = Table("outcome", "clients")
    for name, n in (run.counts or {}).items():
        table.add_row(name, str(n))
    console.print(table)
    if failures:
        failed = Table("client", "error", "message")
        for item in failures:
            failed.add_row(str(item.client_id), item.error_code or "", item.error_message or "")
        console.print(failed)
    if (run.counts or {}).get(FAILED, 0) > len(failures):
        console.print(f"all failed clients: GET /v1/partners/{run.partner_id}/sync-runs/{run.id}")

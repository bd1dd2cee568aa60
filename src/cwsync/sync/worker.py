"""Workers: claim queued runs (nightly and manual) and execute them, many at once.

`Worker` is what the scheduler process runs: it polls for claimable runs, keeps at most
`max_concurrent_runs` in flight, and on shutdown stops claiming and gives back what it holds.
`run_once` drives the same code to completion for tests, benchmarks and `cwsync sync`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import uuid

import structlog

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.models import SyncRun
from cwsync.sync import run_repository
from cwsync.sync.context import ClientFactory
from cwsync.sync.executor import SyncDeps, execute_run
from cwsync.sync.sql import in_session

log = structlog.get_logger(__name__)


def worker_id() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def claim(
    deps: SyncDeps, owner: str, limit: int, run_id: uuid.UUID | None = None
) -> list[SyncRun]:
    return await in_session(
        deps.sessionmaker,
        lambda session: run_repository.claim_runs(
            session,
            owner=owner,
            now=deps.clock(),
            lease_seconds=deps.settings.lease_seconds,
            limit=limit,
            run_id=run_id,
        ),
        commit=True,
    )


class Worker:
    def __init__(self, deps: SyncDeps, owner: str | None = None) -> None:
        self.deps = deps
        self.owner = owner or worker_id()
        self._active: dict[uuid.UUID, asyncio.Task[str | None]] = {}
        self._wake = asyncio.Event()
        self.finished: list[tuple[uuid.UUID, str | None]] = []

    @property
    def active(self) -> int:
        return len(self._active)

    def wake(self) -> None:
        """Look for runs now rather than at the next poll (e.g. right after a tick queued some)."""
        self._wake.set()

    async def poll_once(self) -> int:
        """Claim what fits in the free slots and start it; how many runs were started."""
        free = self.deps.settings.max_concurrent_runs - len(self._active)
        if free <= 0:
            return 0
        runs = await claim(self.deps, self.owner, free)
        for run in runs:
            task = asyncio.create_task(execute_run(self.deps, run, self.owner))
            self._active[run.id] = task
            task.add_done_callback(functools.partial(self._done, run.id))
        return len(runs)

    def _done(self, run_id: uuid.UUID, task: asyncio.Task[str | None]) -> None:
        self._active.pop(run_id, None)
        status: str | None = None
        if not task.cancelled():
            exc = task.exception()
            if exc is not None:
                log.error("run_crashed", run_id=str(run_id), error=repr(exc))
            else:
                status = task.result()
        self.finished.append((run_id, status))
        self._wake.set()  # a slot is free

    async def serve(self, stop: asyncio.Event) -> None:
        """Claim and execute until `stop` is set. Database errors are logged and retried."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception:
                log.exception("claim_failed", owner=self.owner)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.deps.settings.worker_poll_seconds):
                    stop_wait = asyncio.ensure_future(stop.wait())
                    wake_wait = asyncio.ensure_future(self._wake.wait())
                    try:
                        await asyncio.wait(
                            {stop_wait, wake_wait}, return_when=asyncio.FIRST_COMPLETED
                        )
                    finally:
                        stop_wait.cancel()
                        wake_wait.cancel()

    async def shutdown(self, grace_seconds: float) -> None:
        """Let in-flight runs finish for `grace_seconds`, then cancel them: each flushes the
        items it has and releases its run, so another replica takes it over at once."""
        tasks = list(self._active.values())
        if not tasks:
            return
        log.info("worker_draining", runs=len(tasks), grace_seconds=grace_seconds)
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def drain(self) -> None:
        """Wait for every run in flight (no new claims)."""
        while self._active:
            await asyncio.wait(list(self._active.values()))


async def run_once(
    sessionmaker: SessionMaker,
    factory: ClientFactory,
    settings: Settings,
    *,
    owner: str | None = None,
) -> list[tuple[uuid.UUID, str | None]]:
    """Claim and execute runs until none is claimable; (run id, final status) of each.

    For tests, benchmarks and one-shot use: the same claims, leases and executor as the
    scheduler process, without its clock.
    """
    worker = Worker(SyncDeps.create(sessionmaker, factory, settings), owner)
    while True:
        started = await worker.poll_once()
        if not started and not worker.active:
            return worker.finished
        # Wait for one run to end: it may free its partner for the next queued run.
        await asyncio.wait(list(worker._active.values()), return_when=asyncio.FIRST_COMPLETED)

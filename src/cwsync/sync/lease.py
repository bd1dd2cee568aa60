"""Keeping a claimed run's lease alive while it works.

A claimed run holds `lease_expires_at`; a worker that dies stops renewing and another
replica reclaims the run once the lease has passed. The keeper renews at a third of the lease
so two missed renewals (a slow database, a long GC pause) still keep it. When a renewal
finds the lease gone (another worker reclaimed it after we stalled), the work is cancelled:
two workers must not sync one run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import structlog

from cwsync.db import SessionMaker, unit_of_work
from cwsync.sync import run_repository
from cwsync.sync.sql import uncancellable

log = structlog.get_logger(__name__)


class LeaseKeeper:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        run_id: uuid.UUID,
        owner: str,
        lease_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._run_id = run_id
        self._owner = owner
        self._lease = lease_seconds
        self._clock = clock
        self.lost = False

    async def renew(self) -> bool:
        return await uncancellable(self._renew())

    async def _renew(self) -> bool:
        expires = self._clock() + timedelta(seconds=self._lease)
        async with unit_of_work(self._sessionmaker) as session:
            return await run_repository.renew_lease(session, self._run_id, self._owner, expires)

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Renew in the background while the block runs; cancel the block if the lease is lost."""
        work = asyncio.current_task()

        async def loop() -> None:
            while True:
                await asyncio.sleep(self._lease / 3)
                try:
                    still_ours = await self.renew()
                except Exception:  # the database blinked: try again before the lease runs out
                    log.warning("lease_renew_failed", run_id=str(self._run_id), exc_info=True)
                    continue
                if not still_ours:
                    log.warning("lease_lost", run_id=str(self._run_id), owner=self._owner)
                    self.lost = True
                    if work is not None:
                        work.cancel()
                    return

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""The nightly rule: when a partner's run is due, and queueing it exactly once.

Every tick, each sync-enabled partner with a connection whose local `sync_time` has passed
today gets the run keyed `schedule:<partner>:<local date>`. Ticks repeat all day and run on
every replica; the unique run key makes all but the first insert a no-op.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import select

from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Connection, Partner
from cwsync.sync import run_repository
from cwsync.sync.billing_month import as_zone
from cwsync.sync.runs import SCHEDULE, scheduled_run_key

# Partners read per query: the tick's memory stays flat however many partners there are.
PARTNER_BATCH = 1000


def due_local_date(now_utc: datetime, timezone: str, sync_time: time) -> date | None:
    """The partner-local date whose run is due at `now_utc`, or None before `sync_time`.

    Wall-clock comparison: on a spring-forward day a 02:30 sync time that never happens is
    due from 03:00; on a fall-back day it is due the first time 02:30 comes round.
    """
    local = now_utc.astimezone(as_zone(timezone))
    if local.time().replace(tzinfo=None) < sync_time:
        return None
    return local.date()


async def enqueue_due_runs(sessionmaker: SessionMaker, now: datetime) -> list[uuid.UUID]:
    """Queue every due scheduled run not queued yet; the ids of those this call inserted."""
    inserted: list[uuid.UUID] = []
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session:
            query = (
                select(Partner.id, Partner.timezone, Partner.sync_time)
                .join(Connection, Connection.partner_id == Partner.id)
                .where(Partner.sync_enabled.is_(True))
                .order_by(Partner.id)
                .limit(PARTNER_BATCH)
            )
            if after is not None:
                query = query.where(Partner.id > after)
            partners = (await session.execute(query)).tuples().all()
        if not partners:
            return inserted
        after = partners[-1][0]
        due = {
            scheduled_run_key(partner_id, day): partner_id
            for partner_id, timezone, sync_time in partners
            if (day := due_local_date(now, timezone, sync_time)) is not None
        }
        async with unit_of_work(sessionmaker) as session:
            # Cheap filter first so a tick that has nothing new to do writes nothing.
            todo = set(due) - await run_repository.existing_run_keys(session, list(due))
            for key in sorted(todo):
                # The unique run_key decides: a replica that got here first wins, silently.
                run_id = await run_repository.insert_run(
                    session, partner_id=due[key], trigger=SCHEDULE, run_key=key, now=now
                )
                if run_id is not None:
                    inserted.append(run_id)

"""SQL for pro-rata charges (`pro_rata_charges`) and the user counts a month's charge needs.

A charge row is the exactly-once guard for (client, month): it is inserted `pending` and
committed before the addition is posted, so a retry, a later run or another worker finds
it. Statuses:

- `pending`      claimed; the POST may or may not have reached ConnectWise. Whoever takes
                 it over looks for a matching addition on the agreement before posting.
- `created`      the addition exists (`cw_addition_id`); nothing more to do, ever.
- `failed`       ConnectWise definitely refused the POST (`error_message`); the next run
                 plans it again and posts.
- `nothing_due`  the month was evaluated and had no net growth (quantity 0): recorded so
                 the month is never re-evaluated, and a late count cannot bill it weeks later.

Functions here take a session and never commit: the caller owns the (short) transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.models import ProRataCharge, SyncRun, UserCount
from cwsync.sync.billing_month import TimeZone, as_zone, next_month
from cwsync.types import UTCDateTime

__all__ = [
    "CREATED",
    "FAILED",
    "FINAL_STATUSES",
    "NOTHING_DUE",
    "PENDING",
    "ChargeValues",
    "adopted_addition_ids",
    "claim_charge",
    "get_charge",
    "insert_charge",
    "mark_created",
    "mark_failed",
    "month_reports",
    "owner_run_is_live",
]

PENDING: Final = "pending"
CREATED: Final = "created"
FAILED: Final = "failed"
NOTHING_DUE: Final = "nothing_due"
# A month with a row in one of these states is done for good.
FINAL_STATUSES: Final = frozenset({CREATED, NOTHING_DUE})


@dataclass(frozen=True, slots=True)
class ChargeValues:
    """What is (or would be) posted for one month: the fields a matching addition must have."""

    agreement_id: int
    quantity: int
    effective_date: date
    cancelled_date: date
    unit_price: Decimal | None
    unit_cost: Decimal | None


async def month_reports(
    session: AsyncSession, client_id: uuid.UUID, tz: TimeZone, month: date
) -> list[tuple[datetime, int]]:
    """The reports `pro_rata.pro_rata_charge` needs for `month`, oldest first, in one query.

    That is the last report before the month began (the baseline) and every report within
    it. The window is widened by a day on each side of the local month so that no zone rule
    (a midnight that does not exist, a 14-hour offset) can drop a needed report; the pure rule
    places each report on its local day, so the few extra rows change nothing. The query is a
    range scan of the (client_id, as_of) unique index.
    """
    zone = as_zone(tz)
    start = _local_midnight_utc(month, zone) - timedelta(days=1)
    end = _local_midnight_utc(next_month(month), zone) + timedelta(days=1)
    last_before = (
        select(func.max(UserCount.as_of))
        .where(UserCount.client_id == client_id, UserCount.as_of < start)
        .scalar_subquery()
    )
    lower = func.coalesce(last_before, literal(start, UTCDateTime()))
    rows = await session.execute(
        select(UserCount.as_of, UserCount.active_users)
        .where(UserCount.client_id == client_id, UserCount.as_of >= lower, UserCount.as_of < end)
        .order_by(UserCount.as_of)
    )
    return [(as_of, users) for as_of, users in rows.tuples()]


def _local_midnight_utc(day: date, zone: TimeZone) -> datetime:
    return datetime.combine(day, time(0), tzinfo=as_zone(zone)).astimezone(UTC)


async def get_charge(
    session: AsyncSession, client_id: uuid.UUID, month: date
) -> ProRataCharge | None:
    return await session.scalar(
        select(ProRataCharge).where(
            ProRataCharge.client_id == client_id, ProRataCharge.month == month
        )
    )


async def insert_charge(
    session: AsyncSession,
    *,
    client_id: uuid.UUID,
    month: date,
    values: ChargeValues,
    status: str,
    run_id: uuid.UUID | None,
) -> ProRataCharge | None:
    """Insert the month's row; None (session rolled back) when another run inserted it first.

    The (client_id, month) unique key is what makes a charge exactly-once: of two runs that
    both decide to bill a month, only one insert succeeds and only its run posts.
    """
    charge = ProRataCharge(
        client_id=client_id,
        month=month,
        agreement_id=values.agreement_id,
        quantity=values.quantity,
        effective_date=values.effective_date,
        cancelled_date=values.cancelled_date,
        unit_price=values.unit_price,
        unit_cost=values.unit_cost,
        status=status,
        run_id=run_id,
    )
    session.add(charge)
    try:
        await session.flush()
    except IntegrityError:
        # No savepoint (SQLite's driver mishandles them): the insert is meant to be the only
        # write of its transaction, so rolling the whole transaction back loses nothing.
        await session.rollback()
        return None
    return charge


async def owner_run_is_live(session: AsyncSession, charge: ProRataCharge, now: datetime) -> bool:
    """Whether the run that last claimed the charge is still working on it (running and
    holding an unexpired lease). Such a row is left alone: its POST may be in flight."""
    if charge.run_id is None:
        return False
    run = await session.get(SyncRun, charge.run_id)
    return (
        run is not None
        and run.status == "running"
        and run.lease_expires_at is not None
        and run.lease_expires_at > now
    )


async def claim_charge(
    session: AsyncSession,
    charge: ProRataCharge,
    *,
    run_id: uuid.UUID | None,
    values: ChargeValues | None = None,
    status: str = PENDING,
) -> ProRataCharge | None:
    """Take over a `pending` or `failed` row for this run: the row as it now is, or None
    when another run beat us. `charge` may come from another (closed) session.

    Compare-and-set on (status, run_id, updated_at) as read: two runs reviving the same
    abandoned row cannot both win, so only one of them looks for the addition and posts.
    `values` re-plans a `failed` row (nothing was created, so today's facts are the best).
    The row ends in `status` (`pending`, or `nothing_due` for a failed month that no longer
    shows growth), owned by `run_id`, with no error message.
    """
    changes: dict[str, object] = {
        "status": status,
        "run_id": run_id,
        "error_message": None,
        "updated_at": utcnow(),
    }
    if values is not None:
        changes.update(
            agreement_id=values.agreement_id,
            quantity=values.quantity,
            effective_date=values.effective_date,
            cancelled_date=values.cancelled_date,
            unit_price=values.unit_price,
            unit_cost=values.unit_cost,
        )
    same_owner = (
        ProRataCharge.run_id.is_(None)
        if charge.run_id is None
        else ProRataCharge.run_id == charge.run_id
    )
    result = await session.execute(
        update(ProRataCharge)
        .where(
            ProRataCharge.id == charge.id,
            ProRataCharge.status == charge.status,
            ProRataCharge.updated_at == charge.updated_at,
            same_owner,
        )
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.get(ProRataCharge, charge.id, populate_existing=True)


async def mark_created(session: AsyncSession, charge_id: uuid.UUID, addition_id: int) -> None:
    await session.execute(
        update(ProRataCharge)
        .where(ProRataCharge.id == charge_id)
        .values(
            status=CREATED,
            cw_addition_id=addition_id,
            error_message=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


async def mark_failed(session: AsyncSession, charge_id: uuid.UUID, message: str) -> None:
    # Only a pending row fails: a row another path already marked created stays created.
    await session.execute(
        update(ProRataCharge)
        .where(ProRataCharge.id == charge_id, ProRataCharge.status == PENDING)
        .values(status=FAILED, error_message=message, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def adopted_addition_ids(
    session: AsyncSession, agreement_ids: Collection[int]
) -> Sequence[int]:
    """Additions already recorded as some charge on these agreements: never adopt one twice
    (one client's months cannot share dates, but two clients may bill one agreement)."""
    rows = await session.scalars(
        select(ProRataCharge.cw_addition_id).where(
            ProRataCharge.agreement_id.in_(list(agreement_ids)),
            ProRataCharge.status == CREATED,
            ProRataCharge.cw_addition_id.is_not(None),
        )
    )
    return [r for r in rows.all() if r is not None]

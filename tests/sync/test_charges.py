"""The pro-rata charge repository on SQLite and PostgreSQL: loading a month's reports in one
query, and the row that makes each (client, month) charge exactly-once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Client, Partner, ProRataCharge, SyncRun, UserCount
from cwsync.sync import charges
from cwsync.sync.pro_rata import month_growth, pro_rata_charge

JAN = date(2027, 1, 1)
VALUES = charges.ChargeValues(
    agreement_id=1578,
    quantity=20,
    effective_date=date(2027, 1, 15),
    cancelled_date=date(2027, 1, 31),
    unit_price=Decimal("5.2456"),
    unit_cost=Decimal("3.10005"),
)


async def _client(sessionmaker: SessionMaker, tz: str = "UTC") -> uuid.UUID:
    async with unit_of_work(sessionmaker) as session:
        partner = Partner(name="Northwind", timezone=tz)
        session.add(partner)
        await session.flush()
        client = Client(partner_id=partner.id, external_id="c-1", name="Contoso")
        session.add(client)
        await session.flush()
        return client.id


async def _report(sessionmaker: SessionMaker, client_id: uuid.UUID, *rows: tuple[str, int]) -> None:
    async with unit_of_work(sessionmaker) as session:
        for as_of, users in rows:
            session.add(
                UserCount(
                    client_id=client_id,
                    as_of=datetime.fromisoformat(as_of),
                    active_users=users,
                )
            )


async def _run(sessionmaker: SessionMaker, client_id: uuid.UUID, **fields: object) -> uuid.UUID:
    async with unit_of_work(sessionmaker) as session:
        client = await session.get(Client, client_id)
        assert client is not None
        run = SyncRun(
            partner_id=client.partner_id, trigger="manual", run_key=str(uuid.uuid4()), **fields
        )
        session.add(run)
        await session.flush()
        return run.id


async def test_month_reports_keeps_the_baseline_and_the_month_in_one_query(
    sessionmaker: SessionMaker,
) -> None:
    client_id = await _client(sessionmaker)
    await _report(
        sessionmaker,
        client_id,
        ("2026-11-20T09:00:00+00:00", 900),  # superseded by the December report
        ("2026-12-05T09:00:00+00:00", 1000),  # the baseline: last report before January
        ("2027-01-10T09:00:00+00:00", 970),
        ("2027-01-15T09:00:00+00:00", 1020),
        ("2027-02-20T09:00:00+00:00", 1500),  # after the month
    )
    statements: list[str] = []
    async with sessionmaker() as session:
        engine = session.bind.sync_engine  # type: ignore[union-attr]

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            reports = await charges.month_reports(session, client_id, "UTC", JAN)
        finally:
            event.remove(engine, "before_cursor_execute", count)

    assert [users for _, users in reports] == [1000, 970, 1020]
    assert reports[0][0] == datetime(2026, 12, 5, 9, tzinfo=UTC)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    charge = pro_rata_charge(reports, "UTC", JAN)
    assert charge is not None
    assert (charge.net, charge.effective_date) == (20, date(2027, 1, 15))


async def test_month_reports_of_a_client_created_during_the_month(
    sessionmaker: SessionMaker,
) -> None:
    client_id = await _client(sessionmaker)
    await _report(sessionmaker, client_id, ("2027-01-12T00:00:00+00:00", 40))
    async with sessionmaker() as session:
        reports = await charges.month_reports(session, client_id, "UTC", JAN)
    assert reports == [(datetime(2027, 1, 12, tzinfo=UTC), 40)]


@pytest.mark.parametrize(
    "tz", ["Pacific/Honolulu", "Pacific/Kiritimati", "America/Santiago", "UTC", "Asia/Kolkata"]
)
async def test_month_reports_give_the_same_charge_as_the_whole_history(
    sessionmaker: SessionMaker, tz: str
) -> None:
    """Reports a few hours either side of each local boundary, in zones 24 hours apart."""
    client_id = await _client(sessionmaker, tz)
    zone = ZoneInfo(tz)
    history: list[tuple[datetime, int]] = []
    users = 500
    for day, month in ((31, 12), (1, 1), (15, 1), (31, 1), (1, 2)):
        year = 2026 if month == 12 else 2027
        for hour, minute in ((0, 0), (0, 30), (11, 0), (23, 59)):
            users += 7 if (hour + day) % 2 else -3
            local = datetime(year, month, day, hour, minute, tzinfo=zone)
            history.append((local.astimezone(UTC), users))
    # Long before and long after the month: only the December one may be loaded.
    for far in ("2026-10-01", "2026-12-20", "2027-03-01"):
        history.append((datetime.fromisoformat(far).replace(tzinfo=UTC), len(history)))
    await _report(sessionmaker, client_id, *((t.isoformat(), u) for t, u in history))

    async with sessionmaker() as session:
        loaded = await charges.month_reports(session, client_id, tz, JAN)
    assert len(loaded) == len(history) - 2  # October and March left out
    assert month_growth(loaded, tz, JAN) == month_growth(history, tz, JAN)
    assert pro_rata_charge(loaded, tz, JAN) == pro_rata_charge(history, tz, JAN)


async def test_one_row_per_client_and_month(sessionmaker: SessionMaker) -> None:
    client_id = await _client(sessionmaker)
    async with unit_of_work(sessionmaker) as session:
        first = await charges.insert_charge(
            session,
            client_id=client_id,
            month=JAN,
            values=VALUES,
            status=charges.PENDING,
            run_id=None,
        )
    assert first is not None
    async with unit_of_work(sessionmaker) as session:
        second = await charges.insert_charge(
            session,
            client_id=client_id,
            month=JAN,
            values=VALUES,
            status=charges.PENDING,
            run_id=None,
        )
    assert second is None
    async with sessionmaker() as session:
        stored = await charges.get_charge(session, client_id, JAN)
    assert stored is not None and stored.id == first.id
    assert (stored.unit_price, stored.unit_cost) == (Decimal("5.2456"), Decimal("3.10005"))
    assert (stored.status, stored.quantity) == ("pending", 20)


async def test_only_one_of_two_runs_takes_over_an_abandoned_row(
    sessionmaker: SessionMaker,
) -> None:
    client_id = await _client(sessionmaker)
    crashed = await _run(sessionmaker, client_id, status="failed")
    run_a = await _run(sessionmaker, client_id)
    run_b = await _run(sessionmaker, client_id)
    async with unit_of_work(sessionmaker) as session:
        await charges.insert_charge(
            session,
            client_id=client_id,
            month=JAN,
            values=VALUES,
            status=charges.PENDING,
            run_id=crashed,
        )
    async with sessionmaker() as session:
        seen_by_a = await charges.get_charge(session, client_id, JAN)
    async with sessionmaker() as session:
        seen_by_b = await charges.get_charge(session, client_id, JAN)
    assert seen_by_a is not None and seen_by_b is not None

    async with unit_of_work(sessionmaker) as session:
        assert await charges.claim_charge(session, seen_by_a, run_id=run_a) is not None
    async with unit_of_work(sessionmaker) as session:
        assert await charges.claim_charge(session, seen_by_b, run_id=run_b) is None
    async with sessionmaker() as session:
        stored = await charges.get_charge(session, client_id, JAN)
    assert stored is not None and stored.run_id == run_a


async def test_failed_then_created(sessionmaker: SessionMaker) -> None:
    client_id = await _client(sessionmaker)
    async with unit_of_work(sessionmaker) as session:
        charge = await charges.insert_charge(
            session,
            client_id=client_id,
            month=JAN,
            values=VALUES,
            status=charges.PENDING,
            run_id=None,
        )
        assert charge is not None
    async with unit_of_work(sessionmaker) as session:
        await charges.mark_failed(session, charge.id, "POST rejected (400: bad product)")
    async with unit_of_work(sessionmaker) as session:
        failed = await charges.get_charge(session, client_id, JAN)
        assert failed is not None
        assert failed.status == "failed"
        assert failed.error_message == "POST rejected (400: bad product)"
        replanned = charges.ChargeValues(**{**_fields(VALUES), "quantity": 21})
        claimed = await charges.claim_charge(session, failed, run_id=None, values=replanned)
        assert claimed is not None
        assert (claimed.status, claimed.quantity, claimed.error_message) == ("pending", 21, None)
    async with unit_of_work(sessionmaker) as session:
        await charges.mark_created(session, charge.id, 9102)
        await charges.mark_failed(session, charge.id, "late failure must not undo created")
    async with sessionmaker() as session:
        done = await session.get(ProRataCharge, charge.id)
        adopted = await charges.adopted_addition_ids(session, [1578, 1579])
    assert done is not None and (done.status, done.cw_addition_id) == ("created", 9102)
    assert adopted == [9102]


async def test_owner_run_is_live_only_while_running_under_a_lease(
    sessionmaker: SessionMaker,
) -> None:
    client_id = await _client(sessionmaker)
    now = datetime(2027, 2, 1, 8, tzinfo=UTC)
    live = await _run(
        sessionmaker, client_id, status="running", lease_expires_at=now + timedelta(minutes=5)
    )
    expired = await _run(
        sessionmaker, client_id, status="running", lease_expires_at=now - timedelta(seconds=1)
    )
    finished = await _run(sessionmaker, client_id, status="succeeded")
    async with sessionmaker() as session:
        results = [
            await charges.owner_run_is_live(
                session, ProRataCharge(client_id=client_id, month=JAN, run_id=run_id), now
            )
            for run_id in (live, expired, finished, None)
        ]
    assert results == [True, False, False, False]


def _fields(values: charges.ChargeValues) -> dict[str, object]:
    return {name: getattr(values, name) for name in charges.ChargeValues.__slots__}

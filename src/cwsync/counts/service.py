"""User count rules: a sane `as_of`, replace-on-repeat, and the all-or-nothing bulk feed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clients import repository as clients_repo
from cwsync.clients.service import get_client
from cwsync.clock import utcnow
from cwsync.counts import repository
from cwsync.counts.schemas import BulkRow, UserCountIn
from cwsync.errors import InvalidInput
from cwsync.models import Partner, UserCount

MAX_BULK_ROWS = 10_000
# Problems listed in one answer; the message still gives the full number.
MAX_REPORTED_PROBLEMS = 1000
EARLIEST_AS_OF = datetime(2000, 1, 1, tzinfo=UTC)
# A feed's clock may run a little ahead of ours; more than this is a wrong date, not skew.
CLOCK_SKEW = timedelta(minutes=5)


def as_of_problem(as_of: datetime, now: datetime) -> str | None:
    if as_of < EARLIEST_AS_OF:
        return "as_of is before 2000-01-01"
    if as_of > now + CLOCK_SKEW:
        return "as_of is in the future"
    return None


async def record_count(
    session: AsyncSession, partner: Partner, client_id: uuid.UUID, data: UserCountIn
) -> UserCount:
    client = await get_client(session, partner, client_id, lock=True)
    now = utcnow()
    as_of = data.as_of or now
    problem = as_of_problem(as_of, now)
    if problem:
        raise InvalidInput(problem, code="as_of_out_of_range", details={"as_of": as_of.isoformat()})
    await repository.upsert_counts(session, [(client.id, as_of, data.active_users)])
    stored = await repository.get_count(session, client.id, as_of)
    assert stored is not None  # just written in this transaction
    return stored


async def record_bulk(session: AsyncSession, raw_rows: list[Any]) -> int:
    """Validate every row, resolve every client, then write; any problem stores nothing."""
    if len(raw_rows) > MAX_BULK_ROWS:
        raise InvalidInput(
            f"at most {MAX_BULK_ROWS} rows a request; got {len(raw_rows)}",
            code="too_many_rows",
            details={"max_rows": MAX_BULK_ROWS, "rows": len(raw_rows)},
        )
    problems: list[dict[str, Any]] = []
    rows: dict[int, BulkRow] = {}
    now = utcnow()
    for index, raw in enumerate(raw_rows):
        try:
            row = BulkRow.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_row_problem(index, e) for e in exc.errors(include_url=False))
            continue
        problem = as_of_problem(row.as_of, now)
        if problem:
            problems.append(_problem(index, "as_of", "as_of_out_of_range", problem))
            continue
        rows[index] = row

    client_ids = await _resolve_clients(session, rows, problems)
    if problems:
        problems.sort(key=lambda p: p["row"])
        bad_rows = len({p["row"] for p in problems})
        raise InvalidInput(
            f"{bad_rows} of {len(raw_rows)} rows are invalid; nothing was stored",
            code="invalid_rows",
            details=problems[:MAX_REPORTED_PROBLEMS],
        )

    # Repeated (client, as_of) within the request: the last row wins.
    latest: dict[tuple[uuid.UUID, datetime], int] = {}
    for index, row in rows.items():
        latest[(client_ids[index], row.as_of)] = row.active_users
    await repository.upsert_counts(session, ((c, a, n) for (c, a), n in latest.items()))
    return len(raw_rows)


async def _resolve_clients(
    session: AsyncSession, rows: dict[int, BulkRow], problems: list[dict[str, Any]]
) -> dict[int, uuid.UUID]:
    """Row index → client id; one query for partners, one per partner for external ids."""
    by_partner: dict[uuid.UUID, list[int]] = defaultdict(list)
    for index, row in rows.items():
        by_partner[row.partner_id].append(index)
    known = await repository.existing_partner_ids(session, list(by_partner))
    resolved: dict[int, uuid.UUID] = {}
    for partner_id, indexes in by_partner.items():
        if partner_id not in known:
            problems.extend(
                _problem(i, "partner_id", "partner_not_found", "no partner with this id")
                for i in indexes
            )
            continue
        ids = await clients_repo.clients_by_external_id(
            session, partner_id, [rows[i].external_id for i in indexes]
        )
        for i in indexes:
            client_id = ids.get(rows[i].external_id)
            if client_id is None:
                problems.append(
                    _problem(i, "external_id", "client_not_found", "no client with this id")
                )
            else:
                resolved[i] = client_id
    return resolved


def _problem(row: int, field: str | None, code: str, message: str) -> dict[str, Any]:
    return {"row": row, "field": field, "code": code, "message": message}


def _row_problem(row: int, error: Any) -> dict[str, Any]:
    field = ".".join(str(part) for part in error.get("loc", ())) or None
    return _problem(row, field, str(error.get("type", "invalid")), str(error.get("msg", "")))

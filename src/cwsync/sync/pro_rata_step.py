"""Pro rata inside a run (DESIGN §4 rule 4): bill last month's net growth exactly once.

The executor calls `apply_pro_rata` once per client with `include_pro_rata` on, after the
primary addition was updated (or found unchanged, or would be updated in a dry run), with
the primary addition as it now stands: its unit price and cost are what the charge copies.

On the first run on or after the 1st (partner-local), the month that just ended is due. The
charge row (`charges`) makes it exactly-once:

1. no row: compute the charge from the month's counts. Net ≤ 0 → a `nothing_due` row, so
   the month is never looked at again. Otherwise insert the row `pending` and commit, POST
   the addition, then mark the row `created` with ConnectWise's id.
2. a `pending` row not held by a live run (a crash or an unknown outcome after the POST):
   take it over, list the agreement's additions and adopt one that matches (product, dates,
   quantity, invoice description); post only when none does.
3. a `failed` row (ConnectWise definitely refused the POST): plan afresh and post again.
4. `created` or `nothing_due`: nothing, ever again.

A run that finds the month done returns None, so the common night costs one small query.
A dry run computes and reports the same charge and writes nothing (no row either). No
database transaction is open while ConnectWise is awaited: each step is its own short one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.connectwise import (
    Addition,
    AuthenticationError,
    ConnectWiseError,
    NewAddition,
    RedirectRefusedError,
    UnavailableError,
)
from cwsync.models import ProRataCharge
from cwsync.sync import charges
from cwsync.sync.billing_month import due_billing_month, last_day_of_month, month_start
from cwsync.sync.charges import ChargeValues
from cwsync.sync.context import (
    PRO_RATA_CREATED,
    WOULD_CREATE_PRO_RATA,
    ClientJob,
    ProRataOutcome,
    RunContext,
    warning,
)
from cwsync.sync.pro_rata import MonthGrowth, month_growth, pro_rata_charge
from cwsync.sync.sql import in_session

__all__ = ["INVOICE_DESCRIPTION", "apply_pro_rata", "matching_addition"]

INVOICE_DESCRIPTION = "Security Awareness Training New Users"
# Returned by the first read when the month is already charged (or found to need nothing).
_MONTH_DONE = ProRataOutcome()


async def apply_pro_rata(
    ctx: RunContext, job: ClientJob, addition: Addition
) -> ProRataOutcome | None:
    month = due_billing_month(ctx.now, ctx.timezone)
    assert month is not None  # with nothing already charged, the previous month is due
    resume: tuple[ProRataCharge, list[int], Sequence[int]] | None = None
    reports: list[tuple[datetime, int]] = []

    charge: ProRataCharge | None = None

    async def read(session: AsyncSession) -> ProRataOutcome | None:
        nonlocal charge, resume, reports
        charge = await charges.get_charge(session, job.client_id, month)
        if charge is not None and charge.status in charges.FINAL_STATUSES:
            return _MONTH_DONE
        if charge is not None and charge.status == charges.PENDING:
            if charge.run_id != ctx.run_id and await charges.owner_run_is_live(
                session, charge, ctx.now
            ):
                # Another live run claimed this month and may be posting right now.
                return ProRataOutcome(info=_info(month, _stored(charge), None, "in_progress"))
            # Where an earlier POST may have landed: the row's agreement, and the mapping's
            # (in case the client was mapped elsewhere since).
            agreements = sorted({charge.agreement_id, job.agreement_id})
            resume = (charge, agreements, await charges.adopted_addition_ids(session, agreements))
        else:
            reports = await charges.month_reports(session, job.client_id, ctx.timezone, month)
        return None

    early = await in_session(ctx.sessionmaker, read)
    if early is _MONTH_DONE:
        return None
    if early is not None:
        return early
    # The session is closed: nothing below holds a transaction while ConnectWise answers.

    if resume is not None:
        return await _resume(ctx, job, *resume)

    growth = month_growth(reports, ctx.timezone, month)
    planned = pro_rata_charge(reports, ctx.timezone, month)
    if planned is None:
        return await _nothing_due(ctx, job, month, growth, charge)
    if addition.unit_price is None or addition.unit_cost is None:
        # A restricted role hid the primary's money; posting without it would let the catalog
        # decide what the client pays. No row: the next run tries again.
        return ProRataOutcome(
            info=_info(month, None, growth, "failed"),
            error_code="pro_rata_price_unknown",
            error_message="ConnectWise did not show the primary addition's unit price and "
            "cost to the API member, so the pro-rata charge could not copy them",
        )
    values = ChargeValues(
        agreement_id=job.agreement_id,
        quantity=planned.net,
        effective_date=planned.effective_date,
        cancelled_date=planned.cancelled_date,
        unit_price=addition.unit_price,
        unit_cost=addition.unit_cost,
    )
    warnings = await _prorate_warnings(ctx, job)
    if ctx.dry_run:
        return ProRataOutcome(
            outcome=WOULD_CREATE_PRO_RATA,
            info=_info(month, values, growth, "would_create"),
            warnings=warnings,
        )

    async def hold(session: AsyncSession) -> ProRataCharge | None:
        if charge is None:
            return await charges.insert_charge(
                session,
                client_id=job.client_id,
                month=month,
                values=values,
                status=charges.PENDING,
                run_id=ctx.run_id,
            )
        # failed: nothing exists in ConnectWise, so today's plan replaces the old one
        return await charges.claim_charge(session, charge, run_id=ctx.run_id, values=values)

    row = await in_session(ctx.sessionmaker, hold, commit=True)
    if row is None:  # another run inserted or took the row first; it does the posting
        return ProRataOutcome(info=_info(month, values, growth, "in_progress"))
    outcome = await _post(ctx, job, row.id, month, values, growth)
    return replace(outcome, warnings=(*warnings, *outcome.warnings))


async def _resume(
    ctx: RunContext,
    job: ClientJob,
    charge: ProRataCharge,
    agreements: Sequence[int],
    taken: Collection[int],
) -> ProRataOutcome:
    """A pending row whose POST may have landed: adopt what ConnectWise has, or post."""
    values = _stored(charge)
    if ctx.dry_run:
        # A real run would first look for this addition on the agreement.
        return ProRataOutcome(
            outcome=WOULD_CREATE_PRO_RATA, info=_info(charge.month, values, None, "pending")
        )
    row = await in_session(
        ctx.sessionmaker,
        lambda session: charges.claim_charge(session, charge, run_id=ctx.run_id),
        commit=True,
    )
    if row is None:
        return ProRataOutcome(info=_info(charge.month, values, None, "in_progress"))
    warnings = await _prorate_warnings(ctx, job)
    product_id = _product_id(ctx, job)
    try:
        existing = [
            found
            for agreement_id in agreements
            async for found in ctx.cw.agreement_additions(agreement_id)
        ]
    except AuthenticationError:
        raise
    except ConnectWiseError as exc:
        # The row stays pending (ours until this run ends): the next run looks again.
        return ProRataOutcome(
            info=_info(charge.month, values, None, "pending"),
            warnings=warnings,
            error_code="pro_rata_check_failed",
            error_message=f"could not check for an earlier pro-rata addition: {exc.message}",
            request_id=exc.request_id,
        )
    exclude = {*taken, job.addition_id}
    match = matching_addition(existing, values, product_id, exclude)
    if match is not None:
        await in_session(
            ctx.sessionmaker,
            lambda session: charges.mark_created(session, row.id, match.id),
            commit=True,
        )
        info = _info(charge.month, values, None, "created", addition_id=match.id)
        info["adopted"] = True
        return ProRataOutcome(
            outcome=PRO_RATA_CREATED, info=info, warnings=warnings, request_id=match.request_id
        )
    outcome = await _post(ctx, job, row.id, charge.month, values, None)
    return replace(outcome, warnings=(*warnings, *outcome.warnings))


async def _post(
    ctx: RunContext,
    job: ClientJob,
    charge_id: uuid.UUID,
    month: date,
    values: ChargeValues,
    growth: MonthGrowth | None,
) -> ProRataOutcome:
    """POST the addition for a row this run holds `pending` (committed), then record it."""
    new = NewAddition(
        product_id=_product_id(ctx, job),
        bill_customer="Billable",
        quantity=Decimal(values.quantity),
        unit_price=values.unit_price,
        unit_cost=values.unit_cost,
        effective_date=values.effective_date,
        cancelled_date=values.cancelled_date,
        invoice_description=INVOICE_DESCRIPTION,
    )
    try:
        created = await ctx.cw.create_addition(job.agreement_id, new)
    except AuthenticationError:
        raise
    except ConnectWiseError as exc:
        if _outcome_unknown(exc):
            # It may exist: the row stays pending and the next run adopts or posts.
            return ProRataOutcome(
                info=_info(month, values, growth, "pending"),
                error_code="pro_rata_outcome_unknown",
                error_message=f"{exc.message}; the next run checks the agreement for the "
                "addition before creating it",
                request_id=exc.request_id,
            )
        message = exc.message
        await in_session(
            ctx.sessionmaker,
            lambda session: charges.mark_failed(session, charge_id, message),
            commit=True,
        )
        return ProRataOutcome(
            info=_info(month, values, growth, "failed"),
            error_code="pro_rata_failed",
            error_message=f"{exc.message}; the next run tries again",
            request_id=exc.request_id,
        )
    await in_session(
        ctx.sessionmaker,
        lambda session: charges.mark_created(session, charge_id, created.id),
        commit=True,
    )
    return ProRataOutcome(
        outcome=PRO_RATA_CREATED,
        info=_info(month, values, growth, "created", addition_id=created.id),
        request_id=created.request_id,
    )


async def _nothing_due(
    ctx: RunContext,
    job: ClientJob,
    month: date,
    growth: MonthGrowth | None,
    charge: ProRataCharge | None,
) -> ProRataOutcome:
    """No net growth: say so, and (for real) record that the month was evaluated."""
    info = _info(month, None, growth, "nothing_due")
    info["quantity"] = 0
    if ctx.dry_run:
        return ProRataOutcome(info=info)
    values = ChargeValues(
        agreement_id=job.agreement_id,
        quantity=0,
        effective_date=month,
        cancelled_date=last_day_of_month(month),
        unit_price=None,
        unit_cost=None,
    )

    async def record(session: AsyncSession) -> None:
        if charge is None:
            await charges.insert_charge(
                session,
                client_id=job.client_id,
                month=month,
                values=values,
                status=charges.NOTHING_DUE,
                run_id=ctx.run_id,
            )
        else:  # a failed month whose counts no longer show growth
            await charges.claim_charge(
                session, charge, run_id=ctx.run_id, values=values, status=charges.NOTHING_DUE
            )

    await in_session(ctx.sessionmaker, record, commit=True)
    return ProRataOutcome(info=info)


def matching_addition(
    additions: Sequence[Addition], values: ChargeValues, product_id: int, exclude: set[int]
) -> Addition | None:
    """The addition an earlier, interrupted POST created, if ConnectWise has it.

    Price and cost are not compared (a partner may edit them); a product or description the
    API member cannot see (None) is not a mismatch. Quantity and both dates must be there.
    """
    for candidate in additions:
        if candidate.id in exclude:
            continue
        if candidate.product_id is not None and candidate.product_id != product_id:
            continue
        description = candidate.invoice_description
        if description is not None and description.strip() != INVOICE_DESCRIPTION:
            continue
        if (
            candidate.quantity == Decimal(values.quantity)
            and candidate.effective_date == values.effective_date
            and candidate.cancelled_date == values.cancelled_date
        ):
            return candidate
    return None


async def _prorate_warnings(ctx: RunContext, job: ClientJob) -> tuple[dict[str, str], ...]:
    """Warn when ConnectWise will bill the charge for the whole period instead of prorating."""
    try:
        agreement = await ctx.agreement(job.agreement_id)
    except AuthenticationError:
        raise
    except ConnectWiseError:
        return ()  # the charge does not depend on it; the next month's check tries again
    if agreement.prorate_flag is False:
        return (
            warning(
                "agreement_not_prorated",
                "the agreement's Prorate Agreement box is off, so ConnectWise bills pro-rata "
                "additions for the whole period instead of from their effective date",
            ),
        )
    return ()


def _outcome_unknown(exc: ConnectWiseError) -> bool:
    """Whether a failed POST may still have created the addition."""
    if isinstance(exc, RedirectRefusedError):
        return True
    if isinstance(exc, UnavailableError):
        return exc.outcome_unknown
    # A 2xx we could not read created it; a typed 4xx/429/5xx answer definitely did not.
    return exc.status is None or 200 <= exc.status < 300


def _product_id(ctx: RunContext, job: ClientJob) -> int:
    product_id = ctx.product_id or job.state.product_id
    if product_id is None:  # the executor fails the run before any client without a product
        raise RuntimeError("pro rata needs the partner's picked product")
    return product_id


def _stored(charge: ProRataCharge) -> ChargeValues:
    return ChargeValues(
        agreement_id=charge.agreement_id,
        quantity=charge.quantity,
        effective_date=charge.effective_date,
        cancelled_date=charge.cancelled_date,
        unit_price=charge.unit_price,
        unit_cost=charge.unit_cost,
    )


def _info(
    month: date,
    values: ChargeValues | None,
    growth: MonthGrowth | None,
    status: str,
    *,
    addition_id: int | None = None,
) -> dict[str, Any]:
    """The item's `pro_rata` JSON: dates as ISO days, money as decimal strings."""
    return {
        "month": month_start(month).isoformat()[:7],
        "baseline": growth.baseline if growth else None,
        "end": growth.end if growth else None,
        "quantity": values.quantity if values else None,
        "effective_date": values.effective_date.isoformat() if values else None,
        "cancelled_date": values.cancelled_date.isoformat() if values else None,
        "unit_price": _money(values.unit_price) if values else None,
        "unit_cost": _money(values.unit_cost) if values else None,
        "addition_id": addition_id,
        "status": status,
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")

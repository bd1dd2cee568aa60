"""One client's sync (DESIGN §4 rules 1–3, 6): read the addition, plan, one PATCH, check it.

Request budget per client: one GET when nothing changes, a GET and a PATCH when something
does. The agreement is read only when the addition did not carry `agreementStatus` (a
restricted role) or answered 404 (to tell a deleted addition from a deleted agreement), and
then once per run per agreement (`RunContext.agreement`).

`AuthenticationError` is not caught here: bad credentials stop the whole run, once.
"""

from __future__ import annotations

from decimal import Decimal

from cwsync.connectwise import (
    Addition,
    Agreement,
    AuthenticationError,
    ConnectWiseError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RedirectRefusedError,
    ThrottledError,
    UnavailableError,
)
from cwsync.sync import pro_rata_step
from cwsync.sync.context import (
    FAILED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    WOULD_UPDATE,
    ClientJob,
    ItemResult,
    RunContext,
    warning,
)
from cwsync.sync.plan import Plan, agreement_status_known, plan_patch, same_amount

_WARNING_TEXT = {
    "agreement_status_unknown": "ConnectWise did not show the agreement's status to the API "
    "member; cwsync could not check that the agreement is Active",
    "overwrite_cost_without_unit_cost": "overwrite cost is on but neither the client nor the "
    "partner has a unit cost; the cost was left as it is",
}


def error_code_for(exc: ConnectWiseError) -> str:
    if isinstance(exc, PermissionDeniedError):
        return "permission_denied"
    if isinstance(exc, ThrottledError):
        return "connectwise_throttled"
    if isinstance(exc, UnavailableError):
        return "connectwise_unavailable"
    if isinstance(exc, InvalidRequestError):
        return "connectwise_rejected"
    if isinstance(exc, RedirectRefusedError):
        return "connectwise_redirect"
    if isinstance(exc, NotFoundError):
        return "connectwise_not_found"
    return "connectwise_error"


def _failed(job: ClientJob, exc: ConnectWiseError, **fields: object) -> ItemResult:
    item = ItemResult(
        client_id=job.client_id,
        outcome=FAILED,
        addition_id=job.addition_id,
        error_code=error_code_for(exc),
        error_message=exc.message,
        cw_request_id=exc.request_id,
    )
    for name, value in fields.items():
        setattr(item, name, value)
    return item


async def sync_client(ctx: RunContext, job: ClientJob) -> ItemResult:
    try:
        addition = await ctx.cw.get_addition(job.agreement_id, job.addition_id)
    except AuthenticationError:
        raise
    except NotFoundError as exc:
        return await _gone(ctx, job, exc)
    except ConnectWiseError as exc:
        return _failed(job, exc)

    agreement: Agreement | None = None
    if not agreement_status_known(addition):
        try:
            agreement = await ctx.agreement(job.agreement_id)
        except AuthenticationError:
            raise
        except NotFoundError as exc:
            return _broken(job, "agreement_deleted", "the agreement was deleted", exc.request_id)
        except ConnectWiseError:
            agreement = None  # the planner goes on with a warning that the status is unknown

    plan = plan_patch(addition, agreement, job.state, ctx.today)
    item = ItemResult(
        client_id=job.client_id,
        outcome=UNCHANGED,
        addition_id=job.addition_id,
        quantity_before=plan.quantity_before,
        quantity_after=plan.quantity_before,
        unit_cost_before=plan.unit_cost_before,
        unit_cost_after=plan.unit_cost_before,
        cw_request_id=addition.request_id,
        warnings=[warning(code, _WARNING_TEXT.get(code, code)) for code in plan.warnings],
        read_ok=plan.action != "broken",
    )
    if plan.action == "broken":
        assert plan.reason is not None
        return _broken(job, plan.reason, plan.message or plan.reason, addition.request_id, plan)
    if plan.action == "skip":
        item.outcome, item.error_code, item.error_message = SKIPPED, plan.reason, plan.message
        return item

    current = addition
    if plan.action == "patch":
        item.quantity_after, item.unit_cost_after = plan.quantity_after, plan.unit_cost_after
        if ctx.dry_run:
            item.outcome = WOULD_UPDATE
            current = addition.model_copy(
                update={"quantity": plan.quantity_after, "unit_cost": plan.unit_cost_after}
            )
        else:
            try:
                current = await ctx.cw.patch_addition(job.agreement_id, job.addition_id, plan.ops)
            except AuthenticationError:
                raise
            except ConnectWiseError as exc:
                item.outcome, item.error_code = FAILED, error_code_for(exc)
                item.error_message = exc.message
                item.quantity_after = plan.quantity_before
                item.unit_cost_after = plan.unit_cost_before
                item.cw_request_id = exc.request_id or item.cw_request_id
                return item
            item.cw_request_id = current.request_id or item.cw_request_id
            item.quantity_after, item.unit_cost_after = current.quantity, current.unit_cost
            if not _applied(plan, current):
                item.outcome, item.error_code = FAILED, "patch_not_applied"
                item.error_message = (
                    "ConnectWise accepted the change but the addition did not take it "
                    f"(sent {_describe(plan)}; it now has quantity {current.quantity}, "
                    f"unit cost {current.unit_cost})"
                )
                return item
            item.outcome = UPDATED

    if job.include_pro_rata:
        await _pro_rata(ctx, job, current, item)
    return item


def _applied(plan: Plan, answer: Addition) -> bool:
    """A malformed patch can answer 200 and change nothing: compare what came back."""
    now_has = {"quantity": answer.quantity, "unitCost": answer.unit_cost}
    return all(
        isinstance(op.value, Decimal) and same_amount(now_has.get(op.path), op.value)
        for op in plan.ops
    )


def _describe(plan: Plan) -> str:
    return ", ".join(f"{op.path} {op.value}" for op in plan.ops)


def _broken(
    job: ClientJob,
    reason: str,
    message: str,
    request_id: str | None,
    plan: Plan | None = None,
) -> ItemResult:
    return ItemResult(
        client_id=job.client_id,
        outcome=FAILED,
        addition_id=job.addition_id,
        quantity_before=plan.quantity_before if plan else None,
        quantity_after=plan.quantity_before if plan else None,
        unit_cost_before=plan.unit_cost_before if plan else None,
        unit_cost_after=plan.unit_cost_before if plan else None,
        error_code=reason,
        error_message=message,
        cw_request_id=request_id,
        broken_reason=reason,
    )


async def _gone(ctx: RunContext, job: ClientJob, exc: NotFoundError) -> ItemResult:
    """The addition answered 404: the addition or its whole agreement is gone; ask which."""
    try:
        await ctx.agreement(job.agreement_id)
    except NotFoundError as agreement_exc:
        return _broken(
            job, "agreement_deleted", "the agreement was deleted", agreement_exc.request_id
        )
    except ConnectWiseError as other:
        if isinstance(other, AuthenticationError):
            raise
        return _failed(job, exc)  # cannot tell which is gone yet: fail, do not mark broken
    return _broken(job, "addition_deleted", "the addition was deleted", exc.request_id)


async def _pro_rata(ctx: RunContext, job: ClientJob, addition: Addition, item: ItemResult) -> None:
    outcome = await pro_rata_step.apply_pro_rata(ctx, job, addition)
    if outcome is None:
        return
    item.warnings.extend(outcome.warnings)
    item.pro_rata = outcome.info
    if outcome.error_code is not None:
        item.outcome, item.error_code = FAILED, outcome.error_code
        item.error_message = outcome.error_message
    elif outcome.outcome is not None:
        item.outcome = outcome.outcome
    item.cw_request_id = outcome.request_id or item.cw_request_id

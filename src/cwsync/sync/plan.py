"""The patch plan (DESIGN §4 rules 1–3): what one client's addition needs, decided without I/O.

`plan_patch(addition, agreement, client, today)` takes the addition as ConnectWise answered
it (and the agreement when it was read), the client's state in cwsync and the partner-local
day, and answers one of: broken (with the reason), skipped (`no_user_count`), unchanged, or
a JSON Patch. The executor does the reading and writing; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from cwsync.connectwise import Addition, Agreement, PatchOp

__all__ = [
    "CW_PLACES",
    "ClientState",
    "Plan",
    "agreement_status_known",
    "plan_patch",
    "same_amount",
]

# Quantities and money are compared rounded to 6 places: the most our API accepts and our
# Money columns keep. 5.2456 and 5.24560 are one amount, so a value ConnectWise echoes with
# other trailing zeros never causes a nightly PATCH (C17).
CW_PLACES = Decimal("0.000001")

Action = Literal["broken", "skip", "unchanged", "patch"]


@dataclass(frozen=True, slots=True)
class ClientState:
    """What cwsync knows about one client at sync time."""

    active_users: int | None  # the count for today; None when none was ever reported
    product_id: int | None  # the partner's picked catalog item
    overwrite_cost: bool = False
    client_unit_cost: Decimal | None = None  # the client's override
    partner_unit_cost: Decimal | None = None

    @property
    def target_unit_cost(self) -> Decimal | None:
        """The unit cost overwrite cost writes: the client's override, else the partner's."""
        if self.client_unit_cost is not None:
            return self.client_unit_cost
        return self.partner_unit_cost


@dataclass(frozen=True, slots=True)
class Plan:
    action: Action
    reason: str | None = None  # broken or skip reason, e.g. "addition_cancelled"
    message: str | None = None  # a sentence for the partner, for broken and skip
    ops: tuple[PatchOp, ...] = ()
    quantity_before: Decimal | None = None
    quantity_after: Decimal | None = None
    unit_cost_before: Decimal | None = None
    unit_cost_after: Decimal | None = None
    warnings: tuple[str, ...] = field(default=())


def same_amount(a: Decimal | None, b: Decimal | None) -> bool:
    """Equal at the API's precision; None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return _round(a) == _round(b)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CW_PLACES, rounding=ROUND_HALF_UP)


def agreement_status_known(addition: Addition) -> bool:
    """Whether the addition read already tells the agreement's status (it normally does:
    ConnectWise copies `agreementStatus` onto every addition), so no agreement read is due."""
    return addition.agreement_status is not None


def plan_patch(
    addition: Addition, agreement: Agreement | None, client: ClientState, today: date
) -> Plan:
    """The plan for one client. `agreement` may be None when the addition carried the status."""
    qty, cost = addition.quantity, addition.unit_cost
    broken = _broken_reason(addition, agreement, client, today)
    if broken is not None:
        reason, message = broken
        return Plan(
            "broken", reason=reason, message=message, quantity_before=qty, unit_cost_before=cost
        )

    warnings: tuple[str, ...] = ()
    if agreement is None and addition.agreement_status is None:
        # A restricted role hid the status on both reads: go on, but say we could not check.
        warnings = ("agreement_status_unknown",)
    if client.active_users is None:
        return Plan(
            "skip",
            reason="no_user_count",
            message="no active user count has been reported for this client yet",
            warnings=warnings,
            quantity_before=qty,
            unit_cost_before=cost,
        )

    ops: list[PatchOp] = []
    quantity_after = addition.quantity
    target_quantity = Decimal(client.active_users)
    if not same_amount(addition.quantity, target_quantity):
        ops.append(PatchOp(path="quantity", value=target_quantity))
        quantity_after = target_quantity

    cost_after = addition.unit_cost
    target_cost = client.target_unit_cost
    if client.overwrite_cost and target_cost is not None:
        if not same_amount(addition.unit_cost, target_cost):
            ops.append(PatchOp(path="unitCost", value=target_cost))
            cost_after = target_cost
    elif client.overwrite_cost:
        warnings = (*warnings, "overwrite_cost_without_unit_cost")

    return Plan(
        "patch" if ops else "unchanged",
        ops=tuple(ops),
        quantity_before=addition.quantity,
        quantity_after=quantity_after,
        unit_cost_before=addition.unit_cost,
        unit_cost_after=cost_after,
        warnings=warnings,
    )


def _broken_reason(
    addition: Addition, agreement: Agreement | None, client: ClientState, today: date
) -> tuple[str, str] | None:
    # "Passed" means before today: an addition cancelled as of today is still billed today.
    if addition.cancelled_date is not None and addition.cancelled_date < today:
        return (
            "addition_cancelled",
            f"the addition was cancelled on {addition.cancelled_date.isoformat()}",
        )
    status = agreement.agreement_status if agreement is not None else None
    status = status or addition.agreement_status
    cancelled_flag = agreement.cancelled_flag if agreement is not None else None
    if status is not None and status != "Active":
        return "agreement_inactive", f"the agreement is {status}, not Active"
    if cancelled_flag:
        return "agreement_inactive", "the agreement is cancelled"
    # A restricted role can answer 200 with no product at all: that is not a changed product.
    if (
        addition.product_id is not None
        and client.product_id is not None
        and addition.product_id != client.product_id
    ):
        return (
            "product_missing",
            f"the addition's product ({addition.product_identifier or addition.product_id}) "
            f"is not the picked product (catalog item {client.product_id})",
        )
    return None

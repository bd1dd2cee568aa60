"""The patch plan, case by case: broken reasons, skip, unchanged, and the exact patch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cwsync.connectwise import Addition, Agreement, PatchOp
from cwsync.sync.plan import ClientState, agreement_status_known, plan_patch, same_amount

TODAY = date(2026, 3, 14)
PRODUCT = 812


def addition(**fields: Any) -> Addition:
    data: dict[str, Any] = {
        "id": 9001,
        "agreementId": 1578,
        "product": {"id": PRODUCT, "identifier": "INFIMA-SAT"},
        "quantity": Decimal("17"),
        "unitPrice": Decimal("5.2456"),
        "unitCost": Decimal("3.10005"),
        "agreementStatus": "Active",
        "cancelledDate": None,
    }
    data.update(fields)
    return Addition.model_validate(data)


def agreement(**fields: Any) -> Agreement:
    data: dict[str, Any] = {"id": 1578, "agreementStatus": "Active", "cancelledFlag": False}
    data.update(fields)
    return Agreement.model_validate(data)


def client(**fields: Any) -> ClientState:
    values: dict[str, Any] = {"active_users": 17, "product_id": PRODUCT}
    values.update(fields)
    return ClientState(**values)


BROKEN_CASES = [
    (
        "cancelled yesterday",
        addition(cancelledDate="2026-03-13T00:00:00Z"),
        None,
        client(),
        "addition_cancelled",
    ),
    (
        "agreement status on the addition",
        addition(agreementStatus="Cancelled"),
        None,
        client(),
        "agreement_inactive",
    ),
    (
        "expired agreement read",
        addition(agreementStatus=None),
        agreement(agreementStatus="Expired"),
        client(),
        "agreement_inactive",
    ),
    (
        "cancelled flag",
        addition(agreementStatus=None),
        agreement(agreementStatus=None, cancelledFlag=True),
        client(),
        "agreement_inactive",
    ),
    (
        "agreement read wins over the addition's copy",
        addition(agreementStatus="Active"),
        agreement(agreementStatus="Inactive"),
        client(),
        "agreement_inactive",
    ),
    (
        "another product",
        addition(product={"id": 4, "identifier": "OTHER"}),
        None,
        client(),
        "product_missing",
    ),
    (
        "broken even without a count",
        addition(agreementStatus="Expired"),
        None,
        client(active_users=None),
        "agreement_inactive",
    ),
]


@pytest.mark.parametrize(
    ("read", "agreement_read", "state", "reason"),
    [case[1:] for case in BROKEN_CASES],
    ids=[case[0] for case in BROKEN_CASES],
)
def test_broken(
    read: Addition, agreement_read: Agreement | None, state: ClientState, reason: str
) -> None:
    plan = plan_patch(read, agreement_read, state, TODAY)
    assert (plan.action, plan.reason) == ("broken", reason)
    assert plan.ops == ()
    assert plan.message


NOT_BROKEN_CASES = [
    ("cancelled today is still billed today", addition(cancelledDate="2026-03-14T00:00:00Z")),
    ("cancelled in the future", addition(cancelledDate="2026-12-31T00:00:00Z")),
    ("restricted role hides the product", addition(product=None)),
    ("product without id", addition(product={"identifier": "INFIMA-SAT"})),
]


@pytest.mark.parametrize(
    "read", [c[1] for c in NOT_BROKEN_CASES], ids=[c[0] for c in NOT_BROKEN_CASES]
)
def test_not_broken(read: Addition) -> None:
    assert plan_patch(read, None, client(), TODAY).action == "unchanged"


def test_no_product_picked_is_not_a_product_change() -> None:
    plan = plan_patch(addition(product={"id": 4}), None, client(product_id=None), TODAY)
    assert plan.action == "unchanged"


def test_no_user_count_is_skipped() -> None:
    plan = plan_patch(addition(), None, client(active_users=None), TODAY)
    assert (plan.action, plan.reason, plan.ops) == ("skip", "no_user_count", ())


def test_unknown_agreement_status_goes_on_with_a_warning() -> None:
    plan = plan_patch(addition(agreementStatus=None), None, client(active_users=20), TODAY)
    assert plan.action == "patch"
    assert plan.warnings == ("agreement_status_unknown",)


def q(value: str) -> PatchOp:
    return PatchOp(path="quantity", value=Decimal(value))


def cost(value: str) -> PatchOp:
    return PatchOp(path="unitCost", value=Decimal(value))


PATCH_CASES = [
    ("same count", addition(), client(), ()),
    ("same count, other trailing zeros", addition(quantity=Decimal("17.000")), client(), ()),
    ("count grew", addition(), client(active_users=20), (q("20"),)),
    ("count fell to zero", addition(), client(active_users=0), (q("0"),)),
    (
        "fractional quantity read",
        addition(quantity=Decimal("2.5")),
        client(active_users=2),
        (q("2"),),
    ),
    ("quantity hidden by the role", addition(quantity=None), client(), (q("17"),)),
    (
        "cost off never touches cost",
        addition(unitCost=Decimal("9")),
        client(overwrite_cost=False, client_unit_cost=Decimal("1")),
        (),
    ),
    (
        "client override wins",
        addition(),
        client(
            overwrite_cost=True,
            client_unit_cost=Decimal("2.5"),
            partner_unit_cost=Decimal("2.3456"),
        ),
        (cost("2.5"),),
    ),
    (
        "partner cost without override",
        addition(),
        client(overwrite_cost=True, partner_unit_cost=Decimal("2.3456")),
        (cost("2.3456"),),
    ),
    (
        "cost equal at API precision",
        addition(unitCost=Decimal("5.2456")),
        client(overwrite_cost=True, partner_unit_cost=Decimal("5.24560")),
        (),
    ),
    (
        "five-place cost kept exactly",
        addition(unitCost=Decimal("3.1")),
        client(overwrite_cost=True, partner_unit_cost=Decimal("3.10005")),
        (cost("3.10005"),),
    ),
    (
        "count and cost in one patch",
        addition(),
        client(active_users=18, overwrite_cost=True, partner_unit_cost=Decimal("2")),
        (q("18"), cost("2")),
    ),
    (
        "cost hidden by the role",
        addition(unitCost=None),
        client(overwrite_cost=True, partner_unit_cost=Decimal("2")),
        (cost("2"),),
    ),
]


@pytest.mark.parametrize(
    ("read", "state", "ops"), [c[1:] for c in PATCH_CASES], ids=[c[0] for c in PATCH_CASES]
)
def test_patch(read: Addition, state: ClientState, ops: tuple[PatchOp, ...]) -> None:
    plan = plan_patch(read, None, state, TODAY)
    assert plan.ops == ops
    assert plan.action == ("patch" if ops else "unchanged")
    assert plan.quantity_before == read.quantity
    assert plan.unit_cost_before == read.unit_cost
    sent = {op.path: op.value for op in ops}
    assert plan.quantity_after == sent.get("quantity", read.quantity)
    assert plan.unit_cost_after == sent.get("unitCost", read.unit_cost)


def test_overwrite_cost_without_any_unit_cost_warns_and_leaves_cost() -> None:
    plan = plan_patch(addition(), None, client(overwrite_cost=True), TODAY)
    assert plan.action == "unchanged"
    assert plan.warnings == ("overwrite_cost_without_unit_cost",)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (Decimal("5.2456"), Decimal("5.24560"), True),
        (Decimal("17"), Decimal("17.000000"), True),
        (Decimal("3.10005"), Decimal("3.1"), False),
        (Decimal("1.0000001"), Decimal("1"), True),
        (None, None, True),
        (None, Decimal("0"), False),
    ],
)
def test_same_amount(a: Decimal | None, b: Decimal | None, equal: bool) -> None:
    assert same_amount(a, b) is equal


def test_agreement_status_known_from_the_addition() -> None:
    assert agreement_status_known(addition())
    assert not agreement_status_known(addition(agreementStatus=None))

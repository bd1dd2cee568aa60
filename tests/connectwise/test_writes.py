"""Exact bytes of what we write, and Decimal precision both ways (C13, C14, C17)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import respx
from pydantic import ValidationError

from cwsync.connectwise import NewAddition, PatchOp, dump_json
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, raw_json

ADDITION_URL = f"{BASE}/finance/agreements/1578/additions/9001"
ADDITION_JSON = (
    '{"id": 9001, "product": {"id": 812, "identifier": "INFIMA-SAT"}, "quantity": 2.5,'
    ' "unitPrice": 5.2456, "unitCost": 3.10005, "billCustomer": "Billable",'
    ' "effectiveDate": "2026-01-15T00:00:00Z", "cancelledDate": null, "agreementId": 1578,'
    ' "extPrice": 13.114, "_info": {"lastUpdated": "2026-01-15T09:00:00Z"}}'
)


async def test_c13_patch_body_exact_bytes(cw_mock: respx.MockRouter, make_client: ClientFactory):
    route = cw_mock.patch(ADDITION_URL).mock(return_value=raw_json(ADDITION_JSON))

    await make_client().patch_addition(1578, 9001, [PatchOp(path="quantity", value=Decimal(18))])

    request = route.calls.last.request
    assert request.content == b'[{"op":"replace","path":"quantity","value":18}]'
    assert request.headers["Content-Type"] == "application/json"


async def test_c13_c17_patch_values_typed_and_exact(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    route = cw_mock.patch(ADDITION_URL).mock(return_value=raw_json(ADDITION_JSON))
    ops = [
        PatchOp(path="quantity", value=Decimal("2.5")),
        PatchOp(path="unitCost", value=Decimal("3.10005")),
        PatchOp(path="product", value={"id": 812}),
        PatchOp(path="cancelledDate", value=date(2026, 1, 31)),
    ]

    await make_client().patch_addition(1578, 9001, ops)

    assert route.calls.last.request.content == (
        b'[{"op":"replace","path":"quantity","value":2.5},'
        b'{"op":"replace","path":"unitCost","value":3.10005},'
        b'{"op":"replace","path":"product","value":{"id":812}},'
        b'{"op":"replace","path":"cancelledDate","value":"2026-01-31T00:00:00Z"}]'
    )


@pytest.mark.parametrize("path", ["product.identifier", "/quantity", "Unit Cost", ""])
def test_c14_patch_paths_are_bare_field_names(path: str):
    with pytest.raises(ValidationError, match="bare field"):
        PatchOp(path=path, value=1)


def test_floats_are_refused():
    with pytest.raises(ValidationError, match="Decimal"):
        PatchOp(path="unitPrice", value=5.2456)
    with pytest.raises(ValidationError, match="Decimal"):
        NewAddition(product_id=1, quantity=2.5)
    with pytest.raises(TypeError, match="Decimal"):
        dump_json({"x": 0.1})


async def test_c17_decimals_read_exactly(cw_mock: respx.MockRouter, make_client: ClientFactory):
    cw_mock.get(ADDITION_URL).mock(
        return_value=raw_json(ADDITION_JSON, **{"x-cw-request-id": "req-123"})
    )

    addition = await make_client().get_addition(1578, 9001)

    assert addition.quantity == Decimal("2.5")
    assert str(addition.unit_price) == "5.2456"
    assert str(addition.unit_cost) == "3.10005"
    assert str(addition.ext_price) == "13.114"
    assert (addition.product_id, addition.product_identifier) == (812, "INFIMA-SAT")
    assert addition.effective_date == date(2026, 1, 15)
    assert addition.cancelled_date is None
    assert addition.request_id == "req-123"


async def test_c17_create_addition_body_exact(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    route = cw_mock.post(f"{BASE}/finance/agreements/1578/additions").mock(
        return_value=raw_json(ADDITION_JSON, 201, **{"x-cw-request-id": "req-9"})
    )
    new = NewAddition(
        product_id=812,
        quantity=Decimal("2.5"),
        unit_price=Decimal("5.2456"),
        unit_cost=Decimal("3.10005"),
        effective_date=date(2026, 1, 15),
        cancelled_date=date(2026, 1, 31),
        invoice_description="Security Awareness Training New Users",
    )

    created = await make_client().create_addition(1578, new)

    assert route.calls.last.request.content == (
        b'{"product":{"id":812},"billCustomer":"Billable","quantity":2.5,'
        b'"unitPrice":5.2456,"unitCost":3.10005,"effectiveDate":"2026-01-15T00:00:00Z",'
        b'"cancelledDate":"2026-01-31T00:00:00Z",'
        b'"invoiceDescription":"Security Awareness Training New Users"}'
    )
    assert created.id == 9001 and created.request_id == "req-9"


def test_dump_json_keeps_every_digit():
    assert dump_json([Decimal("0.00010"), Decimal("1E+2"), 7, "Zürich", None, True]) == (
        '[0.00010,100,7,"Zürich",null,true]'.encode()
    )

"""Agreement additions: reads, POST, JSON Patch, DELETE, exact money (C13–C15, C17)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cwsync.simulator.jsonio import dumps_bytes
from cwsync.simulator.testing import SimulatorServer
from tests.simulator.conftest import exact_json

ADDITIONS = "/finance/agreements/1578/additions"


def patch(cw: httpx.Client, body: Any, addition: int = 9001) -> httpx.Response:
    return cw.patch(f"{ADDITIONS}/{addition}", content=dumps_bytes(body))


def test_one_agreement_holds_cancelled_current_and_future_additions(cw: httpx.Client) -> None:
    rows = exact_json(cw.get(ADDITIONS, params={"conditions": "product/id = 812"}))
    by_id = {row["id"]: row for row in rows}
    assert by_id[9002]["cancelledDate"] == "2023-12-31T00:00:00Z"
    assert "cancelledDate" not in by_id[9001]  # null fields are left out, as in ConnectWise
    assert by_id[9003]["effectiveDate"] > by_id[9001]["effectiveDate"]
    assert by_id[9001]["product"] == {"id": 812, "identifier": "INFIMA-SAT"}


def test_money_and_fractional_quantities_are_exact(cw: httpx.Client) -> None:
    row = exact_json(cw.get("/finance/agreements/1582/additions/9008"))
    assert row["quantity"] == Decimal("2.5")
    assert row["unitPrice"] == Decimal("5.2456")
    assert row["unitCost"] == Decimal("3.10005")
    assert row["extPrice"] == Decimal("13.1140")
    assert row["extCost"] == Decimal("7.750125")
    assert row["margin"] == Decimal("5.363875")
    assert b'"unitCost":3.10005' in cw.get("/finance/agreements/1582/additions/9008").content


def test_post_creates_an_addition_with_exact_values(sim: SimulatorServer, cw: httpx.Client) -> None:
    body = {
        "product": {"id": 812},
        "billCustomer": "Billable",
        "quantity": Decimal("20"),
        "unitPrice": Decimal("5.2456"),
        "unitCost": Decimal("3.10005"),
        "effectiveDate": "2026-01-15T00:00:00Z",
        "cancelledDate": "2026-01-31T00:00:00Z",
        "invoiceDescription": "Security Awareness Training New Users",
    }
    response = cw.post(ADDITIONS, content=dumps_bytes(body))
    assert response.status_code == 201
    created = exact_json(response)
    assert created["id"] > 9009
    assert created["extPrice"] == Decimal("104.9120")
    assert created["agreementId"] == 1578
    stored = sim.state.tenant("northwind").additions[created["id"]]
    assert (stored.quantity, stored.unit_cost) == (Decimal("20"), Decimal("3.10005"))
    again = exact_json(cw.get(f"{ADDITIONS}/{created['id']}"))
    assert again["invoiceDescription"] == "Security Awareness Training New Users"
    [write] = sim.state.writes
    assert (write.method, write.addition_id, write.agreement_status) == (
        "POST",
        created["id"],
        "Active",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"billCustomer": "Billable"}, "product"),
        ({"product": {"id": 812}}, "billCustomer"),
        ({"product": {"id": 812}, "billCustomer": "Billable", "quantity": "5.5"}, "quantity"),
        ({"product": {"id": 812}, "billCustomer": "Sometimes"}, "billCustomer"),
        (
            {"product": {"id": 812}, "billCustomer": "Billable", "effectiveDate": "soon"},
            "effectiveDate",
        ),
        ({"product": {"id": 815}, "billCustomer": "Billable"}, "product"),  # inactive
        ({"product": {"id": 816}, "billCustomer": "Billable"}, "product"),  # a Bundle
        ({"product": {"id": 999}, "billCustomer": "Billable"}, "product"),
    ],
)
def test_post_refusals_name_the_field(
    sim: SimulatorServer, cw: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = cw.post(ADDITIONS, content=json.dumps(body))
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert sim.state.writes == []


def test_post_by_product_identifier_takes_catalog_defaults(cw: httpx.Client) -> None:
    body = {"product": {"identifier": "infima-phish"}, "billCustomer": "DoNotBill", "quantity": 3}
    created = exact_json(cw.post(ADDITIONS, content=json.dumps(body)))
    assert created["product"] == {"id": 813, "identifier": "INFIMA-PHISH"}
    assert (created["unitPrice"], created["unitCost"]) == (Decimal("1.50"), Decimal("0.75"))


def test_patch_array_changes_fields_and_is_logged(sim: SimulatorServer, cw: httpx.Client) -> None:
    response = patch(
        cw,
        [
            {"op": "replace", "path": "quantity", "value": 18},
            {"op": "replace", "path": "unitCost", "value": Decimal("2.3456")},
            {"op": "add", "path": "invoiceDescription", "value": "Seats"},
        ],
    )
    assert response.status_code == 200
    row = exact_json(response)
    assert (row["quantity"], row["unitCost"], row["invoiceDescription"]) == (
        18,
        Decimal("2.3456"),
        "Seats",
    )
    assert row["extCost"] == Decimal("42.2208")
    [write] = sim.state.writes
    assert write.changed == ["quantity", "unitCost", "invoiceDescription"]
    assert write.before is not None and write.before["quantity"] == 40


def test_patch_remove_clears_a_date(cw: httpx.Client) -> None:
    response = patch(cw, [{"op": "remove", "path": "cancelledDate"}], addition=9002)
    assert response.status_code == 200
    assert "cancelledDate" not in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"op": "replace", "path": "quantity", "value": 18},  # an object, not an array (C13)
        [{"op": "replace", "path": "quantity", "value": "18"}],  # a stringified number (C13)
        [{"op": "replace", "path": "product.identifier", "value": "X"}],  # display path (C14)
        [{"op": "replace", "path": "product/id", "value": 813}],
        [{"op": "replace", "path": "Quantity", "value": 18}],  # paths are case-sensitive
        [{"op": "replace", "path": "extPrice", "value": 1}],  # read-only
        [{"op": "move", "path": "quantity", "value": 1}],
        [{"op": "replace", "path": "quantity"}],
        [{"op": "remove", "path": "billCustomer"}],
        [{"op": "replace", "path": "quantity", "value": 18}, {"op": "replace", "path": "nope"}],
    ],
)
def test_bad_patches_are_400_and_change_nothing(
    sim: SimulatorServer, cw: httpx.Client, body: Any
) -> None:
    response = patch(cw, body)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert response.json()["errors"]
    assert sim.state.tenant("northwind").additions[9001].quantity == 40
    assert sim.state.writes == []


def test_patch_replaces_the_product_reference_whole(cw: httpx.Client) -> None:
    response = patch(cw, [{"op": "replace", "path": "product", "value": {"id": 813}}])
    assert response.json()["product"] == {"id": 813, "identifier": "INFIMA-PHISH"}


def test_delete_removes_the_addition(sim: SimulatorServer, cw: httpx.Client) -> None:
    assert cw.delete(f"{ADDITIONS}/9004").status_code == 204
    assert cw.get(f"{ADDITIONS}/9004").status_code == 404
    assert [w.method for w in sim.state.writes] == ["DELETE"]


def test_missing_records_are_404(cw: httpx.Client) -> None:
    assert cw.get("/finance/agreements/4242/additions/9001").status_code == 404
    assert cw.get("/finance/agreements/1579/additions/9001").status_code == 404  # not its agreement
    assert cw.get("/finance/agreements/4242/additions").status_code == 404
    assert (
        patch(cw, [{"op": "replace", "path": "quantity", "value": 1}], addition=1).status_code
        == 404
    )
    assert cw.get("/company/companies/1").json()["code"] == "NotFound"


def test_writes_to_a_cancelled_agreement_are_accepted_but_logged(
    sim: SimulatorServer, cw: httpx.Client
) -> None:
    response = cw.patch(
        "/finance/agreements/1581/additions/9007",
        content=b'[{"op": "replace", "path": "quantity", "value": 4}]',
    )
    assert response.status_code == 200
    [write] = sim.state.writes
    assert (write.agreement_id, write.agreement_status) == (1581, "Cancelled")
    agreement = cw.get("/finance/agreements/1581").json()
    assert (agreement["agreementStatus"], agreement["cancelledFlag"]) == ("Cancelled", True)

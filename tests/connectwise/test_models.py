"""Reading what a restricted role or an older server answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
import respx

from cwsync.connectwise import Addition, Agreement, ConnectWiseError
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, raw_json


def test_restricted_role_fields_missing_or_null():
    addition = Addition.model_validate(
        {"id": 5, "product": None, "quantity": None, "effectiveDate": "", "surprise": 1}
    )
    assert addition.product_id is None and addition.quantity is None
    assert addition.effective_date is None


def test_agreement_flattens_references():
    agreement = Agreement.model_validate(
        {
            "id": 1578,
            "name": "Managed Services",
            "company": {"id": 250, "identifier": "Contoso", "name": "Contoso Ltd"},
            "type": {"id": 3, "name": "MSP"},
            "agreementStatus": "Active",
            "prorateFlag": True,
            "startDate": "2025-01-01T00:00:00Z",
            "endDate": None,
            "billingCycle": {"id": 2, "name": "Monthly"},
        }
    )
    assert (agreement.company_id, agreement.company_name) == (250, "Contoso Ltd")
    assert agreement.type_name == "MSP" and agreement.billing_cycle_name == "Monthly"
    assert agreement.start_date == date(2025, 1, 1) and agreement.end_date is None
    assert agreement.prorate_flag is True


async def test_catalog_item_money_exact(cw_mock: respx.MockRouter, make_client: ClientFactory):
    cw_mock.get(f"{BASE}/procurement/catalog/812").mock(
        return_value=raw_json(
            '{"id": 812, "identifier": "INFIMA-SAT", "description": "SAT", "price": 5.2456,'
            ' "cost": 3.10005, "inactiveFlag": false, "productClass": "Service"}'
        )
    )

    item = await make_client().get_catalog_item(812)

    assert (item.price, item.cost) == (Decimal("5.2456"), Decimal("3.10005"))
    assert item.product_class == "Service" and item.inactive_flag is False


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"name": "no id"}),
    ],
)
async def test_unreadable_200_is_an_error(
    cw_mock: respx.MockRouter, make_client: ClientFactory, response: httpx.Response
):
    cw_mock.get(f"{BASE}/company/companies/250").mock(return_value=response)

    with pytest.raises(ConnectWiseError) as caught:
        await make_client().get_company(250)

    assert caught.value.code == "InvalidResponse"


async def test_counts(cw_mock: respx.MockRouter, make_client: ClientFactory):
    route = cw_mock.get(f"{BASE}/company/companies/count").respond(json={"count": 42})
    cw_mock.get(f"{BASE}/finance/agreements/7/additions/count").respond(json={"count": 3})
    client = make_client()

    assert await client.count_companies("Acme") == 42
    assert await client.count_agreement_additions(7) == 3
    assert "deletedFlag = False" in route.calls.last.request.url.params["conditions"]

"""The mapping rules as plain tables (no I/O): edges the simulator's seed does not hold."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cwsync.connectwise import Addition, Agreement, Company
from cwsync.mappings.checks import (
    MappingRefused,
    check_addition,
    check_agreement,
    check_company,
    mapping_warnings,
)

TODAY = date(2026, 3, 15)
PRODUCT = 812


def addition(**fields: Any) -> Addition:
    base: dict[str, Any] = {"id": 9001, "agreementId": 1578, "product": {"id": PRODUCT}}
    return Addition.model_validate({**base, **fields})


def agreement(**fields: Any) -> Agreement:
    base: dict[str, Any] = {"id": 1578, "name": "Managed", "company": {"id": 250}}
    return Agreement.model_validate({**base, "agreementStatus": "Active", **fields})


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (addition(), None),
        (addition(cancelledDate="2026-03-15T00:00:00Z"), None),  # billed through today
        (addition(cancelledDate="2026-03-14T00:00:00Z"), "addition_cancelled"),
        (addition(effectiveDate="2026-03-15T00:00:00Z"), None),  # starts today
        (addition(effectiveDate="2026-03-16T00:00:00Z"), "addition_not_started"),
        (addition(cancelledDate=""), None),  # ConnectWise's empty date is no date
        (addition(agreementId=None), None),  # read under the agreement: it is that one's
        (addition(agreementId=1579), "addition_not_for_agreement"),
        (None, "addition_not_for_agreement"),
        (addition(product={"id": 813, "identifier": "INFIMA-PHISH"}), "addition_wrong_product"),
        (addition(product=None), "addition_wrong_product"),  # cannot tell: do not map blind
    ],
)
def test_addition_rules(record: Addition | None, code: str | None) -> None:
    if code is None:
        check_addition(record, 9001, 1578, PRODUCT, TODAY)
        return
    with pytest.raises(MappingRefused) as refused:
        check_addition(record, 9001, 1578, PRODUCT, TODAY)
    assert refused.value.code == code
    assert refused.value.status == 422


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (agreement(), None),
        (agreement(agreementStatus="active"), None),
        (agreement(agreementStatus=None), None),  # a restricted role hid it
        (agreement(agreementStatus="Expired"), "agreement_not_active"),
        (agreement(agreementStatus="Inactive"), "agreement_not_active"),
        (agreement(cancelledFlag=True), "agreement_not_active"),
        (agreement(company={"id": 251}), "agreement_not_for_company"),
        (agreement(company=None), "agreement_not_for_company"),
        (None, "agreement_not_found"),
    ],
)
def test_agreement_rules(record: Agreement | None, code: str | None) -> None:
    if code is None:
        check_agreement(record, 1578, 250)
        return
    with pytest.raises(MappingRefused) as refused:
        check_agreement(record, 1578, 250)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("record", "refused"),
    [
        (Company.model_validate({"id": 250, "name": "Contoso"}), False),
        (Company.model_validate({"id": 250, "deletedFlag": False}), False),
        (Company.model_validate({"id": 250, "deletedFlag": True}), True),
        (None, True),
    ],
)
def test_company_rules(record: Company | None, refused: bool) -> None:
    if not refused:
        check_company(record, 250)
        return
    with pytest.raises(MappingRefused) as error:
        check_company(record, 250)
    assert error.value.code == "company_not_found"


@pytest.mark.parametrize(
    ("prorate", "pro_rata", "warned"),
    [(False, True, True), (True, True, False), (None, True, False), (False, False, False)],
)
def test_prorate_warning(prorate: bool | None, pro_rata: bool, warned: bool) -> None:
    warnings = mapping_warnings(agreement(prorateFlag=prorate), pro_rata)
    assert [w.code for w in warnings] == (["agreement_not_prorated"] if warned else [])

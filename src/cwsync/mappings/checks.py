"""Whether a company / agreement / addition picked by a partner may be mapped: pure rules.

The records come from ConnectWise (``cwsync.connectwise`` models); this module does no I/O,
so every rule is tested with plain tables of cases. A refusal is a 422 with a stable code:

| code                        | when                                                        |
|-----------------------------|-------------------------------------------------------------|
| company_not_found           | ConnectWise has no such company, or it is deleted           |
| agreement_not_found         | ConnectWise has no such agreement                           |
| agreement_not_for_company   | the agreement belongs to another company                    |
| agreement_not_active        | the agreement is Cancelled / Expired / Inactive (or flagged) |
| addition_not_for_agreement  | the agreement has no such addition                          |
| addition_cancelled          | the addition's cancelled date has passed                    |
| addition_not_started        | the addition's effective date is after today                |
| addition_wrong_product      | the addition is not for the partner's picked product        |

"Today" is the partner's local date: that is the calendar the sync bills by.
"""

from __future__ import annotations

from datetime import date

from cwsync.connectwise import Addition, Agreement, Company
from cwsync.errors import InvalidInput
from cwsync.mappings.schemas import MappingWarning


class MappingRefused(InvalidInput):
    """The pick does not hold in ConnectWise; `code` says which rule failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def check_company(company: Company | None, company_id: int) -> None:
    if company is None:
        raise MappingRefused("company_not_found", f"ConnectWise has no company {company_id}")
    if company.deleted_flag:
        raise MappingRefused(
            "company_not_found", f"company {company_id} ({company.name}) is deleted in ConnectWise"
        )


def check_agreement(agreement: Agreement | None, agreement_id: int, company_id: int) -> None:
    if agreement is None:
        raise MappingRefused("agreement_not_found", f"ConnectWise has no agreement {agreement_id}")
    if agreement.company_id != company_id:
        raise MappingRefused(
            "agreement_not_for_company",
            f"agreement {agreement_id} ({agreement.name}) belongs to company "
            f"{agreement.company_id}, not {company_id}",
        )
    status = (agreement.agreement_status or "").strip()
    # A status ConnectWise did not send (restricted role) is not a reason to refuse.
    if agreement.cancelled_flag or (status and status.casefold() != "active"):
        raise MappingRefused(
            "agreement_not_active",
            f"agreement {agreement_id} ({agreement.name}) is {status or 'cancelled'}, not "
            "Active; pick an active agreement",
        )


def check_addition(
    addition: Addition | None,
    addition_id: int,
    agreement_id: int,
    product_id: int,
    today: date,
) -> None:
    # Additions are read under their agreement, so "not found" and "another agreement's"
    # look the same from here; the code says what the partner should fix either way.
    if addition is None or (
        addition.agreement_id is not None and addition.agreement_id != agreement_id
    ):
        raise MappingRefused(
            "addition_not_for_agreement",
            f"agreement {agreement_id} has no addition {addition_id}",
        )
    if addition.cancelled_date is not None and addition.cancelled_date < today:
        raise MappingRefused(
            "addition_cancelled",
            f"addition {addition_id} was cancelled on {addition.cancelled_date.isoformat()}; "
            "pick the agreement's current addition",
        )
    if addition.effective_date is not None and addition.effective_date > today:
        raise MappingRefused(
            "addition_not_started",
            f"addition {addition_id} only starts on {addition.effective_date.isoformat()}; "
            "pick the agreement's current addition",
        )
    if addition.product_id != product_id:
        shown = addition.product_identifier or addition.product_id or "an unknown product"
        raise MappingRefused(
            "addition_wrong_product",
            f"addition {addition_id} is for {shown}, not the picked product {product_id}",
        )


def mapping_warnings(agreement: Agreement, include_pro_rata: bool) -> list[MappingWarning]:
    warnings: list[MappingWarning] = []
    if include_pro_rata and agreement.prorate_flag is False:
        warnings.append(
            MappingWarning(
                code="agreement_not_prorated",
                message=(
                    f"pro rata is on for this client but agreement {agreement.id} "
                    f"({agreement.name}) does not have Prorate Agreement set, so ConnectWise "
                    "will charge new users for the whole billing period, not the days they "
                    "were there"
                ),
            )
        )
    return warnings

"""Read endpoints: companyinfo, system/info, and list/count/get for each resource."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cwsync.simulator import listing
from cwsync.simulator.cwrequest import CwRequest
from cwsync.simulator.records import Addition, Agreement, CatalogItem, Company, Record
from cwsync.simulator.responses import SimResponse, json_response, not_found
from cwsync.simulator.state import SimulatorState, Tenant
from cwsync.simulator.views import (
    addition_view,
    agreement_view,
    catalog_view,
    compact,
    company_view,
    known_fields,
)


@dataclass(frozen=True)
class Resource:
    name: str  # the ConnectWise model name used in messages
    view: Callable[[Tenant, Any], dict[str, Any]]
    known: frozenset[str]
    permission: str


COMPANIES = Resource("Company", company_view, known_fields(Company), "company.inquire")
AGREEMENTS = Resource("Agreement", agreement_view, known_fields(Agreement), "agreements.inquire")
CATALOG = Resource("CatalogItem", catalog_view, known_fields(CatalogItem), "catalog.inquire")
ADDITIONS = Resource("Addition", addition_view, known_fields(Addition), "agreements.inquire")


def company_info(state: SimulatorState, company_id: str) -> SimResponse:
    tenant = state.tenant(company_id)
    if tenant is None:
        return not_found(f"Company {company_id!r} was not found.")
    return json_response(
        200,
        {
            "CompanyName": tenant.company_name,
            "Codebase": tenant.codebase,
            "VersionCode": tenant.version_code,
            "VersionNumber": f"v4.6.{tenant.build}",
            "CompanyID": tenant.company_id,
            # A string, not a boolean, in ConnectWise's answer.
            "IsCloud": "True" if tenant.is_cloud else "False",
        },
    )


def system_info(tenant: Tenant) -> SimResponse:
    return json_response(
        200,
        {
            "version": f"{tenant.version_code}.{tenant.build}",
            "isCloud": tenant.is_cloud,
            "serverTimeZone": tenant.server_time_zone,
            "licenseBits": [],
            "cloudRegion": "NA" if tenant.is_cloud else "OnPremise",
        },
    )


def list_records(
    state: SimulatorState,
    tenant: Tenant,
    request: CwRequest,
    resource: Resource,
    records: Iterable[Record],
) -> SimResponse:
    query = listing.parse_list_query(request.params, resource.known, tenant.settings)
    rows = listing.select((resource.view(tenant, record) for record in records), query)
    page, last_page = listing.page_of(rows, query)
    body = [compact(listing.project(row, query.fields)) for row in page]
    link = listing.link_header(
        request.url, request.pairs, query, last_page, tenant.settings, state.rng
    )
    return json_response(200, body, [("Link", link)] if link is not None else None)


def count_records(
    tenant: Tenant, request: CwRequest, resource: Resource, records: Iterable[Record]
) -> SimResponse:
    query = listing.parse_list_query(request.params, resource.known, tenant.settings)
    rows = listing.select((resource.view(tenant, record) for record in records), query)
    return json_response(200, {"count": len(rows)})


def get_record(
    tenant: Tenant, request: CwRequest, resource: Resource, record: Record | None, record_id: int
) -> SimResponse:
    if record is None:
        return not_found(f"{resource.name} with id {record_id} was not found.")
    fields = listing.parse_fields(request.params.get("fields", ""))
    return json_response(200, compact(listing.project(resource.view(tenant, record), fields)))

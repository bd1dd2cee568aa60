"""Map a ConnectWise request to its endpoint, after the checks every request passes.

Order, as ConnectWise's stack applies them: ``clientId`` header, the codebase in the URL
(an old one is gone after an upgrade: 404, C10), API-member keys, role permission, then
the record look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping

from cwsync.simulator import reads, writes
from cwsync.simulator.auth import Caller, authenticate, check_client_id, parse_basic, require
from cwsync.simulator.cwrequest import CwRequest
from cwsync.simulator.listing import ListQueryError
from cwsync.simulator.records import Record
from cwsync.simulator.responses import SimResponse, cw_error, html_page, not_found
from cwsync.simulator.state import SimulatorState

API_VERSION = "3.0"


def dispatch(state: SimulatorState, request: CwRequest) -> SimResponse:
    refused = check_client_id(request.headers)
    if refused is not None:
        return refused
    parts = request.segments
    if len(parts) == 3 and parts[0].lower() == "login" and parts[1].lower() == "companyinfo":
        if request.method != "GET":
            return _method_not_allowed(request)
        return reads.company_info(state, parts[2])
    if len(parts) < 4 or parts[1].lower() != "apis" or parts[2] != API_VERSION:
        return html_page(404, "File or directory not found")
    credential = parse_basic(request.headers.get("authorization"))
    tenant = state.tenant(credential.company) if credential is not None else None
    if tenant is not None and tenant.codebase.lower() != parts[0].lower() + "/":
        return html_page(404, "File or directory not found")
    caller = authenticate(state, request.headers)
    if isinstance(caller, SimResponse):
        return caller
    try:
        return _route(state, caller, request, [part.lower() for part in parts[3:]])
    except ListQueryError as exc:
        return exc.response


def _route(
    state: SimulatorState, caller: Caller, request: CwRequest, rest: list[str]
) -> SimResponse:
    tenant, method = caller.tenant, request.method
    if rest == ["system", "info"]:
        return reads.system_info(tenant) if method == "GET" else _method_not_allowed(request)
    top: dict[tuple[str, str], tuple[reads.Resource, Mapping[int, Record]]] = {
        ("company", "companies"): (reads.COMPANIES, tenant.companies),
        ("finance", "agreements"): (reads.AGREEMENTS, tenant.agreements),
        ("procurement", "catalog"): (reads.CATALOG, tenant.catalog),
    }
    if len(rest) < 2 or (rest[0], rest[1]) not in top:
        return not_found(f"No endpoint matches /{'/'.join(rest)}")
    resource, records = top[(rest[0], rest[1])]
    tail = rest[2:]
    if resource is reads.AGREEMENTS and len(tail) >= 2 and tail[1] == "additions":
        return _route_additions(state, caller, request, tail)
    if resource is reads.CATALOG and method == "POST" and not tail:
        return _post_catalog(caller)
    if method != "GET":
        return _method_not_allowed(request)
    denied = require(caller, resource.permission)
    if denied is not None:
        return denied
    if not tail:
        return reads.list_records(state, tenant, request, resource, records.values())
    if tail == ["count"]:
        return reads.count_records(tenant, request, resource, records.values())
    if len(tail) == 1 and tail[0].isdigit():
        record_id = int(tail[0])
        return reads.get_record(tenant, request, resource, records.get(record_id), record_id)
    return not_found(f"No endpoint matches /{'/'.join(rest)}")


_ADDITION_PERMISSIONS = {
    "GET": "agreements.inquire",
    "POST": "agreements.add",
    "PATCH": "agreements.edit",
    "DELETE": "agreements.delete",
}


def _route_additions(
    state: SimulatorState, caller: Caller, request: CwRequest, tail: list[str]
) -> SimResponse:
    """``tail`` is ``[agreementId, "additions", ...]``."""
    tenant, method = caller.tenant, request.method
    rest = tail[2:]
    if not tail[0].isdigit():
        return not_found(f"{tail[0]!r} is not an agreement id")
    if not rest:
        allowed = {"GET", "POST"}
    elif rest == ["count"]:
        allowed = {"GET"}
    else:
        allowed = {"GET", "PATCH", "DELETE"}
    if method not in allowed:
        return _method_not_allowed(request)
    denied = require(caller, _ADDITION_PERMISSIONS[method])
    if denied is not None:
        return denied
    agreement_id = int(tail[0])
    agreement = tenant.agreements.get(agreement_id)
    if agreement is None:
        return not_found(f"Agreement with id {agreement_id} was not found.")
    additions = tenant.additions_by_agreement.get(agreement_id, {})
    if not rest:
        if method == "POST":
            return writes.post_addition(state, caller, request, agreement)
        return reads.list_records(state, tenant, request, reads.ADDITIONS, additions.values())
    if rest == ["count"]:
        return reads.count_records(tenant, request, reads.ADDITIONS, additions.values())
    if len(rest) != 1 or not rest[0].isdigit():
        return not_found("No endpoint matches this additions path")
    addition_id = int(rest[0])
    addition = additions.get(addition_id)
    if method == "GET" or addition is None:
        return reads.get_record(tenant, request, reads.ADDITIONS, addition, addition_id)
    if method == "PATCH":
        return writes.patch_addition(state, caller, request, agreement, addition)
    return writes.delete_addition(state, caller, request, agreement, addition)


def _post_catalog(caller: Caller) -> SimResponse:
    """Like ConnectWise, the role is checked before the body: a member without Product
    Catalog Add gets 403; with it, the body is refused. cwsync never creates catalog items
    (the connection check only probes this permission with an empty body), so the simulator
    does not store them either."""
    denied = require(caller, "catalog.add")
    if denied is not None:
        return denied
    return cw_error(
        400,
        "InvalidObject",
        "catalog item object is invalid",
        errors=[
            {
                "code": "NullOrEmpty",
                "message": "identifier is required",
                "resource": "catalogItem",
                "field": "identifier",
            }
        ],
    )


def _method_not_allowed(request: CwRequest) -> SimResponse:
    return cw_error(405, "MethodNotAllowed", f"{request.method} is not supported on {request.path}")

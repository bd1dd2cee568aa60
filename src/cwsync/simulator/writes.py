"""Write endpoints for agreement additions, each recorded in the state's write log.

Writes to a cancelled or inactive agreement are accepted (what ConnectWise does is
unconfirmed) but the write log keeps the agreement's status, so a test can assert that
cwsync never wrote to one (C15).
"""

from __future__ import annotations

from typing import Any

from cwsync.simulator.additions import WriteRefused, apply_patch, build_addition, plan_patch
from cwsync.simulator.auth import Caller
from cwsync.simulator.cwrequest import BAD_JSON, NO_BODY, CwRequest
from cwsync.simulator.records import Addition, Agreement
from cwsync.simulator.requestlog import WriteRecord
from cwsync.simulator.responses import SimResponse, empty_response, invalid_object, json_response
from cwsync.simulator.state import SimulatorState
from cwsync.simulator.views import addition_view, compact


def _body_problem(request: CwRequest) -> SimResponse | None:
    if request.body is NO_BODY:
        return invalid_object("The request body is empty")
    if request.body is BAD_JSON:
        return invalid_object("The request body is not valid JSON")
    return None


def _log(
    state: SimulatorState,
    caller: Caller,
    request: CwRequest,
    agreement: Agreement,
    addition_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    changed: list[str],
) -> None:
    tenant = caller.tenant
    state.writes.append(
        WriteRecord(
            at=state.clock(),
            tenant=tenant.key,
            request_id=request.request_id,
            method=request.method,
            agreement_id=agreement.id,
            addition_id=addition_id,
            agreement_status=agreement.agreement_status,
            before=before,
            after=after,
            changed=changed,
        )
    )


def post_addition(
    state: SimulatorState, caller: Caller, request: CwRequest, agreement: Agreement
) -> SimResponse:
    problem = _body_problem(request)
    if problem is not None:
        return problem
    tenant = caller.tenant
    try:
        addition = build_addition(
            tenant,
            agreement.id,
            request.body,
            addition_id=tenant.next_id("additions"),
            now=state.clock(),
            by=caller.member.identifier,
        )
    except WriteRefused as exc:
        return exc.response
    view = compact(addition_view(tenant, addition))
    if not request.dry_run:
        tenant.put_addition(addition)
        _log(state, caller, request, agreement, addition.id, None, view, [])
    return json_response(201, view)


def patch_addition(
    state: SimulatorState,
    caller: Caller,
    request: CwRequest,
    agreement: Agreement,
    addition: Addition,
) -> SimResponse:
    problem = _body_problem(request)
    if problem is not None:
        return problem
    tenant = caller.tenant
    try:
        changes = plan_patch(tenant, request.body)
    except WriteRefused as exc:
        return exc.response
    if request.dry_run:
        return json_response(200, compact(addition_view(tenant, addition)))
    before = compact(addition_view(tenant, addition))
    changed = apply_patch(addition, changes, now=state.clock(), by=caller.member.identifier)
    after = compact(addition_view(tenant, addition))
    _log(state, caller, request, agreement, addition.id, before, after, changed)
    return json_response(200, after)


def delete_addition(
    state: SimulatorState,
    caller: Caller,
    request: CwRequest,
    agreement: Agreement,
    addition: Addition,
) -> SimResponse:
    if not request.dry_run:
        before = compact(addition_view(caller.tenant, addition))
        caller.tenant.delete_addition(addition.id)
        _log(state, caller, request, agreement, addition.id, before, None, [])
    return empty_response(204)

"""The ``/__sim`` admin API: state, reset, faults, logs and generic record editing.

No ConnectWise auth: it exists for tests, the demo and benchmarks on loopback. Records are
edited through one generic set of routes, ``/__sim/tenants/{t}/{kind}[/{id}]`` with
``kind`` one of companies, agreements, catalog, additions, members (id = public key).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from cwsync.simulator.faults import Fault
from cwsync.simulator.fields import FieldError
from cwsync.simulator.jsonio import JsonError, dumps_bytes, loads
from cwsync.simulator.records import Member, expand_permissions
from cwsync.simulator.seed import (
    SeedError,
    apply_seed,
    dump_state,
    load_records,
    product_ref,
    tenant_from_json,
    tenant_to_json,
)
from cwsync.simulator.state import SimulatorState, Tenant

RECORD_KINDS = ("companies", "agreements", "catalog", "additions", "members")
Endpoint = Callable[[Request], Awaitable[Response]]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reply(value: Any, status: int = 200) -> Response:
    return Response(dumps_bytes(value), status, media_type="application/json")


def _guarded(handler: Endpoint) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except AdminError as exc:
            return reply({"error": exc.message}, exc.status)
        except (FieldError, SeedError, JsonError, ValueError, TypeError, KeyError) as exc:
            return reply({"error": str(exc)}, 400)

    return endpoint


async def _body(request: Request, default: Any = None) -> Any:
    raw = await request.body()
    return loads(raw) if raw.strip() else default


def build_admin(state: SimulatorState) -> Router:
    def tenant_of(request: Request) -> Tenant:
        tenant = state.tenant(request.path_params["tenant"])
        if tenant is None:
            raise AdminError(404, f"no tenant {request.path_params['tenant']!r}")
        return tenant

    def kind_of(request: Request) -> str:
        kind = str(request.path_params["kind"])
        if kind not in RECORD_KINDS:
            raise AdminError(404, f"kind must be one of {', '.join(RECORD_KINDS)}")
        return kind

    def record_of(tenant: Tenant, kind: str, raw_id: str) -> Any:
        if kind == "members":
            record: Any = tenant.members.get(raw_id)
        else:
            record = getattr(tenant, kind).get(int(raw_id)) if raw_id.isdigit() else None
        if record is None:
            raise AdminError(404, f"no {kind} record {raw_id!r} in tenant {tenant.company_id!r}")
        return record

    async def get_state(request: Request) -> Response:
        return reply(dump_state(state, request.query_params.get("tenant")))

    async def reset(request: Request) -> Response:
        document = await _body(request) or state.seed_document or {"tenants": []}
        apply_seed(state, document)
        return reply({"tenants": sorted(state.tenants)})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method in ("PUT", "POST"):
            body = await _body(request, [])
            items = body.get("faults", [body]) if isinstance(body, dict) else body
            parsed = [Fault.from_json(item) for item in items]  # all valid before any applies
            if request.method == "PUT":
                state.faults.clear()
            for fault in parsed:
                state.faults.add(fault)
        return reply(state.faults.to_json())

    async def delete_fault(request: Request) -> Response:
        if not state.faults.remove(int(request.path_params["fault_id"])):
            raise AdminError(404, "no such fault")
        return reply(state.faults.to_json())

    async def requests_log(request: Request) -> Response:
        if request.method == "DELETE":
            state.requests.clear()
            return reply([])
        wanted = request.query_params
        rows = [
            record.to_json()
            for record in list(state.requests)
            if wanted.get("tenant") in (None, record.tenant)
            and wanted.get("method", record.method).upper() == record.method
            and wanted.get("path", "") in record.path
        ]
        return reply(rows)

    async def writes_log(request: Request) -> Response:
        if request.method == "DELETE":
            state.writes.clear()
        return reply([write.to_json() for write in state.writes])

    async def tenants(request: Request) -> Response:
        tenant = tenant_from_json(await _body(request, {}), state.clock())
        if state.tenant(tenant.company_id) is not None:
            raise AdminError(409, f"tenant {tenant.company_id!r} exists")
        state.add_tenant(tenant)
        return reply(tenant_to_json(tenant), 201)

    async def one_tenant(request: Request) -> Response:
        tenant = tenant_of(request)
        if request.method == "DELETE":
            del state.tenants[tenant.key]
            return Response(status_code=204)
        if request.method == "PATCH":
            body = await _body(request, {})
            tenant.settings.update(body.pop("settings", {}))
            for key, value in body.items():
                if key not in ("company_name", "codebase", "build", "is_cloud", "server_time_zone"):
                    raise AdminError(400, f"tenant field {key!r} cannot be changed")
                if key == "codebase" and not (isinstance(value, str) and value.endswith("/")):
                    raise AdminError(400, "codebase looks like 'v2025_1/' (with the slash)")
                setattr(tenant, key, value)
        return reply(tenant_to_json(tenant))

    async def bulk(request: Request) -> Response:
        tenant = tenant_of(request)
        body = await _body(request, {})
        for item in body.get("members", []):
            tenant.put_member(Member.from_json(item))
        return reply(load_records(tenant, body, state.clock()), 201)

    async def create_record(request: Request) -> Response:
        tenant, kind = tenant_of(request), kind_of(request)
        body = await _body(request, {})
        if kind == "members":
            return reply(tenant.put_member(Member.from_json(body)).to_json(), 201)
        new_id = load_records(tenant, {kind: [body]}, state.clock())[kind][0]
        return reply(getattr(tenant, kind)[new_id].to_json(), 201)

    async def one_record(request: Request) -> Response:
        tenant, kind = tenant_of(request), kind_of(request)
        record = record_of(tenant, kind, request.path_params["record_id"])
        if request.method == "DELETE":
            _delete(tenant, kind, record)
            return Response(status_code=204)
        if request.method == "PATCH":
            body = dict(await _body(request, {}))
            if kind == "members" and "permissions" in body:
                record.permissions = expand_permissions(body.pop("permissions"))
            if kind == "additions" and "product" in body:
                body["product"] = product_ref(tenant, body["product"])
            record.update_from_json(body, seed_now=state.clock())
            if kind == "additions":
                tenant.put_addition(record)  # re-index if the agreement changed
        return reply(record.to_json())

    routes = [
        Route("/__sim/state", _guarded(get_state), methods=["GET"]),
        Route("/__sim/reset", _guarded(reset), methods=["POST"]),
        Route("/__sim/faults", _guarded(faults), methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/__sim/faults/{fault_id:int}", _guarded(delete_fault), methods=["DELETE"]),
        Route("/__sim/requests", _guarded(requests_log), methods=["GET", "DELETE"]),
        Route("/__sim/writes", _guarded(writes_log), methods=["GET", "DELETE"]),
        Route("/__sim/tenants", _guarded(tenants), methods=["POST"]),
        Route("/__sim/tenants/{tenant}", _guarded(one_tenant), methods=["GET", "PATCH", "DELETE"]),
        Route("/__sim/tenants/{tenant}/bulk", _guarded(bulk), methods=["POST"]),
        Route("/__sim/tenants/{tenant}/{kind}", _guarded(create_record), methods=["POST"]),
        Route(
            "/__sim/tenants/{tenant}/{kind}/{record_id}",
            _guarded(one_record),
            methods=["GET", "PATCH", "DELETE"],
        ),
    ]
    return Router(routes=routes)


def _delete(tenant: Tenant, kind: str, record: Any) -> None:
    if kind == "members":
        tenant.members.pop(record.public_key, None)
    elif kind == "agreements":
        tenant.delete_agreement(record.id)
    elif kind == "additions":
        tenant.delete_addition(record.id)
    else:
        getattr(tenant, kind).pop(record.id, None)

"""``POST …/connectwise/check``: reachability, credentials, and each permission of the role.

How each permission is probed without changing ConnectWise data:

- *Inquire* permissions: ``GET …/count`` on the module's collection — a read.
- *Agreements: Add*: ``POST /finance/agreements/0/additions`` with ``{}``; *Agreements:
  Edit*: ``PATCH /finance/agreements/0/additions/0`` with ``[]``. ConnectWise ids start at
  1, so there is no agreement 0 to write to, and the bodies could not be applied anyway
  (an addition needs a product; an empty patch changes nothing). A member without the
  permission gets 403; with it, the call goes on to the record look-up and gets 404.
- *Product Catalog: Add*: ``POST /procurement/catalog`` with ``{}``, which ConnectWise
  refuses with 400 (identifier, description and class are required) — or 403.

Reading of the answers: 403 → ``missing``; 400/404/409/422 → ``ok`` (the role let the call
through to validation or the record look-up); anything else (405 when a server does not
offer the call, 5xx, no answer, or a 2xx that should not happen) → ``unknown`` with a note.
That ConnectWise checks the role before the record or the body is what the simulator does
and how ConnectWise's 403 ``Security`` answers read; it is not documented, so a 404 could
in principle hide a missing permission — the message says what the answer was.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx

from cwsync.connections.schemas import PermissionCheck
from cwsync.connectwise import ConnectWiseAuth, Credentials, TenantLimits


@dataclass(frozen=True)
class Probe:
    permission: str
    method: str
    path: str
    body: object | None
    fix: str


def _fix(area: str, module: str, level: str) -> str:
    return (
        "In ConnectWise open System > Security Roles, pick the API member's role, and under "
        f"{area} set {module} {level} Level to All"
    )


PROBES: tuple[Probe, ...] = (
    Probe(
        "Company Maintenance: Inquire",
        "GET",
        "/company/companies/count",
        None,
        _fix("Companies", "Company Maintenance", "Inquire"),
    ),
    Probe(
        "Agreements: Inquire",
        "GET",
        "/finance/agreements/count",
        None,
        _fix("Finance", "Agreements", "Inquire"),
    ),
    Probe(
        "Agreements: Add",
        "POST",
        "/finance/agreements/0/additions",
        {},
        _fix("Finance", "Agreements", "Add"),
    ),
    Probe(
        "Agreements: Edit",
        "PATCH",
        "/finance/agreements/0/additions/0",
        [],
        _fix("Finance", "Agreements", "Edit"),
    ),
    Probe(
        "Product Catalog: Inquire",
        "GET",
        "/procurement/catalog/count",
        None,
        _fix("Procurement", "Product Catalog", "Inquire"),
    ),
    Probe(
        "Product Catalog: Add",
        "POST",
        "/procurement/catalog",
        {},
        _fix("Procurement", "Product Catalog", "Add"),
    ),
)

_REFUSED_FOR_CONTENT = frozenset({400, 404, 409, 422})


class PermissionProber:
    """Sends the probes above, once each, paced by the tenant's limits."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        api_base_url: str,
        *,
        limits: TenantLimits,
        timeout: float,
    ) -> None:
        self._http = http
        self._auth = ConnectWiseAuth(credentials)
        self._base = api_base_url.rstrip("/")
        self._limits = limits
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"PermissionProber(base={self._base!r})"

    async def check_all(self) -> list[PermissionCheck]:
        return list(await asyncio.gather(*(self.check(probe) for probe in PROBES)))

    async def check(self, probe: Probe) -> PermissionCheck:
        call = f"{probe.method} {probe.path}"
        try:
            status = await self._send(probe)
        except (httpx.HTTPError, TimeoutError) as exc:
            return PermissionCheck(
                permission=probe.permission,
                status="unknown",
                message=f"{call} got no answer ({type(exc).__name__}); try the check again",
                fix=None,
            )
        return read_answer(probe, status)

    async def _send(self, probe: Probe) -> int:
        content = None if probe.body is None else json.dumps(probe.body).encode()
        headers = {"Content-Type": "application/json"} if content is not None else None
        async with self._limits.slot(), asyncio.timeout(self._timeout):
            response = await self._http.request(
                probe.method,
                self._base + probe.path,
                content=content,
                headers=headers,
                auth=self._auth,
                follow_redirects=False,
                timeout=self._timeout,
            )
        return response.status_code


def read_answer(probe: Probe, status: int) -> PermissionCheck:
    """What one probe's HTTP status says about the permission (see the module docstring)."""
    call = f"{probe.method} {probe.path}"
    if status == 403:
        return PermissionCheck(
            permission=probe.permission,
            status="missing",
            message=f"ConnectWise refused {call} with 403 Security: the role lacks it",
            fix=probe.fix,
        )
    if 200 <= status < 300 and probe.method == "GET":
        return PermissionCheck(
            permission=probe.permission, status="ok", message=f"{call} answered", fix=None
        )
    if status in _REFUSED_FOR_CONTENT:
        refused = "found no record 0" if status == 404 else "was refused for its empty body"
        return PermissionCheck(
            permission=probe.permission,
            status="ok",
            message=(
                f"{call} passed the security check and {refused} ({status}), as intended; "
                "nothing was written"
            ),
            fix=None,
        )
    if 200 <= status < 300:
        note = "a probe that should have been refused was accepted; tell the cwsync operator"
    elif status == 401:
        note = "the key pair was refused"
    elif status == 405:
        note = "this server does not offer the call, so the permission cannot be probed"
    else:
        note = "the answer does not say whether the role allows it"
    return PermissionCheck(
        permission=probe.permission,
        status="unknown",
        message=f"{call} answered {status}: {note}",
        fix=None,
    )

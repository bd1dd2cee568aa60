"""The live check of a stored connection, step by step, each step's failure explained.

Reachability (companyinfo) → credentials (``/system/info``) → permissions (probes, see
``diagnostics``). A failed step skips the ones after it. The check also refreshes the
stored connection: a refused key pair marks it ``failing``; a fully reachable connection
with accepted keys is ``ok`` again, re-verified, with the codebase companyinfo named now.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cwsync.config import Settings
from cwsync.connections.access import client_for
from cwsync.connections.diagnostics import PROBES
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connections.schemas import CheckRead, PermissionCheck, StepCheck
from cwsync.connections.upstream import CREDENTIALS_REJECTED
from cwsync.connectwise import (
    AuthenticationError,
    CompanyInfo,
    ConnectWiseError,
    NotFoundError,
    PermissionDeniedError,
)
from cwsync.models import Connection


@dataclass
class CheckOutcome:
    report: CheckRead
    info: CompanyInfo | None = None
    # What to store: None leaves the connection's status as it is.
    status: str | None = None
    last_error: str | None = None


def _skipped(reason: str) -> list[PermissionCheck]:
    return [
        PermissionCheck(permission=p.permission, status="unknown", message=reason, fix=None)
        for p in PROBES
    ]


async def run_check(
    connection: Connection, factory: ConnectWiseFactory, settings: Settings
) -> CheckOutcome:
    """Talks to ConnectWise only; the caller stores ``status``/``info`` afterwards."""
    timeout = settings.cw_lookup_timeout_seconds
    client = client_for(factory, connection)
    site = connection.site

    try:
        async with asyncio.timeout(timeout):
            info = await client.resolve(force=True)
    except (ConnectWiseError, TimeoutError) as exc:
        if isinstance(exc, NotFoundError) or getattr(exc, "code", None) == "InvalidResponse":
            message = f"{site} answered but does not know company id {connection.company_id!r}"
        elif isinstance(exc, TimeoutError):
            message = f"{site} did not answer within {timeout:g} seconds"
        else:
            message = f"{site} could not be reached: {exc.message}"
        return _outcome(connection, StepCheck(status="failed", message=message), None, None)
    reachable = StepCheck(
        status="ok", message=f"{site} answered; the API is at {info.api_base_url}"
    )

    try:
        async with asyncio.timeout(timeout):
            system = await client.system_info()
    except AuthenticationError:
        credentials = StepCheck(status="failed", message=CREDENTIALS_REJECTED)
        outcome = _outcome(connection, reachable, credentials, info)
        outcome.status, outcome.last_error = "failing", CREDENTIALS_REJECTED
        return outcome
    except PermissionDeniedError as exc:
        credentials = StepCheck(status="failed", message=exc.message)
        return _outcome(connection, reachable, credentials, info)
    except (ConnectWiseError, TimeoutError) as exc:
        text = exc.message if isinstance(exc, ConnectWiseError) else f"no answer in {timeout:g}s"
        credentials = StepCheck(status="failed", message=f"/system/info failed: {text}")
        return _outcome(connection, reachable, credentials, info)
    version = f" (ConnectWise {system.version})" if system.version else ""
    credentials = StepCheck(status="ok", message=f"the key pair was accepted{version}")

    prober = factory.prober_for(connection, info.api_base_url)
    permissions = await prober.check_all()
    outcome = _outcome(connection, reachable, credentials, info, permissions)
    outcome.status, outcome.last_error = "ok", None
    return outcome


def _outcome(
    connection: Connection,
    reachability: StepCheck,
    credentials: StepCheck | None,
    info: CompanyInfo | None,
    permissions: list[PermissionCheck] | None = None,
) -> CheckOutcome:
    if credentials is None:
        credentials = StepCheck(status="skipped", message="not checked: ConnectWise unreachable")
    if permissions is None:
        permissions = _skipped("not checked: the earlier steps failed")
    # An "unknown" permission is shown but does not fail the check: some servers offer no
    # safe probe for it (see diagnostics).
    ok = (
        reachability.status == "ok"
        and credentials.status == "ok"
        and all(p.status != "missing" for p in permissions)
    )
    report = CheckRead(
        ok=ok,
        site=connection.site,
        api_base_url=info.api_base_url if info else None,
        reachability=reachability,
        credentials=credentials,
        permissions=permissions,
    )
    return CheckOutcome(report=report, info=info)

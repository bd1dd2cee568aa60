"""ConnectWise's failures, told to a partner as answers they can act on.

| ConnectWise                          | our status | code                              |
|--------------------------------------|------------|-----------------------------------|
| 401 (keys, company id, member)       | 422        | connectwise_credentials_rejected  |
| 403 (security role)                  | 422        | connectwise_permission_denied     |
| 404 on companyinfo / unreadable one  | 422        | connectwise_company_not_found     |
| 404 elsewhere                        | 424        | connectwise_not_found             |
| 400/409 and other 4xx                | 424        | connectwise_rejected              |
| 429 after retries                    | 424        | connectwise_throttled             |
| a 3xx (never followed)               | 424        | connectwise_redirected            |
| no answer, 5xx                       | 424        | connectwise_unreachable           |
| timeout (ours or httpx's)            | 504        | connectwise_timeout               |

Messages come from the client's errors, which never carry request headers or keys.
"""

from __future__ import annotations

import httpx

from cwsync.connectwise import (
    AuthenticationError,
    ConnectWiseError,
    NotFoundError,
    PermissionDeniedError,
    RedirectRefusedError,
    ThrottledError,
    UnavailableError,
)
from cwsync.errors import CwsyncError, InvalidInput, UpstreamError, UpstreamTimeout

CREDENTIALS_REJECTED = (
    "ConnectWise rejected the key pair — check the company id and that the API member is active"
)


def credentials_rejected(exc: ConnectWiseError | None = None) -> CwsyncError:
    return InvalidInput(
        CREDENTIALS_REJECTED,
        code="connectwise_credentials_rejected",
        details=_details(exc) if exc is not None else None,
    )


def permission_denied(exc: PermissionDeniedError) -> CwsyncError:
    return InvalidInput(
        f"ConnectWise refused {exc.method} {exc.path}: the API member's security role needs "
        f"{exc.permission} (System > Security Roles in ConnectWise)",
        code="connectwise_permission_denied",
        details={**_details(exc), "permission": exc.permission},
    )


def company_not_found(site: str, company_id: str, exc: ConnectWiseError) -> CwsyncError:
    return InvalidInput(
        f"{site} does not know the company id {company_id!r}; check the company id you log "
        "in to ConnectWise with, and that the site is your ConnectWise server",
        code="connectwise_company_not_found",
        details=_details(exc),
    )


def timed_out(seconds: float) -> CwsyncError:
    return UpstreamTimeout(
        f"ConnectWise did not answer within {seconds:g} seconds; try again, or check "
        "ConnectWise's status if it keeps happening",
        code="connectwise_timeout",
    )


def translate(exc: ConnectWiseError, *, timeout: float) -> CwsyncError:
    """The partner-facing error for any client error (see the table above)."""
    if isinstance(exc, AuthenticationError):
        return credentials_rejected(exc)
    if isinstance(exc, PermissionDeniedError):
        return permission_denied(exc)
    if isinstance(exc, UnavailableError) and isinstance(exc.__cause__, httpx.TimeoutException):
        return timed_out(timeout)
    code, prefix = "connectwise_rejected", "ConnectWise refused the request"
    if isinstance(exc, NotFoundError):
        code, prefix = "connectwise_not_found", "ConnectWise does not have that record"
    elif isinstance(exc, ThrottledError):
        code, prefix = "connectwise_throttled", "ConnectWise is throttling requests; try later"
    elif isinstance(exc, RedirectRefusedError):
        code, prefix = "connectwise_redirected", "ConnectWise answered with a redirect"
    elif isinstance(exc, UnavailableError) or exc.code == "InvalidResponse":
        code, prefix = "connectwise_unreachable", "ConnectWise could not be reached"
    return UpstreamError(f"{prefix}: {exc.message}", code=code, details=_details(exc))


def _details(exc: ConnectWiseError) -> dict[str, object]:
    return {
        "connectwise_status": exc.status,
        "connectwise_code": exc.code,
        "connectwise_request_id": exc.request_id,
    }

"""The ConnectWise client's exceptions.

Exception tree (catch the narrowest one you can act on)::

    ConnectWiseError                  any failure talking to ConnectWise (also: a 200 we
    │                                 could not read, code "InvalidResponse")
    ├── AuthenticationError           401: wrong company id / key pair, disabled API member
    ├── PermissionDeniedError         403: the API member's security role lacks a permission;
    │                                 `.permission` names what to grant
    ├── NotFoundError                 404: the record (or the codebase) is gone
    ├── InvalidRequestError           400, 409 and other 4xx; `.errors` keeps ConnectWise's
    │                                 `errors[]` list
    ├── ThrottledError                429 still answered after the retries; `.retry_after`
    ├── UnavailableError              timeouts, connection errors, 5xx; `.transient` says
    │                                 whether trying later may help, `.outcome_unknown` that a
    │                                 write may or may not have been applied
    └── RedirectRefusedError          any 3xx: never followed, never re-sent; `.location`

Every error carries `status` (None when no response arrived), ConnectWise's `code` and
`message`, the response's `x-cw-request-id`, and the `method` and `path` of the call.
Messages are built from the response body and our own text only, never from the request's
headers, so no Authorization value or private key can end up in them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

# Error bodies are shown to partners; keep a gateway's HTML page from flooding the message.
_MAX_MESSAGE = 300


class ConnectWiseError(Exception):
    """Base of every ConnectWise client error (see the module docstring for the tree)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r}, "
            f"method={self.method!r}, path={self.path!r})"
        )


class AuthenticationError(ConnectWiseError):
    """401: ConnectWise did not accept the company id, key pair or API member."""


class PermissionDeniedError(ConnectWiseError):
    """403: the API member's security role lacks `permission`."""

    def __init__(self, message: str, *, permission: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permission = permission


class NotFoundError(ConnectWiseError):
    """404: the record is gone (or the codebase moved and re-resolving did not help)."""


class InvalidRequestError(ConnectWiseError):
    """400, 409 or another 4xx; `errors` is ConnectWise's list of field errors."""

    def __init__(self, message: str, *, errors: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors or []


class ThrottledError(ConnectWiseError):
    """429 after the retries ran out; `retry_after` is the server's last advice in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class UnavailableError(ConnectWiseError):
    """No usable answer: timeout, connection error or 5xx.

    `transient` is True when trying again later may succeed (timeouts, 502/503/504, a 500
    that says "timeout"); False for a 500 that reports a data error. `outcome_unknown` is True
    when a write may have reached ConnectWise before the failure: look before writing again.
    """

    def __init__(
        self, message: str, *, transient: bool, outcome_unknown: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.transient = transient
        self.outcome_unknown = outcome_unknown


class RedirectRefusedError(ConnectWiseError):
    """3xx: not followed (credentials stay put) and not re-sent (a POST may have landed)."""

    def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


# (method, path prefix) → the security-role permission ConnectWise checks, most specific first.
_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("GET", "/company/", "Company Maintenance: Inquire"),
    ("GET", "/finance/agreements", "Agreements: Inquire"),
    ("POST", "/finance/agreements", "Agreements: Add"),
    ("PATCH", "/finance/agreements", "Agreements: Edit"),
    ("GET", "/procurement/catalog", "Product Catalog: Inquire"),
    ("POST", "/procurement/catalog", "Product Catalog: Add"),
    ("PATCH", "/procurement/catalog", "Product Catalog: Edit"),
)


def permission_for(method: str, path: str) -> str:
    """The permission a call needs: ("GET", "/finance/agreements/7") → "Agreements: Inquire"."""
    for perm_method, prefix, permission in _PERMISSIONS:
        if method.upper() == perm_method and path.startswith(prefix):
            return permission
    return "the permission for this call"


def _body_fields(response: httpx.Response) -> tuple[str | None, str, list[Any]]:
    """(code, message, errors) from any body: ConnectWise JSON, `{"error", ...}`, HTML, text."""
    content = response.content
    try:
        data = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        code = data.get("code") or data.get("error")
        message = data.get("message") or data.get("error") or ""
        errors = data.get("errors")
        return (
            str(code) if code is not None else None,
            str(message)[:_MAX_MESSAGE],
            errors if isinstance(errors, list) else [],
        )
    text = content.decode("utf-8", errors="replace")
    text = re.sub(r"<[^>]*>", " ", text)  # an HTML gateway page: keep its words only
    text = " ".join(text.split())
    return None, text[:_MAX_MESSAGE], []


def body_text(response: httpx.Response) -> str:
    """The response body as text, never raising (used to spot timeout-flavoured 500s)."""
    return response.content.decode("utf-8", errors="replace")


def error_for_response(response: httpx.Response, method: str, path: str) -> ConnectWiseError:
    """The typed error for a non-2xx response."""
    status = response.status_code
    code, detail, errors = _body_fields(response)
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": response.headers.get("x-cw-request-id"),
        "method": method,
        "path": path,
    }
    call = f"{method} {path}"
    said = f": {detail}" if detail else ""
    if 300 <= status < 400:
        location = response.headers.get("location")
        return RedirectRefusedError(
            f"{call} answered {status} redirect to {location!r}; not followed"
            + (" and not re-sent (the record may already exist)" if method == "POST" else ""),
            location=location,
            **common,
        )
    if status == 401:
        return AuthenticationError(
            f"{call} was refused (401{', ' + code if code else ''}{said}). Check the company "
            "id, the public/private key pair and that the API member is active.",
            **common,
        )
    if status == 403:
        permission = permission_for(method, path)
        return PermissionDeniedError(
            f"{call} needs {permission} in the API member's security role (403{said})",
            permission=permission,
            **common,
        )
    if status == 404:
        return NotFoundError(f"{call} not found (404{said})", **common)
    if status == 429:
        return ThrottledError(f"{call} throttled (429{said})", **common)
    if 400 <= status < 500:
        return InvalidRequestError(f"{call} rejected ({status}{said})", errors=errors, **common)
    transient = status in (502, 503, 504) or is_timeout_500(response)
    # A gateway timeout after a write says nothing about whether the write was applied.
    unknown = transient and method not in ("GET", "HEAD")
    return UnavailableError(
        f"{call} failed ({status}{said})"
        + ("; the write may or may not have been applied" if unknown else ""),
        transient=transient,
        outcome_unknown=unknown,
        **common,
    )


def is_timeout_500(response: httpx.Response) -> bool:
    """ConnectWise's "A timeout has occured" 500 is worth retrying; its data-error 500s are not."""
    if response.status_code != 500:
        return False
    text = body_text(response).lower()
    return "timeout has occured" in text or "timeout has occurred" in text


def error_for_transport(
    exc: httpx.TransportError, method: str, path: str, *, reached_server: bool
) -> UnavailableError:
    """A timeout or connection failure; `reached_server` False only when provably not sent."""
    kind = type(exc).__name__
    detail = str(exc)[:_MAX_MESSAGE]  # httpx's text names the failure, never the headers
    unknown = reached_server and method not in ("GET", "HEAD")
    # A request httpx could not even form will not work better on the next attempt.
    transient = not isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)
    return UnavailableError(
        f"{method} {path} got no answer ({kind}{': ' + detail if detail else ''})"
        + ("; the write may or may not have been applied" if unknown else ""),
        transient=transient,
        outcome_unknown=unknown,
        method=method,
        path=path,
    )

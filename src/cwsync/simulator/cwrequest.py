"""One incoming ConnectWise API request, read once from the ASGI scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from cwsync.simulator.auth import parse_basic
from cwsync.simulator.jsonio import JsonError, loads

NO_BODY = object()  # the request had no body
BAD_JSON = object()  # the request had a body that is not JSON


@dataclass
class CwRequest:
    request_id: str
    method: str
    path: str
    url: str  # scheme://host/path, the base for Link URLs
    pairs: list[tuple[str, str]]
    headers: dict[str, str]
    raw_body: bytes
    body: Any = NO_BODY
    dry_run: bool = False  # a "noop" fault: validate and answer, change nothing
    # Query parameters by lower-cased name (last value wins): ConnectWise's model binding
    # ignores the case of parameter names (``pagesize`` works like ``pageSize``).
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_scope(cls, scope: dict[str, Any], raw_body: bytes, request_id: str) -> CwRequest:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(query, keep_blank_values=True)
        host = headers.get("host")
        if host is None:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
        request = cls(
            request_id, scope["method"].upper(), scope["path"], url, pairs, headers, raw_body
        )
        request.params = {key.lower(): value for key, value in pairs}
        if raw_body.strip():
            try:
                request.body = loads(raw_body)
            except JsonError:
                request.body = BAD_JSON
        return request

    @property
    def segments(self) -> list[str]:
        return [part for part in self.path.split("/") if part]

    def tenant_hint(self) -> str | None:
        """Which tenant this request is for, before authentication (faults, the log)."""
        parts = self.segments
        if len(parts) == 3 and parts[0].lower() == "login" and parts[1].lower() == "companyinfo":
            return parts[2].lower()
        credential = parse_basic(self.headers.get("authorization"))
        return credential.company.lower() if credential is not None else None

    def logged_body(self) -> Any:
        if self.body is NO_BODY:
            return None
        if self.body is BAD_JSON:
            return self.raw_body.decode("utf-8", errors="replace")
        return self.body

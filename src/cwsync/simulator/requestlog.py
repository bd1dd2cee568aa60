"""What clients sent and what the simulator changed, so tests can assert on both.

Authorization values never enter the log: only whether the header was there and the
``company+public`` half of a Basic credential (never the private key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cwsync.simulator.jsonio import loads


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    at: datetime
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    has_auth: bool
    auth_user: str | None  # "company+publickey" from a Basic credential
    tenant: str | None
    body: Any  # parsed JSON (Decimals kept), raw text when not JSON, None when empty
    status: int | None = None  # None when the connection was dropped without an answer
    duration_ms: float = 0.0
    fault: str | None = None  # the fault kind that shaped this answer, if any
    # The answer's bytes as sent: one compact object per request instead of a dict graph,
    # which keeps a 60k-request benchmark's log small and cheap for the garbage collector.
    response_bytes: bytes | None = None
    response_is_json: bool = False

    @property
    def response_body(self) -> Any:
        """The JSON value answered (Decimals exact), the text of a non-JSON answer, or None."""
        if self.response_bytes is None:
            return None
        if self.response_is_json:
            return loads(self.response_bytes)
        return self.response_bytes.decode("utf-8", errors="replace")

    def query_value(self, name: str) -> str | None:
        """The last value of one query parameter (what a server would use)."""
        value = None
        for key, item in self.query:
            if key == name:
                value = item
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": [[key, value] for key, value in self.query],
            "headers": dict(self.headers),
            "has_auth": self.has_auth,
            "auth_user": self.auth_user,
            "tenant": self.tenant,
            "body": self.body,
            "status": self.status,
            "response_body": self.response_body,
            "duration_ms": Decimal(f"{self.duration_ms:.3f}"),
            "fault": self.fault,
        }


@dataclass(slots=True)
class WriteRecord:
    """One change ConnectWise would have kept (POST/PATCH/DELETE of an addition)."""

    at: datetime
    tenant: str
    request_id: str
    method: str
    agreement_id: int
    addition_id: int
    agreement_status: str | None  # at the time of the write; non-Active is worth a look
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "tenant": self.tenant,
            "request_id": self.request_id,
            "method": self.method,
            "agreement_id": self.agreement_id,
            "addition_id": self.addition_id,
            "agreement_status": self.agreement_status,
            "before": self.before,
            "after": self.after,
            "changed": list(self.changed),
        }

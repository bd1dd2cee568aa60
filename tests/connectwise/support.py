"""Shared pieces of the client's respx tests: a fake tenant, an injected sleep and clock."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from cwsync.connectwise import Credentials

SITE = "na.myconnectwise.net"
COMPANY = "acme"
PUBLIC = "pubkey1234"
PRIVATE = "s3cr3t-Private-Key-9876"
CLIENT_ID = "3f1e2d4c-0000-4a5b-9c8d-1234567890ab"
COMPANYINFO_URL = f"https://{SITE}/login/companyinfo/{COMPANY}"
BASE = "https://api-na.myconnectwise.net/v2025_1/apis/3.0"
NOW = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)


def credentials(**changes: Any) -> Credentials:
    values: dict[str, Any] = {
        "site": SITE,
        "company_id": COMPANY,
        "public_key": PUBLIC,
        "private_key": SecretStr(PRIVATE),
        "client_id": CLIENT_ID,
    }
    values.update(changes)
    return Credentials(**values)


def companyinfo(codebase: str = "v2025_1/", is_cloud: str = "True") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "CompanyName": "Acme MSP",
            "Codebase": codebase,
            "VersionCode": "v2025.1",
            "VersionNumber": "v4.6.12345",
            "CompanyID": COMPANY,
            "IsCloud": is_cloud,
        },
    )


def raw_json(body: str, status: int = 200, **headers: str) -> httpx.Response:
    """A response with exactly these bytes, so 5.2456 is never a float on our side either."""
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "application/json", **headers}
    )


def error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = json.dumps({"code": code, "message": message, "errors": None})
    return raw_json(body, status, **headers)


class FakeSleep:
    """Records the waits the client asks for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.waits)


def fixed_clock() -> datetime:
    return NOW


class FakeCollection:
    """A ConnectWise list endpoint as a respx side effect, with just enough of the rules.

    Understands the condition shapes our client sends: every `field = value` must hold and,
    when there are `contains` terms, at least one must (case-insensitive, `%` and `_` acting
    as LIKE wildcards). Like a server that does not know `\\` escapes, it answers 400 to a
    quoted string holding a backslash. Pages are 1-based (page 0 repeats page 1), pageSize
    defaults to 25 and above `max_page_size` is a 400 OutOfRange. `links` chooses the Link
    header: "ordered", "shuffled", or "none".
    """

    def __init__(
        self,
        rows: list[dict[str, Any]],
        *,
        max_page_size: int = 1000,
        links: str = "ordered",
        link_base: str = "https://api-na.myconnectwise.net/v2025_1/apis/3.0/items",
        shuffle_seed: int = 7,
    ) -> None:
        self.rows = rows
        self.max_page_size = max_page_size
        self.links = links
        self.link_base = link_base
        self.random = random.Random(shuffle_seed)
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        size = int(params.get("pageSize", 25))
        if size > self.max_page_size:
            return error(400, "OutOfRange", f"pageSize must be between 1 and {self.max_page_size}")
        page = max(1, int(params.get("page", 1)))
        try:
            rows = [row for row in self.rows if _matches(row, params.get("conditions"))]
        except ValueError as exc:
            return error(400, "InvalidObject", str(exc))
        last = max(1, -(-len(rows) // size))
        headers = {"Link": self._link(page, last, size)} if self.links != "none" else {}
        return httpx.Response(200, json=rows[(page - 1) * size : page * size], headers=headers)

    def _link(self, page: int, last: int, size: int) -> str:
        if page >= last:
            return ""  # ConnectWise's last page: an empty Link
        rels = {"first": 1, "next": page + 1, "last": last}
        if page > 1:
            rels["prev"] = page - 1
        parts = [f'<{self.link_base}?pageSize={size}&page={n}>; rel="{r}"' for r, n in rels.items()]
        if self.links == "shuffled":
            self.random.shuffle(parts)
        return ", ".join(parts)


_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_EQUALS = re.compile(r"(\w+(?:/\w+)*) = (True|False|-?\d+|" + _QUOTED + ")")
_CONTAINS = re.compile(r"(\w+) contains " + _QUOTED)


def _matches(row: dict[str, Any], conditions: str | None) -> bool:
    if not conditions:
        return True
    for field, value, _ in _EQUALS.findall(conditions):
        actual: Any = row
        for part in field.split("/"):
            actual = actual.get(part) if isinstance(actual, dict) else None
        expected: Any = {"True": True, "False": False}.get(value, value)
        if isinstance(actual, int) and not isinstance(actual, bool):
            expected = int(value)
        if field == "deletedFlag" and actual is None:
            actual = False
        if actual != expected:
            return False
    terms = _CONTAINS.findall(conditions)
    if not terms:
        return True
    for field, text in terms:
        if "\\" in text:
            raise ValueError(f"cannot parse condition near {text!r}")
        # SQL LIKE: % is any run, _ any one character.
        pattern = "".join({"%": ".*", "_": "."}.get(ch, re.escape(ch)) for ch in text)
        if re.search(pattern, str(row.get(field) or ""), re.IGNORECASE):
            return True
    return False

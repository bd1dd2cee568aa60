"""ConnectWise's request checks: ``clientId`` header, Basic API-member keys, role permissions."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from cwsync.simulator.records import Member
from cwsync.simulator.responses import SimResponse, cw_error, security_denied, text_response
from cwsync.simulator.state import SimulatorState, Tenant

# ConnectWise's answer without clientId is an auth failure whose body is not JSON (C7).
MISSING_CLIENT_ID = "401 - Unauthorized: a clientId header is required on every request."


@dataclass(frozen=True)
class BasicCredential:
    company: str
    public_key: str
    private_key: str

    @property
    def user(self) -> str:
        """The loggable half: ``company+public`` (never the private key)."""
        return f"{self.company}+{self.public_key}"


@dataclass(frozen=True)
class Caller:
    tenant: Tenant
    member: Member


def parse_basic(header: str | None) -> BasicCredential | None:
    """``Basic base64(company+public:private)`` → its parts; anything else → None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, private_key = decoded.partition(":")
    company, plus, public_key = user.partition("+")
    if not sep or not plus:
        return None
    return BasicCredential(company, public_key, private_key)


def check_client_id(headers: Mapping[str, str]) -> SimResponse | None:
    if headers.get("clientid", "").strip():
        return None
    return text_response(401, MISSING_CLIENT_ID)


def authenticate(state: SimulatorState, headers: Mapping[str, str]) -> Caller | SimResponse:
    credential = parse_basic(headers.get("authorization"))
    if credential is None:
        return cw_error(401, "Unauthorized", "Authorization header is missing or malformed.")
    tenant = state.tenant(credential.company)
    member = tenant.members.get(credential.public_key) if tenant is not None else None
    if (
        tenant is None
        or member is None
        or not hmac.compare_digest(member.private_key.encode(), credential.private_key.encode())
    ):
        return cw_error(
            401,
            "Unauthorized",
            "Incorrect public/private key pair. Please check your credentials and company id.",
        )
    if not member.active:
        return cw_error(401, "UserNotAuthenticated", "The API member is inactive.")
    return Caller(tenant, member)


def require(caller: Caller, permission: str | None) -> SimResponse | None:
    """403 ``Security`` when the member's role lacks ``permission`` (C9)."""
    if permission is None or permission in caller.member.permissions:
        return None
    return security_denied()

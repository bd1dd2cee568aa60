"""ConnectWise PSA REST client: discovery, auth, paging, retries, pacing, typed errors.

Knows HTTP and ConnectWise, nothing about cwsync's tables. Start with::

    http = httpx.AsyncClient(follow_redirects=False)
    creds = Credentials(site="na.myconnectwise.net", company_id="northwind",
                        public_key="…", private_key=SecretStr("…"), client_id="…")
    cw = ConnectWiseClient(http, creds, limits=registry.for_tenant(creds.tenant_key))
    async for company in cw.search_companies("Acme"): ...

Errors: see `ConnectWiseError` (the tree is in `cwsync.connectwise._errors`' docstring).
"""

from ._auth import ACCEPT, ConnectWiseAuth, Credentials
from ._client import ConnectWiseClient
from ._conditions import Condition, Field, all_of, literal, safe_search_term
from ._discovery import CLOUD_HOSTS, CompanyInfo, api_host
from ._errors import (
    AuthenticationError,
    ConnectWiseError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RedirectRefusedError,
    ThrottledError,
    UnavailableError,
    permission_for,
)
from ._limits import GlobalLimits, LimitsRegistry, TenantLimits
from ._models import Addition, Agreement, CatalogItem, Company, SystemInfo
from ._paging import parse_link_header
from ._pool import SplitPoolTransport
from ._retry import RetryPolicy, retry_after_seconds
from ._writes import NewAddition, PatchOp, cw_date, dump_json

__all__ = [
    "ACCEPT",
    "CLOUD_HOSTS",
    "Addition",
    "Agreement",
    "AuthenticationError",
    "CatalogItem",
    "Company",
    "CompanyInfo",
    "Condition",
    "ConnectWiseAuth",
    "ConnectWiseClient",
    "ConnectWiseError",
    "Credentials",
    "Field",
    "GlobalLimits",
    "InvalidRequestError",
    "LimitsRegistry",
    "NewAddition",
    "NotFoundError",
    "PatchOp",
    "PermissionDeniedError",
    "RedirectRefusedError",
    "RetryPolicy",
    "SplitPoolTransport",
    "SystemInfo",
    "TenantLimits",
    "ThrottledError",
    "UnavailableError",
    "all_of",
    "api_host",
    "cw_date",
    "dump_json",
    "literal",
    "parse_link_header",
    "permission_for",
    "retry_after_seconds",
    "safe_search_term",
]

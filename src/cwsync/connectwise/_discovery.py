"""Where a tenant's API lives: `/login/companyinfo/{company}` → codebase and API base URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from ._errors import ConnectWiseError

# Cloud sites serve the API only on the `api-` host; the bare host answers "SSL is required".
CLOUD_HOSTS = frozenset(
    {
        "na.myconnectwise.net",
        "eu.myconnectwise.net",
        "au.myconnectwise.net",
        "aus.myconnectwise.net",
        "za.myconnectwise.net",
        "staging.connectwisedev.com",
    }
)
# A region ConnectWise adds later is still a cloud site when companyinfo says IsCloud.
_CLOUD_DOMAINS = (".myconnectwise.net", ".connectwisedev.com")


@dataclass(frozen=True)
class CompanyInfo:
    """What companyinfo says about a tenant, plus the API base URL derived from it."""

    codebase: str  # e.g. "v2025_1/" (always ends with "/")
    api_base_url: str  # e.g. "https://api-na.myconnectwise.net/v2025_1/apis/3.0"
    is_cloud: bool
    company_name: str | None
    version: str | None


def companyinfo_url(scheme: str, site: str, company_id: str) -> str:
    return f"{scheme}://{site}/login/companyinfo/{quote(company_id, safe='')}"


def api_host(site: str, is_cloud: bool) -> str:
    """The host API calls go to: `api-` + the cloud host, or an on-premise host as it is."""
    host, sep, port = site.partition(":")
    host = host.lower()
    if host.startswith("api-"):
        return site
    cloud = host in CLOUD_HOSTS or (is_cloud and host.endswith(_CLOUD_DOMAINS))
    return f"api-{host}{sep}{port}" if cloud else site


def parse_company_info(response: httpx.Response, scheme: str, site: str) -> CompanyInfo:
    """Read a 200 companyinfo answer; anything unreadable is a ConnectWiseError."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        data = None
    codebase = data.get("Codebase") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(codebase, str) or not codebase.strip("/"):
        raise ConnectWiseError(
            f"companyinfo for {site} did not name a codebase; is the site right?",
            status=response.status_code,
            code="InvalidResponse",
            method="GET",
            path="/login/companyinfo",
        )
    codebase = codebase.strip("/") + "/"
    # IsCloud arrives as the string "True"/"False" (a bool on some versions).
    is_cloud = str(data.get("IsCloud", "")).strip().lower() == "true"
    version = data.get("VersionCode") or data.get("VersionNumber")
    return CompanyInfo(
        codebase=codebase,
        api_base_url=f"{scheme}://{api_host(site, is_cloud)}/{codebase}apis/3.0",
        is_cloud=is_cloud,
        company_name=data.get("CompanyName"),
        version=str(version) if version is not None else None,
    )

"""`ConnectWiseClient`: the calls cwsync makes, over one shared `httpx.AsyncClient`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import httpx

from ._auth import ConnectWiseAuth, Credentials
from ._conditions import Condition, Field, all_of, safe_search_term
from ._discovery import CompanyInfo, companyinfo_url, parse_company_info
from ._errors import NotFoundError
from ._limits import GlobalLimits, TenantLimits
from ._models import Addition, Agreement, CatalogItem, Company, CwModel, SystemInfo
from ._paging import MAX_PAGE_SIZE, Params, iterate_pages
from ._retry import RetryPolicy, Sleep, utc_now
from ._transport import Transport, invalid_response, load_json, parse_model
from ._writes import NewAddition, PatchOp, patch_body

M = TypeVar("M", bound=CwModel)

# A stable order keeps rows from moving between pages while we read them.
_ORDER_BY = "id asc"


class ConnectWiseClient:
    """One ConnectWise tenant, seen through cwsync's needs.

    `http` is shared by every tenant and must be created with `follow_redirects=False`;
    this client also refuses every 3xx itself (`RedirectRefusedError`). `scheme="http"` is
    for tests against the simulator only. Without `limits` the client paces itself with a
    private default `TenantLimits`; pass the one from a `LimitsRegistry` so every client of
    one tenant shares it. `sleep` and `clock` drive retry waits and can be replaced in tests.
    Results carry `request_id` (the response's `x-cw-request-id`).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        *,
        scheme: str = "https",
        limits: TenantLimits | None = None,
        global_limits: GlobalLimits | None = None,
        timeout: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = utc_now,
        max_attempts: int = 5,
        retry_policy: RetryPolicy | None = None,
        page_size: int = MAX_PAGE_SIZE,
        company_info: CompanyInfo | None = None,
    ) -> None:
        if scheme not in ("https", "http"):
            raise ValueError("scheme must be https (or http for tests)")
        self._credentials = credentials
        self._scheme = scheme
        self._transport = Transport(
            http,
            ConnectWiseAuth(credentials),
            limits=limits if limits is not None else TenantLimits(),
            global_limits=global_limits,
            timeout=timeout,
            policy=retry_policy or RetryPolicy(max_attempts=max_attempts),
            sleep=sleep,
            clock=clock,
        )
        self._page_size = page_size
        self._info = company_info
        self._resolve_lock = asyncio.Lock()

    def __repr__(self) -> str:
        creds = self._credentials
        return f"ConnectWiseClient(site={creds.site!r}, company_id={creds.company_id!r})"

    # -- discovery -------------------------------------------------------------------

    async def resolve(self, *, force: bool = False) -> CompanyInfo:
        """Where this tenant's API lives (companyinfo), cached until `force`d."""
        async with self._resolve_lock:
            if self._info is None or force:
                site, company = self._credentials.site, self._credentials.company_id
                url = companyinfo_url(self._scheme, site, company)
                # No auth here, but clientId all the same (C7).
                headers = {"clientId": self._credentials.client_id, "Accept": "application/json"}
                response = await self._transport.send(
                    "GET", url, "/login/companyinfo", headers=headers, authenticated=False
                )
                self._info = parse_company_info(response, self._scheme, site)
            return self._info

    # -- reads -----------------------------------------------------------------------

    async def system_info(self) -> SystemInfo:
        """`GET /system/info`: the cheap check that keys, client id and codebase work."""
        return await self._get_one("/system/info", SystemInfo)

    def search_catalog(self, search: str | None = None) -> AsyncIterator[CatalogItem]:
        """Catalog items whose identifier or description contains `search`."""
        return self._search(
            "/procurement/catalog", CatalogItem, ("identifier", "description"), search
        )

    async def get_catalog_item(self, item_id: int) -> CatalogItem:
        return await self._get_one(f"/procurement/catalog/{int(item_id)}", CatalogItem)

    def search_companies(self, search: str | None = None) -> AsyncIterator[Company]:
        """Companies (not deleted) whose name or identifier contains `search` (C16)."""
        not_deleted = Field("deletedFlag").eq(False)
        return self._search(
            "/company/companies", Company, ("name", "identifier"), search, not_deleted
        )

    async def get_company(self, company_id: int) -> Company:
        return await self._get_one(f"/company/companies/{int(company_id)}", Company)

    def company_agreements(self, company_id: int) -> AsyncIterator[Agreement]:
        condition = Field("company/id").eq(int(company_id))
        return self._iterate("/finance/agreements", Agreement, condition)

    async def get_agreement(self, agreement_id: int) -> Agreement:
        return await self._get_one(f"/finance/agreements/{int(agreement_id)}", Agreement)

    def agreement_additions(self, agreement_id: int) -> AsyncIterator[Addition]:
        return self._iterate(f"/finance/agreements/{int(agreement_id)}/additions", Addition)

    async def get_addition(self, agreement_id: int, addition_id: int) -> Addition:
        path = f"/finance/agreements/{int(agreement_id)}/additions/{int(addition_id)}"
        return await self._get_one(path, Addition)

    async def count_companies(self, search: str | None = None) -> int:
        """How many not-deleted companies match (server-side; an upper bound when the term
        had characters that `search_companies` re-checks locally)."""
        condition = all_of(
            Field("deletedFlag").eq(False), _contains_any(("name", "identifier"), search)
        )
        return await self._count("/company/companies/count", condition)

    async def count_agreement_additions(self, agreement_id: int) -> int:
        return await self._count(f"/finance/agreements/{int(agreement_id)}/additions/count", None)

    # -- writes ----------------------------------------------------------------------

    async def create_addition(self, agreement_id: int, new: NewAddition) -> Addition:
        """POST a new addition. Never retried once it may have reached ConnectWise: on
        `UnavailableError(outcome_unknown=True)` look for the addition before posting again."""
        path = f"/finance/agreements/{int(agreement_id)}/additions"
        response = await self._request("POST", path, content=new.body())
        return self._parse(response, "POST", path, Addition)

    async def patch_addition(
        self, agreement_id: int, addition_id: int, ops: Sequence[PatchOp]
    ) -> Addition:
        """PATCH with a JSON array of operations; returns the addition as ConnectWise now
        has it (check it: a malformed patch can answer 200 and change nothing)."""
        path = f"/finance/agreements/{int(agreement_id)}/additions/{int(addition_id)}"
        response = await self._request("PATCH", path, content=patch_body(ops))
        return self._parse(response, "PATCH", path, Addition)

    # -- plumbing --------------------------------------------------------------------

    async def _search(
        self,
        path: str,
        model: type[M],
        fields: tuple[str, ...],
        search: str | None,
        base: Condition | None = None,
    ) -> AsyncIterator[M]:
        term = (search or "").strip()
        condition = all_of(base, _contains_any(fields, term))
        _, recheck = safe_search_term(term)
        needle = term.casefold()
        async for item in self._iterate(path, model, condition):
            if getattr(item, "deleted_flag", None) is True:
                continue  # even if a server ignores the deletedFlag condition
            if recheck and not any(needle in (getattr(item, f) or "").casefold() for f in fields):
                continue  # the server matched a safe piece; the full term decides (C12)
            yield item

    async def _iterate(
        self, path: str, model: type[M], condition: Condition | None = None
    ) -> AsyncIterator[M]:
        params: Params = {"orderBy": _ORDER_BY}
        if condition is not None:
            params["conditions"] = str(condition)

        async def fetch(page_params: Params) -> httpx.Response:
            return await self._request("GET", path, params=page_params)

        def rows(response: httpx.Response) -> list[M]:
            data = load_json(response, "GET", path)
            if not isinstance(data, list):
                raise invalid_response(response, "GET", path, "an object where a list belongs")
            return [parse_model(item, response, "GET", path, model) for item in data]

        async for page in iterate_pages(fetch, rows, params, page_size=self._page_size):
            for item in page:
                yield item

    async def _count(self, path: str, condition: Condition | None) -> int:
        params: Params = {"conditions": str(condition)} if condition is not None else {}
        response = await self._request("GET", path, params=params)
        data = load_json(response, "GET", path)
        count = data.get("count") if isinstance(data, dict) else None
        if not isinstance(count, int):
            raise invalid_response(response, "GET", path, "without a count")
        return count

    async def _get_one(self, path: str, model: type[M]) -> M:
        response = await self._request("GET", path)
        return self._parse(response, "GET", path, model)

    @staticmethod
    def _parse(response: httpx.Response, method: str, path: str, model: type[M]) -> M:
        return parse_model(load_json(response, method, path), response, method, path, model)

    async def _request(
        self, method: str, path: str, *, params: Params | None = None, content: bytes | None = None
    ) -> httpx.Response:
        info = await self.resolve()
        try:
            return await self._api_call(info, method, path, params, content)
        except NotFoundError:
            if method != "GET":
                raise
            # The codebase may have moved (a cloud upgrade, C10): look once more, and retry
            # only if it did, so a record that is really gone costs one extra small call.
            # Item reads count too: a false 404 there would mark a mapping broken.
            if self._info is info:
                await self.resolve(force=True)
            if self._info is None or self._info.api_base_url == info.api_base_url:
                raise
            return await self._api_call(self._info, method, path, params, content)

    async def _api_call(
        self,
        info: CompanyInfo,
        method: str,
        path: str,
        params: Params | None,
        content: bytes | None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        url = info.api_base_url + path
        return await self._transport.send(
            method, url, path, params=params, content=content, headers=headers
        )


def _contains_any(fields: tuple[str, ...], search: str | None) -> Condition | None:
    """`a contains "x" or b contains "x"` on the safe part of the term, None for no term."""
    piece, _ = safe_search_term((search or "").strip())
    if not piece.strip():
        return None
    condition: Condition | None = None
    for name in fields:
        part = Field(name).contains(piece)
        condition = part if condition is None else condition | part
    return condition

"""Read every page of a ConnectWise list.

Rules (CONNECTWISE.md, cases C1–C4): pages are 1-based; every request carries an explicit
`pageSize` and the same `conditions`/`fields`/`orderBy`; the next page is the one the `Link`
header's `rel="next"` names, wherever it stands among the relations; a `Link` without
`next` ends the list (ConnectWise's last page carries an empty one), and so does a short page
when a server sends no `Link` at all.
Only the page number is taken from the link: its host and other parameters are ignored, so
credentials never travel to a host the server names and a link that forgot the filter
cannot widen the result.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from ._errors import InvalidRequestError

MAX_PAGE_SIZE = 1000
# Older servers cap pageSize at 100 and answer 400 OutOfRange; 25 is the documented default.
_FALLBACK_SIZES = (1000, 100, 25)
# A server that keeps naming a next page forever must not keep us reading forever.
MAX_PAGES = 100_000

Params = dict[str, str | int]
FetchPage = Callable[[Params], Awaitable[httpx.Response]]
ParseRows = Callable[[httpx.Response], list[Any]]

_LINK_VALUE = re.compile(r"\s*<([^>]*)>\s*((?:;\s*[^;,=\s]+\s*(?:=\s*(?:\"[^\"]*\"|[^;,]*))?\s*)*)")
_LINK_PARAM = re.compile(r";\s*([^;,=\s]+)\s*(?:=\s*(\"[^\"]*\"|[^;,]*))?")


def parse_link_header(value: str | None) -> dict[str, str]:
    """RFC 8288 `Link` → {relation: target}; relation names lower-cased, first one wins."""
    links: dict[str, str] = {}
    if not value:
        return links
    position = 0
    while position < len(value):
        match = _LINK_VALUE.match(value, position)
        if not match or match.end() == position:
            break
        target, params = match.group(1), match.group(2)
        for name, raw in _LINK_PARAM.findall(params):
            if name.lower() == "rel":
                for rel in raw.strip().strip('"').split():  # rel="next last" names two
                    links.setdefault(rel.lower(), target)
        position = match.end()
        while position < len(value) and value[position] in ", \t":
            position += 1
    return links


def _page_number(target: str) -> int | None:
    for key, raw in parse_qsl(urlsplit(target).query):
        if key.lower() == "page":
            try:
                return int(raw)
            except ValueError:
                return None
    return None


async def iterate_pages(
    fetch: FetchPage,
    parse_rows: ParseRows,
    params: Mapping[str, str | int],
    *,
    page_size: int = MAX_PAGE_SIZE,
) -> AsyncIterator[list[Any]]:
    """Yield the rows of each page; `params` (conditions, orderBy, fields) go on every page."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = 1
    for _ in range(MAX_PAGES):
        try:
            response = await fetch({**params, "page": page, "pageSize": size})
        except InvalidRequestError as exc:
            smaller = [s for s in _FALLBACK_SIZES if s < size]
            if exc.code != "OutOfRange" or not smaller:
                raise
            # Same rows already read, counted in the smaller size (all sizes divide 1000).
            done = (page - 1) * size
            size = smaller[0]
            page = done // size + 1
            continue
        rows = parse_rows(response)
        if rows:
            yield rows
        link_header = response.headers.get("link")
        links = parse_link_header(link_header)
        if "next" in links:
            linked = _page_number(links["next"])
            page = linked if linked is not None and linked > page else page + 1
        elif link_header is not None or len(rows) < size:
            # A Link without next (even an empty one: a full last page), or a short page.
            return
        else:
            page += 1  # full page and no Link at all: ask; an empty page ends it
    raise InvalidRequestError(f"gave up after {MAX_PAGES} pages", code="TooManyPages")

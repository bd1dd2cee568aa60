"""List reads: conditions, orderBy, fields, 1-based paging and the ``Link`` header."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cwsync.simulator import conditions as cond
from cwsync.simulator.responses import SimResponse, cw_error, invalid_object
from cwsync.simulator.state import TenantSettings

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000


class ListQueryError(Exception):
    def __init__(self, response: SimResponse) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class ListQuery:
    where: cond.Node | None
    order: list[tuple[tuple[str, ...], bool]]  # (path, descending)
    fields: list[tuple[str, ...]] | None
    page: int
    page_size: int


def parse_list_query(
    params: Mapping[str, str], known: frozenset[str], settings: TenantSettings
) -> ListQuery:
    """``params`` is keyed by lower-cased parameter name."""
    try:
        where = cond.parse(params.get("conditions", ""), known)
    except cond.ConditionError as exc:
        raise ListQueryError(invalid_object(f"conditions: {exc}")) from exc
    page = _int_param(params, "page", 1)
    page_size = _int_param(params, "pagesize", DEFAULT_PAGE_SIZE)
    if page_size <= 0:
        page_size = DEFAULT_PAGE_SIZE
    if settings.max_page_size is not None and page_size > settings.max_page_size:
        message = f"pageSize must be between 1 and {settings.max_page_size}."
        raise ListQueryError(cw_error(400, "OutOfRange", message))
    return ListQuery(
        where=where,
        order=_parse_order(params.get("orderby", ""), known),
        fields=parse_fields(params.get("fields", "")),
        page=max(page, 1),  # page 0 (or below) answers page 1, as ConnectWise does (C2)
        page_size=min(page_size, MAX_PAGE_SIZE),
    )


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ListQueryError(invalid_object(f"{name} must be an integer, got {raw!r}")) from exc


def _parse_order(text: str, known: frozenset[str]) -> list[tuple[tuple[str, ...], bool]]:
    order = []
    for clause in (part.strip() for part in text.split(",")):
        if not clause:
            continue
        words = clause.split()
        direction = words[1].lower() if len(words) == 2 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise ListQueryError(invalid_object(f"orderBy: cannot read {clause!r}"))
        path = _split_path(words[0])
        if path[0].lower() not in known:
            raise ListQueryError(invalid_object(f"orderBy: unknown field {words[0]!r}"))
        order.append((path, direction == "desc"))
    return order


def parse_fields(text: str) -> list[tuple[str, ...]] | None:
    paths = [_split_path(part.strip()) for part in text.split(",") if part.strip()]
    return paths or None


def _split_path(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.replace(".", "/").split("/") if part)


def select(records: Iterable[Mapping[str, Any]], query: ListQuery) -> list[Mapping[str, Any]]:
    """Filter and sort (by id, then by each orderBy key; stable sorts keep ties by id)."""
    try:
        rows = [row for row in records if cond.matches(query.where, row)]
    except cond.ConditionError as exc:
        raise ListQueryError(invalid_object(f"conditions: {exc}")) from exc
    rows.sort(key=lambda row: row.get("id") or 0)
    for path, descending in reversed(query.order):
        rows.sort(key=_sort_key(path), reverse=descending)
    return rows


def _sort_key(path: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    def key(row: Mapping[str, Any]) -> tuple[bool, Any]:
        value = cond.resolve_path(row, path)[0]
        if isinstance(value, str):
            value = value.lower()
        # Nulls first on ascending, like SQL Server.
        return (value is not None, value if value is not None else 0)

    return key


def project(row: Mapping[str, Any], fields: list[tuple[str, ...]] | None) -> dict[str, Any]:
    """Keep only the asked fields: ``id,name,company/id`` → nested subsets."""
    if fields is None:
        return dict(row)
    out: dict[str, Any] = {}
    for path in fields:
        value = cond.resolve_path(row, path)[0]
        if value is None:
            continue
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return out


def page_of(rows: list[Any], query: ListQuery) -> tuple[list[Any], int]:
    last_page = max(1, -(-len(rows) // query.page_size))
    start = (query.page - 1) * query.page_size
    return rows[start : start + query.page_size], last_page


def link_header(
    url: str,
    pairs: list[tuple[str, str]],
    query: ListQuery,
    last_page: int,
    settings: TenantSettings,
    rng: random.Random,
) -> str | None:
    """RFC 8288 ``Link``: ``<url>; rel="next"``; empty on the last page (C4)."""
    if not settings.link_header:
        return None
    page = query.page
    if page >= last_page:
        return ""
    targets = {"next": page + 1, "last": last_page}
    if page > 1:
        targets.update(first=1, prev=page - 1)
    relations = [rel for rel in settings.link_order if rel in targets]
    if settings.link_shuffle:
        rng.shuffle(relations)
    return ", ".join(f'<{_page_url(url, pairs, targets[rel])}>; rel="{rel}"' for rel in relations)


def _page_url(url: str, pairs: list[tuple[str, str]], page: int) -> str:
    kept = [(key, value) for key, value in pairs if key.lower() != "page"]
    kept.append(("page", str(page)))
    # Each value encoded on its own so '+', '&' and '"' survive the round trip (C11).
    return url + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in kept)

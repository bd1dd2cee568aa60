"""Bodies no route should ever act on, sent to every operation that takes one: too large
(declared or streamed without a length), not UTF-8, not JSON. Each gets a clear 4xx in the
uniform error shape, the status is in the operation's documented answers, and no table
gains or loses a row."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from cwsync.db import SessionMaker
from tests.hostile.conftest import (
    BODY_CAP,
    Owner,
    app_schema,
    body_operations,
    fill,
    table_counts,
)

JSON = {"content-type": "application/json"}
OPERATIONS = body_operations()


async def in_chunks(body: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def documented(method: str, path: str) -> set[int]:
    operation = app_schema()["paths"][path][method.lower()]
    return {int(status) for status in operation["responses"]}


def test_every_body_operation_is_swept() -> None:
    assert len(OPERATIONS) >= 10
    for method, path in OPERATIONS:
        assert {400, 413, 422} <= documented(method, path), (method, path)


async def test_oversized_bodies_are_413_everywhere_and_store_nothing(
    capped_admin: httpx.AsyncClient, owner: Owner, sessionmaker: SessionMaker
) -> None:
    big = b'{"name": "' + b"x" * BODY_CAP + b'"}'
    before = await table_counts(sessionmaker)
    for method, path in OPERATIONS:
        url = fill(path, owner.ids)
        declared = await capped_admin.request(method, url, content=big, headers=JSON)
        streamed = await capped_admin.request(method, url, content=in_chunks(big), headers=JSON)
        assert "content-length" not in streamed.request.headers  # chunked: no length to trust
        for response in (declared, streamed):
            assert response.status_code == 413, (method, path, response.text)
            assert response.json()["error"]["code"] == "payload_too_large"
    assert await table_counts(sessionmaker) == before


async def test_a_body_just_under_the_cap_is_read(
    capped_admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    body = b'{"name": "Padded MSP"' + b" " * (BODY_CAP - 40) + b"}"
    assert len(body) <= BODY_CAP
    response = await capped_admin.post("/v1/partners", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    assert (await table_counts(sessionmaker))["partners"] == 1


async def test_undecodable_and_malformed_bodies_are_4xx_everywhere_and_store_nothing(
    capped_admin: httpx.AsyncClient, owner: Owner, sessionmaker: SessionMaker
) -> None:
    before = await table_counts(sessionmaker)
    for method, path in OPERATIONS:
        url = fill(path, owner.ids)
        for body, status, code in (
            (b'{"name": "caf\xe9"}', 400, "bad_request"),  # Latin-1, not UTF-8
            (b'{"name": "\xff\xfe\x00"}', 400, "bad_request"),
            (b'{"name": "unterminated', 422, "validation_error"),
            (b"[" * 5000 + b"]" * 5000, 400, "bad_request"),  # nesting too deep to parse
            (b'{"name": NaN}', 422, "validation_error"),
        ):
            response = await capped_admin.request(method, url, content=body, headers=JSON)
            assert response.status_code == status, (method, path, body[:20], response.text)
            assert response.json()["error"]["code"] == code
            assert status in documented(method, path)
    assert await table_counts(sessionmaker) == before

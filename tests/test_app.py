"""The app shell: health, readiness, metrics, the uniform error shape, body cap, request ids."""

from __future__ import annotations

import httpx
import pytest

from cwsync.app import create_app
from cwsync.config import Settings
from tests.support.servers import serve_in_thread


async def test_healthz_and_readyz(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
    ready = await anonymous.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok"}


async def test_readyz_503_when_database_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", env="test")
    with serve_in_thread(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


async def test_bad_body_is_422_in_uniform_shape(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/v1/partners", json={"name": "", "timezone": "Mars/Base"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {tuple(d["loc"]) for d in error["details"]} == {
        ("body", "name"),
        ("body", "timezone"),
    }


async def test_malformed_json_is_422(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/v1/partners", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_unknown_route_is_404_in_uniform_shape(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_oversized_body_is_413(admin: httpx.AsyncClient, settings: Settings) -> None:
    body = b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'
    response = await admin.post(
        "/v1/partners", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    listed = await admin.get("/v1/partners")
    assert listed.json()["total"] == 0


async def test_request_id_echoed_and_metrics_exposed(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    metrics = await admin.get("/metrics")
    assert metrics.status_code == 200
    assert 'cwsync_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer"])
async def test_missing_or_bad_token_is_401(
    anonymous: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await anonymous.get("/v1/partners", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"missing_token", "invalid_token"}


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql+asyncpg://nobody@127.0.0.1:1/none",  # connection refused
        "sqlite+aiosqlite:////nonexistent-directory/cwsync.db",  # cannot be opened
    ],
)
async def test_a_database_outage_is_503_not_a_bug(database_url: str) -> None:
    """Issue 9: while the database is down every /v1 route says so (and when to retry).

    In process, so an exception the app re-raised after answering (what Starlette does for
    its catch-all handler: the server then logs a traceback and drops the connection) would
    surface here instead of the answer."""
    app = create_app(Settings(database_url=database_url, env="test", admin_token="t" * 20))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            response = await client.get(
                "/v1/partners", headers={"Authorization": "Bearer " + "t" * 20}
            )
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "5"

"""The FastAPI application: ``create_app()`` and its lifespan.

One engine and one httpx client per process, created in the lifespan and shared by every
request through ``app.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from cwsync.api import health
from cwsync.api.responses import document_app_errors
from cwsync.clients.router import router as clients_router
from cwsync.config import Settings, get_settings
from cwsync.connections.router import router as connections_router
from cwsync.counts.router import router as counts_router
from cwsync.db import create_engine, create_sessionmaker
from cwsync.errors import install_error_handlers
from cwsync.logging import configure_logging
from cwsync.lookups.router import router as lookups_router
from cwsync.mappings.router import router as mappings_router
from cwsync.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from cwsync.partners.router import router as partners_router
from cwsync.sync.router import router as sync_runs_router

API_VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        # Redirects are never followed: a redirected POST may already have been applied.
        async with httpx.AsyncClient(
            follow_redirects=False,
            timeout=settings.cw_lookup_timeout_seconds,
            limits=httpx.Limits(max_connections=settings.cw_global_concurrency),
        ) as http:
            app.state.http = http
            yield
        await engine.dispose()

    app = FastAPI(
        title="cwsync",
        version=API_VERSION,
        description=(
            "Keeps ConnectWise PSA agreement additions in step with INFIMA's per-client "
            "active user counts."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(partners_router)
    app.include_router(connections_router)
    app.include_router(lookups_router)
    app.include_router(clients_router)
    app.include_router(counts_router)
    app.include_router(mappings_router)
    app.include_router(sync_runs_router)
    _document_app_errors(app)
    return app


def _document_app_errors(app: FastAPI) -> None:
    """The schema also lists the 400/413/503 answered outside the routes (api.responses)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_app_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: logging configured from the environment."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)

"""Typed FastAPI dependencies: settings, database session, caller identity, partner scope."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.db import SessionMaker, unit_of_work
from cwsync.errors import Forbidden, NotFound, Unauthorized
from cwsync.models import Partner, PartnerToken
from cwsync.partners import repository as partners_repo
from cwsync.security.tokens import same_secret, token_hash


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> SessionMaker:
    sessionmaker: SessionMaker = request.app.state.sessionmaker
    return sessionmaker


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; committed at the request's edge when the handler succeeds."""
    async with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


def get_http(request: Request) -> httpx.AsyncClient:
    http: httpx.AsyncClient = request.app.state.http
    return http


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a client that got 201 always
# finds its row on the next request (FastAPI's default ends yield-dependencies afterwards).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
HttpDep = Annotated[httpx.AsyncClient, Depends(get_http)]


@dataclass(frozen=True)
class Caller:
    is_admin: bool
    partner_id: uuid.UUID | None = None

    def may_access(self, partner_id: uuid.UUID) -> bool:
        return self.is_admin or self.partner_id == partner_id


async def get_caller(request: Request, settings: SettingsDep, session: SessionDep) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token", code="missing_token")
    token = token.strip()
    if same_secret(token, settings.admin_token.get_secret_value()):
        return Caller(is_admin=True)
    row: PartnerToken | None = await partners_repo.find_active_token(session, token_hash(token))
    if row is None:
        raise Unauthorized("invalid or revoked token", code="invalid_token")
    now = utcnow()
    # Touch last_used_at at most once a minute so reads don't all become writes.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return Caller(is_admin=False, partner_id=row.partner_id)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def require_admin(caller: CallerDep) -> Caller:
    if not caller.is_admin:
        raise Forbidden("this action needs the admin token", code="admin_only")
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]


async def get_partner(partner_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> Partner:
    """The partner in the path, if the caller may see it; another partner's is a 404."""
    partner = await partners_repo.get_partner(session, partner_id)
    if partner is None or not caller.may_access(partner_id):
        raise NotFound("partner not found", code="partner_not_found")
    return partner


PartnerDep = Annotated[Partner, Depends(get_partner)]

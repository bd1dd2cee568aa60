"""Fixtures shared by the sync tests. Each module defines `sync_settings` (its batch size)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory


@pytest.fixture
async def factory(sync_settings: Settings) -> AsyncIterator[ConnectWiseFactory]:
    """What the scheduler builds: one http client, clients made from stored connections."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as http:
        yield ConnectWiseFactory(http, sync_settings)

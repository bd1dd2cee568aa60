"""The one place a stored connection (or typed credentials) becomes a ConnectWise client.

Used by the API (one factory on ``app.state``, see ``cwsync.connections.deps``) and by the
sync engine (one factory per scheduler process); importable without FastAPI::

    factory = ConnectWiseFactory(http, settings)
    cw = factory.for_connection(connection_row)          # decrypts the private key
    cw = factory.for_credentials(site, company_id, public_key, private_key, client_id)

Every client made by one factory shares the process's ``GlobalLimits`` and, per ConnectWise
tenant, one ``TenantLimits`` (``LimitsRegistry``), so two partners on one tenant or an API
look-up during a sync still respect the tenant's pace. The limits hold asyncio primitives,
so they are made lazily, on first use inside the running loop, never at import.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from cwsync.config import Settings
from cwsync.connections.diagnostics import PermissionProber
from cwsync.connectwise import (
    CompanyInfo,
    ConnectWiseClient,
    Credentials,
    GlobalLimits,
    LimitsRegistry,
    RetryPolicy,
)
from cwsync.models import Connection
from cwsync.security.encryption import Keyring

# Interactive calls (a partner waiting on a look-up) get one retry at most: the request's
# deadline, not the retry budget, bounds them.
INTERACTIVE_ATTEMPTS = 2
# The sync waits out this many paced 429s (Retry-After) on top of its attempts: a throttling
# burst must not fail clients that the next second would have synced.
SYNC_PACED_THROTTLES = 10


class ConnectWiseFactory:
    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._http = http
        self._settings = settings
        self._keyring = Keyring(settings.fernet_keys)
        self._registry: LimitsRegistry | None = None
        self._global: GlobalLimits | None = None

    def __repr__(self) -> str:
        return f"ConnectWiseFactory(scheme={self._settings.cw_scheme!r})"

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    def for_connection(
        self, connection: Connection, *, interactive: bool = False
    ) -> ConnectWiseClient:
        """A client for a stored connection; the stored codebase saves a companyinfo call
        (the client re-resolves by itself if ConnectWise moved it, case C10)."""
        credentials = self.credentials_for(connection)
        info = CompanyInfo(
            codebase=connection.codebase,
            api_base_url=connection.api_base_url,
            is_cloud=(urlsplit(connection.api_base_url).hostname or "").startswith("api-"),
            company_name=None,
            version=None,
        )
        return self._client(credentials, info, interactive=interactive)

    def credentials_for(self, connection: Connection) -> Credentials:
        """The stored connection's credentials, private key decrypted (a ``SecretStr``)."""
        return Credentials(
            site=connection.site,
            company_id=connection.company_id,
            public_key=connection.public_key,
            private_key=SecretStr(self._keyring.decrypt(connection.private_key_encrypted)),
            client_id=connection.client_id,
        )

    def prober_for(self, connection: Connection, api_base_url: str) -> PermissionProber:
        """The permission prober of ``POST …/connectwise/check`` (see ``diagnostics``)."""
        credentials = self.credentials_for(connection)
        return PermissionProber(
            self._http,
            credentials,
            api_base_url,
            limits=self._limits().for_tenant(credentials.tenant_key),
            timeout=self._settings.cw_lookup_timeout_seconds,
        )

    def for_credentials(
        self,
        site: str,
        company_id: str,
        public_key: str,
        private_key: SecretStr | str,
        client_id: str,
        *,
        interactive: bool = True,
    ) -> ConnectWiseClient:
        """A client for credentials not stored yet (checked before saving). ``site`` must
        already have passed ``cwsync.connections.site.validate_site``."""
        credentials = Credentials(
            site=site,
            company_id=company_id,
            public_key=public_key,
            private_key=private_key
            if isinstance(private_key, SecretStr)
            else SecretStr(private_key),
            client_id=client_id,
        )
        return self._client(credentials, None, interactive=interactive)

    def _client(
        self,
        credentials: Credentials,
        info: CompanyInfo | None,
        *,
        interactive: bool,
    ) -> ConnectWiseClient:
        settings = self._settings
        if self._global is None:
            self._global = GlobalLimits(settings.cw_global_concurrency)
        return ConnectWiseClient(
            self._http,
            credentials,
            scheme=settings.cw_scheme,
            limits=self._limits().for_tenant(credentials.tenant_key),
            global_limits=self._global,
            timeout=(
                settings.cw_lookup_timeout_seconds if interactive else settings.cw_timeout_seconds
            ),
            retry_policy=(
                RetryPolicy(max_attempts=INTERACTIVE_ATTEMPTS)
                if interactive
                else RetryPolicy(
                    max_attempts=settings.cw_max_attempts,
                    base_delay=settings.cw_retry_base_seconds,
                    max_paced_throttles=SYNC_PACED_THROTTLES,
                )
            ),
            company_info=info,
        )

    def _limits(self) -> LimitsRegistry:
        if self._registry is None:
            settings = self._settings
            self._registry = LimitsRegistry(settings.cw_concurrency, settings.cw_rate_per_minute)
        return self._registry

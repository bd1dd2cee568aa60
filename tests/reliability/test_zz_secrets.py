"""Secrets never leak: not into any log of the reliability suite, not into answers, not into
stored errors; and the stored private key is never plaintext.

Named to run last in the directory: besides its own scenario it reads every log line the
suite captured before it (`capture`: every real process's log file, at DEBUG, and this
process's own records). Its scenario is built to tempt a leak: a ConnectWise (or a proxy in
front of it) that echoes our Authorization header and private key in its error bodies, a
wrong key pair, a revoked and a made-up token, a connection check and a sync that fail on
those echoes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import httpx
import pytest
from sqlalchemy import text

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.security.encryption import Keyring
from cwsync.simulator.faults import Fault
from cwsync.simulator.records import Member
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.reliability import capture, ledger
from tests.reliability.fleet import Fleet, wait_until
from tests.reliability.world import CLIENT_ID

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def leaks(sources: dict[str, str]) -> list[tuple[str, str]]:
    """(where, which secret — only its first characters) for every secret found."""
    return [
        (where, secret[:4] + "…")
        for where, body in sources.items()
        for secret in capture.SECRETS
        if len(secret) >= 8 and secret in body
    ]


def test_the_leak_finder_finds_leaks() -> None:
    capture.SECRETS.add("a-secret-for-the-self-test")
    assert leaks({"x": "… a-secret-for-the-self-test …"}) == [("x", "a-se…")]
    capture.SECRETS.discard("a-secret-for-the-self-test")


def add_member(simulator: SimulatorServer, public: str, private: str) -> None:
    tenant = simulator.state.tenant("northwind")
    assert tenant is not None
    tenant.put_member(
        Member.from_json(
            {
                "public_key": public,
                "private_key": private,
                "identifier": "leaky",
                "active": True,
                "permissions": ["*"],
            }
        )
    )


def echo(private: str, path: str | None = None) -> Fault:
    """An error body that repeats our credentials, as a careless proxy might."""
    basic = capture.basic_authorization("northwind", "leaky-public", private)
    message = f"upstream said no; request had Authorization: {basic} key={private}"
    return Fault(kind="error", status=500, body="permanent", message=message, path=path)


async def test_no_secret_in_logs_answers_or_stored_errors_and_the_key_is_encrypted(
    settings: Settings, sessionmaker: SessionMaker, simulator: SimulatorServer, fleet: Fleet
) -> None:
    private, wrong = f"pk-{uuid.uuid4().hex}", f"wrong-{uuid.uuid4().hex}"
    capture.remember_key_pair("northwind", "leaky-public", private)
    capture.remember_key_pair("northwind", "leaky-public", wrong)
    add_member(simulator, "leaky-public", private)
    _, api = fleet.api()
    answers: list[str] = []
    admin = httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    async with admin:
        partner = (await admin.post("/v1/partners", json={"name": "Leaky MSP"})).json()
        p = f"/v1/partners/{partner['id']}"
        token = (await admin.post(p + "/tokens", json={})).json()["token"]
        revoked = (await admin.post(p + "/tokens", json={})).json()
        made_up = f"cws_{uuid.uuid4().hex}"
        for secret in (token, revoked["token"], made_up):
            capture.remember_token(secret)
        await admin.delete(f"{p}/tokens/{revoked['id']}")
        body = {
            "site": simulator.site,
            "company_id": "northwind",
            "public_key": "leaky-public",
            "private_key": wrong,
            "client_id": CLIENT_ID,
        }
        partner_api = httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {token}"})
        async with partner_api:
            refused = await partner_api.put(p + "/connectwise", json=body)
            assert refused.status_code >= 400
            saved = await partner_api.put(p + "/connectwise", json={**body, "private_key": private})
            assert saved.status_code == 200, saved.text
            simulator.state.faults.add(echo(private))
            answers += [r.text for r in (refused, saved, await partner_api.get(p + "/connectwise"))]
            answers.append((await partner_api.get(p + "/connectwise/companies")).text)
            answers.append((await partner_api.post(p + "/connectwise/check")).text)
            simulator.state.faults.clear()
            for bad in (revoked["token"], made_up, "x" * 5000):
                answers.append(
                    (await admin.get(p, headers={"Authorization": f"Bearer {bad}"})).text
                )
            assert (
                await partner_api.put(p + "/connectwise/product", json={"catalog_item_id": 812})
            ).is_success
            client = (
                await partner_api.post(p + "/clients", json={"external_id": "c", "name": "C"})
            ).json()
            c = f"{p}/clients/{client['id']}"
            await partner_api.put(c + "/user-count", json={"active_users": 41})
            mapping = {"company_id": 250, "agreement_id": 1578, "addition_id": 9001}
            assert (await partner_api.put(c + "/mapping", json=mapping)).is_success
            simulator.state.faults.add(echo(private, "/additions/"))  # the sync meets it too
            run = (await partner_api.post(p + "/sync-runs", json={})).json()
            fleet.scheduler()
            await wait_until(
                lambda: ledger.finished(sessionmaker, {uuid.UUID(run["id"])}), 60, "the run"
            )
            detail = await partner_api.get(f"{p}/sync-runs/{run['id']}")
            assert "upstream said no" in detail.text  # the client's item carries the echo
            answers.append(detail.text)

    stored = await stored_text(sessionmaker)
    sources = {f"answer {i}": a for i, a in enumerate(answers)}
    sources.update({f"stored {i}": s for i, s in enumerate(stored)})
    sources.update({str(path): path.read_text(errors="replace") for path in capture.LOG_FILES})
    sources["this process"] = "\n".join(capture.IN_PROCESS.lines)
    assert len(capture.LOG_FILES) >= 2 and sum(len(s) for s in sources.values()) > 10_000
    assert "upstream said no" in "".join(sources.values())  # the echo did reach cwsync
    assert leaks(sources) == []

    async with sessionmaker() as session:
        keys = (
            (await session.execute(text("SELECT private_key_encrypted FROM connections")))
            .scalars()
            .all()
        )
    assert keys, "no connection stored"
    for key in keys:
        assert private not in key and key.startswith("gAAAAA")  # a Fernet token
        assert Keyring(settings.fernet_keys).decrypt(key) == private


async def stored_text(sessionmaker: SessionMaker) -> Iterable[str]:
    """Every text the database keeps about errors and connections, raw."""
    queries = [
        "SELECT coalesce(error_message, '') FROM sync_items",
        "SELECT coalesce(error_message, '') FROM sync_runs",
        "SELECT coalesce(last_error, '') || public_key || site FROM connections",
        "SELECT token_hash || prefix FROM partner_tokens",
    ]
    async with sessionmaker() as session:
        return [row for query in queries for row in (await session.execute(text(query))).scalars()]

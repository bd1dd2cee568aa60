"""Hostile input, generated: schemathesis over the committed `openapi.json` against the API
running as a real process on PostgreSQL (where a NUL byte or a 64-bit id would break an
unchecked INSERT), with the admin token and with a partner token.

Every phase runs (examples, coverage — boundary and invalid values —, fuzzing, stateful
sequences through the links schemathesis infers), a bounded number of cases per operation
and a fixed seed. The checks: no 5xx, every status code documented, every body matching its
schema and content type. The partner run pins the path ids to the partner's own partner,
client and run, so its cases reach the routes' logic instead of 404.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cwsync.config import Settings
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.reliability import capture
from tests.reliability.fleet import Fleet
from tests.reliability.world import CLIENT_ID, PRIVATE_KEY, PUBLIC_KEY

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
# Stricter checks (negative_data_rejection, ...) can be added for an exploratory run.
EXTRA_CHECKS = [c for c in os.environ.get("CWSYNC_SCHEMATHESIS_EXTRA_CHECKS", "").split(",") if c]
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        *EXTRA_CHECKS,
    ]
)
MAX_EXAMPLES = int(os.environ.get("CWSYNC_SCHEMATHESIS_EXAMPLES", "25"))
SEED = 9


async def partner_with_everything(api: str, simulator: SimulatorServer) -> dict[str, str]:
    """Through the API: a partner, its token, connection, product, a mapped client with a
    count, and a queued dry run — so ids in paths can point at real rows."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as admin:
        partner = (await admin.post("/v1/partners", json={"name": "Fuzzed MSP"})).json()
        p = f"/v1/partners/{partner['id']}"
        token = (await admin.post(p + "/tokens", json={})).json()["token"]
        capture.remember_token(token)
        body = {
            "site": simulator.site,
            "company_id": "northwind",
            "public_key": PUBLIC_KEY,
            "private_key": PRIVATE_KEY,
            "client_id": CLIENT_ID,
        }
        assert (await admin.put(p + "/connectwise", json=body)).status_code == 200
        assert (
            await admin.put(p + "/connectwise/product", json={"catalog_item_id": 812})
        ).status_code == 200
        client = (
            await admin.post(p + "/clients", json={"external_id": "c-1", "name": "Contoso"})
        ).json()
        c = f"{p}/clients/{client['id']}"
        assert (await admin.put(c + "/user-count", json={"active_users": 40})).status_code == 200
        mapping = {"company_id": 250, "agreement_id": 1578, "addition_id": 9001}
        assert (await admin.put(c + "/mapping", json=mapping)).status_code == 200
        run = (await admin.post(p + "/sync-runs", json={"dry_run": True})).json()
    return {
        "partner_id": partner["id"],
        "client_id": client["id"],
        "run_id": run["id"],
        "token": token,
    }


def schemathesis(
    api: str, token: str, workdir: Path, config: str = ""
) -> subprocess.CompletedProcess[str]:
    (workdir / "schemathesis.toml").write_text(config)
    return subprocess.run(
        [
            str(ST),
            "--config-file",
            str(workdir / "schemathesis.toml"),
            "run",
            str(ROOT / "openapi.json"),
            "--url",
            api,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "2",
            "--no-shrink",
            "--request-timeout",
            "20",
            "--exclude-deprecated",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("caller", ["admin", "partner"])
async def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_schema(
    caller: str, settings: Settings, simulator: SimulatorServer, fleet: Fleet, tmp_path: Path
) -> None:
    _, api = fleet.api()
    ids = await partner_with_everything(api, simulator)
    if caller == "admin":
        result = schemathesis(api, ADMIN_TOKEN, tmp_path)
    else:
        pinned = "\n".join(
            f'{name} = "{ids[name]}"' for name in ("partner_id", "client_id", "run_id")
        )
        result = schemathesis(api, ids["token"], tmp_path, f"[parameters]\n{pinned}\n")
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert " 0 generated" not in report and "generated" in report, report

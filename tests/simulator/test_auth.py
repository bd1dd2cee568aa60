"""clientId, API-member keys, role permissions and tenants (CASES.md C7, C8, C9)."""

from __future__ import annotations

import httpx
import pytest

from cwsync.simulator.testing import SimulatorAdmin, SimulatorServer
from tests.simulator.conftest import CLIENT_ID, DEMO_AUTH, NOEDIT_AUTH, basic, cw_headers


def test_companyinfo_answers_the_codebase_without_auth(sim: SimulatorServer) -> None:
    response = httpx.get(
        f"{sim.base_url}/login/companyinfo/NorthWind", headers={"clientId": CLIENT_ID}
    )
    assert response.status_code == 200
    assert response.json() == {
        "CompanyName": "Northwind MSP",
        "Codebase": "v2025_1/",
        "VersionCode": "v2025.1",
        "VersionNumber": "v4.6.10495",
        "CompanyID": "northwind",
        "IsCloud": "False",
    }


def test_companyinfo_for_an_unknown_company_is_404_json(sim: SimulatorServer) -> None:
    response = httpx.get(
        f"{sim.base_url}/login/companyinfo/nobody", headers={"clientId": CLIENT_ID}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


@pytest.mark.parametrize("path", ["/login/companyinfo/northwind", "/v2025_1/apis/3.0/system/info"])
def test_missing_client_id_is_401_with_a_plain_text_body(sim: SimulatorServer, path: str) -> None:
    response = httpx.get(sim.base_url + path, headers={"Authorization": DEMO_AUTH})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert "clientId" in response.text
    with pytest.raises(ValueError):
        response.json()


def test_good_keys_read_system_info(cw: httpx.Client) -> None:
    response = cw.get("/system/info")
    assert response.status_code == 200
    assert response.json()["version"] == "v2025.1.10495"
    assert response.json()["isCloud"] is False
    assert response.headers["x-cw-request-id"]


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (basic("northwind", "demo-public-key", "wrong-private-key"), "Unauthorized"),
        (basic("northwind", "no-such-key", "demo-private-key"), "Unauthorized"),
        (basic("southwind", "demo-public-key", "demo-private-key"), "Unauthorized"),
        (basic("northwind", "inactive-public-key", "inactive-private-key"), "UserNotAuthenticated"),
        ("Bearer abc", "Unauthorized"),
        ("Basic not-base64!", "Unauthorized"),
    ],
)
def test_bad_credentials_are_401_json(sim: SimulatorServer, auth: str, code: str) -> None:
    response = httpx.get(sim.api_url() + "/system/info", headers=cw_headers(auth))
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_company_id_in_credentials_is_case_insensitive(sim: SimulatorServer) -> None:
    auth = basic("NorthWind", "demo-public-key", "demo-private-key")
    assert httpx.get(sim.api_url() + "/system/info", headers=cw_headers(auth)).status_code == 200


def test_member_without_agreements_edit_gets_403_security_on_patch(sim: SimulatorServer) -> None:
    url = sim.api_url() + "/finance/agreements/1578/additions/9001"
    body = b'[{"op": "replace", "path": "quantity", "value": 18}]'
    response = httpx.patch(url, headers=cw_headers(NOEDIT_AUTH), content=body)
    assert response.status_code == 403
    assert response.json() == {
        "code": "Security",
        "message": "You do not have security permission to perform this action.",
        "errors": None,
    }
    assert sim.state.tenant("northwind").additions[9001].quantity == 40  # unchanged
    # The same member may still read.
    assert httpx.get(url, headers=cw_headers(NOEDIT_AUTH)).status_code == 200


def test_removing_a_permission_through_admin_denies_reads(
    sim: SimulatorServer, cw: httpx.Client, admin: SimulatorAdmin
) -> None:
    assert cw.get("/procurement/catalog").status_code == 200
    member = admin.get("northwind", "members", "demo-public-key")
    remaining = [p for p in member["permissions"] if p != "catalog.inquire"]
    admin.patch("northwind", "members", "demo-public-key", permissions=remaining)
    assert cw.get("/procurement/catalog").status_code == 403
    assert cw.get("/company/companies").status_code == 200


def test_disabling_a_member_makes_its_keys_fail(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    admin.patch("northwind", "members", "demo-public-key", active=False)
    response = cw.get("/system/info")
    assert response.status_code == 401
    assert response.json()["code"] == "UserNotAuthenticated"


def test_tenants_are_isolated(sim: SimulatorServer, admin: SimulatorAdmin) -> None:
    admin.create_tenant(
        {
            "company_id": "Contoso-MSP",
            "company_name": "Contoso MSP",
            "codebase": "v2024_3/",
            "members": [{"public_key": "pk2", "private_key": "sk2", "permissions": "*"}],
            "companies": [{"id": 250, "identifier": "Other", "name": "Other Co"}],
        }
    )
    other = cw_headers(basic("contoso-msp", "pk2", "sk2"))
    base = f"{sim.base_url}/v2024_3/apis/3.0"
    companies = httpx.get(base + "/company/companies", headers=other).json()
    assert [c["name"] for c in companies] == ["Other Co"]
    assert httpx.get(base + "/finance/agreements/1578", headers=other).status_code == 404
    # Northwind's keys do not open Contoso's tenant, whatever the URL.
    assert httpx.get(base + "/system/info", headers=cw_headers(DEMO_AUTH)).status_code == 404
    info = httpx.get(f"{sim.base_url}/login/companyinfo/contoso-msp", headers={"clientId": "x"})
    assert info.json()["Codebase"] == "v2024_3/"


def test_catalog_post_checks_the_role_before_the_body(sim: SimulatorServer) -> None:
    """The connection check probes Product Catalog Add with an empty body: 400 when the
    role has it, 403 when not — and nothing is ever created."""
    url = f"{sim.base_url}/v2025_1/apis/3.0/procurement/catalog"
    admin_before = len(sim.state.tenant("northwind").catalog)
    allowed = httpx.post(url, json={}, headers=cw_headers())
    assert allowed.status_code == 400
    assert allowed.json()["code"] == "InvalidObject"
    sim.state.tenant("northwind").members["demo-public-key"].permissions.discard("catalog.add")
    denied = httpx.post(url, json={}, headers=cw_headers())
    assert denied.status_code == 403
    assert denied.json()["code"] == "Security"
    assert len(sim.state.tenant("northwind").catalog) == admin_before

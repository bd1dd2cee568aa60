"""The site a partner types: shape, allowed hosts, port, and the addresses it leads to (SSRF)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cwsync.config import Settings
from cwsync.connections.site import (
    Site,
    SiteInvalid,
    SiteNotAllowed,
    blocked_reason,
    parse_site,
    validate_site,
)

CW_PUBLIC = "52.0.0.10"


def production_like(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "cw_allowed_hosts": "*.myconnectwise.net,*.connectwisedev.com,cw.partner.example,"
        "127.0.0.1,localhost,[::1],169.254.169.254,evil.myconnectwise.net",
        "cw_allow_private": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class FakeDns:
    """A resolver we inject: name → addresses, and records what was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        if host not in self.table:
            raise OSError("Name or service not known")
        return self.table[host]


DNS = FakeDns(
    {
        "na.myconnectwise.net": [CW_PUBLIC],
        "xn--zrich-kva.myconnectwise.net": [CW_PUBLIC],
        "localhost": ["127.0.0.1", "::1"],
        "evil.myconnectwise.net": [CW_PUBLIC, "10.1.2.3"],  # one private address is enough
        "mapped.myconnectwise.net": ["::ffff:127.0.0.1"],
        "meta.myconnectwise.net": ["169.254.169.254"],
        "cgnat.myconnectwise.net": ["100.64.0.1"],
        "cw.partner.example": ["2606:4700::1111"],
    }
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("na.myconnectwise.net", Site("na.myconnectwise.net")),
        ("  NA.MyConnectWise.NET.  ", Site("na.myconnectwise.net")),
        ("na.myconnectwise.net:443", Site("na.myconnectwise.net", 443)),
        ("zürich.myconnectwise.net", Site("xn--zrich-kva.myconnectwise.net")),
        ("127.0.0.1:8080", Site("127.0.0.1", 8080)),
        ("[::1]", Site("::1")),
        ("[0:0:0:0:0:0:0:1]:8443", Site("::1", 8443)),
        ("::ffff:127.0.0.1", Site("::ffff:7f00:1")),
    ],
)
def test_shape_is_normalised(raw: str, expected: Site) -> None:
    assert parse_site(raw) == expected


def test_site_prints_back_as_typed_form() -> None:
    assert str(Site("::1", 8443)) == "[::1]:8443"
    assert str(Site("na.myconnectwise.net")) == "na.myconnectwise.net"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "give the ConnectWise site"),
        ("https://na.myconnectwise.net", "without 'https://'"),
        ("http://x", "without 'https://'"),
        ("na.myconnectwise.net/v4_6_release", "without a path"),
        ("user@na.myconnectwise.net", "without a user name"),
        ("na.myconnectwise.net?x=1", "without a query"),
        ("na.myconnectwise.net#frag", "without a fragment"),
        ("na.myconnectwise.net evil.com", "spaces or control characters"),
        ("na.myconnectwise.net\x00.evil.com", "spaces or control characters"),
        ("na.my\tconnectwise.net", "spaces or control characters"),
        ("na.myconnectwise.net:0", "1 to 65535"),
        ("na.myconnectwise.net:65536", "1 to 65535"),
        ("na.myconnectwise.net:+443", "1 to 65535"),
        ("na.myconnectwise.net:4_43", "1 to 65535"),
        ("na.myconnectwise.net:", "1 to 65535"),
        ("under_score.myconnectwise.net", "not a valid host name"),
        ("-lead.myconnectwise.net", "not a valid host name"),
        ("a..b", "not a valid host name"),
        ("127.1", "not a valid one"),
        ("0x7f.0.0.1", "not a valid one"),
        ("2130706433", "not a valid one"),
        ("::1:zz", "in brackets"),
        ("[::1", "[address]"),
        ("[example.com]:443", "not an IPv6 address"),
        ("[fe80::1%eth0]", "host and optional port only"),
        ("a\\b", "host and optional port only"),
        ("a" * 64 + ".myconnectwise.net", "not a valid host name"),
        ("x" * 300, "too long"),
    ],
)
def test_bad_shapes_are_site_invalid(raw: str, says: str) -> None:
    with pytest.raises(SiteInvalid) as caught:
        parse_site(raw)
    assert caught.value.code == "site_invalid"
    assert caught.value.status == 422
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("[::1]", "loopback"),
        ("localhost", "loopback"),  # resolves to 127.0.0.1 and ::1
        ("evil.myconnectwise.net", "10.1.2.3 is a private"),  # a name with a private address
        ("mapped.myconnectwise.net", "127.0.0.1 is a loopback"),
        ("meta.myconnectwise.net", "link-local"),
        ("cgnat.myconnectwise.net", "not a public address"),
        ("na.myconnectwise.net:22", "port 22 is not allowed"),
        ("na.myconnectwise.net:80", "port 80 is not allowed"),
        ("example.com", "not an allowed ConnectWise host"),
        ("myconnectwise.net", "not an allowed ConnectWise host"),
        ("na.myconnectwise.net.evil.com", "not an allowed ConnectWise host"),
    ],
)
async def test_ssrf_values_are_refused(raw: str, says: str) -> None:
    with pytest.raises(SiteNotAllowed) as caught:
        await validate_site(raw, production_like(), resolver=DNS)
    assert caught.value.code == "site_not_allowed"
    assert caught.value.status == 422
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("na.myconnectwise.net", "na.myconnectwise.net"),
        ("na.myconnectwise.net:443", "na.myconnectwise.net:443"),
        ("zürich.myconnectwise.net", "xn--zrich-kva.myconnectwise.net"),
        ("cw.partner.example", "cw.partner.example"),
    ],
)
async def test_public_allowed_sites_pass(raw: str, expected: str) -> None:
    site = await validate_site(raw, production_like(), resolver=DNS)
    assert str(site) == expected


async def test_unresolvable_host_is_site_invalid() -> None:
    with pytest.raises(SiteInvalid) as caught:
        await validate_site("nowhere.myconnectwise.net", production_like(), resolver=DNS)
    assert "could not be resolved" in caught.value.message


async def test_ip_literals_are_checked_without_dns() -> None:
    dns = FakeDns({})
    with pytest.raises(SiteNotAllowed):
        await validate_site("[::1]", production_like(), resolver=dns)
    assert dns.asked == []


async def test_allow_private_lifts_address_and_port_checks_only() -> None:
    settings = production_like(cw_allow_private=True)
    dns = FakeDns({})
    site = await validate_site("127.0.0.1:8900", settings, resolver=dns)
    assert site == Site("127.0.0.1", 8900)
    assert dns.asked == []  # nothing resolved when private networks are allowed
    with pytest.raises(SiteNotAllowed):  # the allowed-host list still applies
        await validate_site("10.0.0.5", settings, resolver=dns)
    with pytest.raises(SiteInvalid):  # and so does the shape
        await validate_site("user@127.0.0.1", settings, resolver=dns)


async def test_empty_allowed_hosts_allow_nothing() -> None:
    with pytest.raises(SiteNotAllowed) as caught:
        await validate_site("na.myconnectwise.net", production_like(cw_allowed_hosts=""))
    assert "none configured" in caught.value.message


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("0.0.0.0", True),
        ("::", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("192.168.1.1", True),
        ("172.16.0.1", True),
        ("fc00::1", True),
        ("fe80::1%eth0", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 wrapping 169.254.169.254
        ("not-an-ip", True),
    ],
)
def test_blocked_addresses(address: str, blocked: bool) -> None:
    assert (blocked_reason(address) is not None) is blocked

"""The ``site`` a partner types is untrusted input that decides where we send their keys.

Checks, in order (DESIGN.md §7, the SSRF list of issue 9):

1. Shape: a host and an optional port only — no scheme, path, query, fragment, userinfo,
   whitespace or control characters. Host names are IDNA-encoded and lower-cased; IP
   literals are normalised (``[::1]`` for IPv6). Numeric-looking names that are not a
   valid dotted IPv4 address (``127.1``, ``0x7f.0.0.1``, ``2130706433``) are refused:
   resolvers read them as IP addresses the ``ipaddress`` module would not recognise.
2. ``CWSYNC_CW_ALLOWED_HOSTS``: fnmatch-style patterns (``*.myconnectwise.net``) or exact
   hosts; an empty list allows nothing.
3. Port: when private networks are not allowed only 443 (or no port) is accepted, so a
   partner cannot aim our HTTP client at another service on a public host.
4. Addresses: an IP literal is checked as is; a name is resolved and refused when ANY of its
   addresses is private, loopback, link-local, multicast, reserved, unspecified or otherwise
   not globally routable — including IPv4 hidden in IPv6 (``::ffff:127.0.0.1``, 6to4,
   Teredo, NAT64). ``CWSYNC_CW_ALLOW_PRIVATE=true`` lifts checks 3 and 4, never 1 and 2.

What this cannot stop on its own: a name that resolves to a public address now and to a
private one when httpx connects later (DNS rebinding). The allowed-host patterns are the
defence there — keep them to ConnectWise's own domains in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from cwsync.config import Settings
from cwsync.errors import InvalidInput

# host, port → the addresses the host resolves to (text form); injectable for tests.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_MAX_SITE = 255
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HTTPS_PORT = 443


class SiteInvalid(InvalidInput):
    code = "site_invalid"


class SiteNotAllowed(InvalidInput):
    code = "site_not_allowed"


@dataclass(frozen=True)
class Site:
    """A checked site: normalised host (IPv6 without brackets) and optional port."""

    host: str
    port: int | None = None

    @property
    def is_ip(self) -> bool:
        return _ip_or_none(self.host) is not None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def parse_site(raw: str) -> Site:
    """Shape only (step 1): raises SiteInvalid with what to type instead."""
    text = raw.strip().rstrip(".") if isinstance(raw, str) else ""
    if not text:
        raise SiteInvalid("give the ConnectWise site, e.g. na.myconnectwise.net")
    if len(text) > _MAX_SITE:
        raise SiteInvalid("the site is too long to be a host name")
    if "://" in text:
        raise SiteInvalid("give the host only, without 'https://' — e.g. na.myconnectwise.net")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise SiteInvalid("the site must not contain spaces or control characters")
    for ch, what in (("@", "a user name"), ("/", "a path"), ("?", "a query"), ("#", "a fragment")):
        if ch in text:
            raise SiteInvalid(
                f"the site must be a host and optional port only, without {what} "
                "— e.g. na.myconnectwise.net"
            )
    if "\\" in text or "%" in text:
        raise SiteInvalid("the site must be a host and optional port only")
    host_part, port = _split_port(text)
    return Site(_normalise_host(host_part), port)


def _split_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise SiteInvalid("an IPv6 address must be written [address] or [address]:port")
        if not isinstance(_ip_or_none(host), ipaddress.IPv6Address):
            raise SiteInvalid("the part in brackets is not an IPv6 address")
        return host, _port(rest[1:]) if rest else None
    if text.count(":") > 1:
        if isinstance(_ip_or_none(text), ipaddress.IPv6Address):
            return text, None
        raise SiteInvalid("write an IPv6 address in brackets: [address] or [address]:port")
    host, colon, port = text.partition(":")
    return host, _port(port) if colon else None


def _port(text: str) -> int:
    # isascii + isdigit: int() would also accept "1_000", "+5" and non-ASCII digits.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise SiteInvalid("the port must be a number from 1 to 65535")
    return int(text)


def _normalise_host(host: str) -> str:
    ip = _ip_or_none(host)
    if ip is not None:
        return ip.compressed
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise SiteInvalid("the site is not a valid host name") from exc
    labels = ascii_host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise SiteInvalid(
            "the site is not a valid host name (letters, digits, hyphens and dots only)"
        )
    if _NUMERIC_LABEL.match(labels[-1]):
        raise SiteInvalid("the site looks like an IP address but is not a valid one")
    return ascii_host


def _ip_or_none(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def check_allowed_host(site: Site, patterns: Sequence[str]) -> None:
    """Step 2: the host must match one of ``CWSYNC_CW_ALLOWED_HOSTS``."""
    candidates = {site.host, str(Site(site.host))}
    for pattern in (p.lower() for p in patterns):
        # Only "*" and "?" make a pattern: "[::1]" is an exact host, not a character class.
        if "*" in pattern or "?" in pattern:
            if any(fnmatchcase(c, pattern) for c in candidates):
                return
        elif pattern in candidates:
            return
    shown = ", ".join(patterns) or "none configured"
    raise SiteNotAllowed(
        f"{site.host} is not an allowed ConnectWise host (allowed: {shown}); use your "
        "ConnectWise site such as na.myconnectwise.net, or ask the operator to add your "
        "on-premise host to CWSYNC_CW_ALLOWED_HOSTS",
        details={"site": str(site), "allowed_hosts": list(patterns)},
    )


def check_port(site: Site) -> None:
    """Step 3, for public networks: 443 only, so the keys go to ConnectWise's HTTPS port."""
    if site.port not in (None, _HTTPS_PORT):
        raise SiteNotAllowed(
            f"port {site.port} is not allowed: ConnectWise answers on the HTTPS port 443, and "
            "other ports are refused so this service cannot be pointed at anything else; "
            "leave the port out",
            details={"site": str(site)},
        )


def blocked_reason(address: str) -> str | None:
    """Why an address may not be contacted, or None when it is globally routable."""
    ip = _ip_or_none(address.split("%", 1)[0])  # drop an IPv6 zone id ("fe80::1%eth0")
    if ip is None:
        return "not an IP address"
    embedded: list[ipaddress.IPv4Address] = []
    if isinstance(ip, ipaddress.IPv6Address):
        for v4 in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if v4 is not None:
                embedded.append(v4)
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    for candidate in (*embedded, ip):
        for flag in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
            if getattr(candidate, f"is_{flag}"):
                return f"{candidate} is a {flag.replace('_', '-')} address"
        if not candidate.is_global:
            return f"{candidate} is not a public address"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_addresses(
    site: Site, *, default_port: int, resolver: Resolver, resolve_seconds: float
) -> None:
    """Step 4: every address of the host must be public."""
    if site.is_ip:
        addresses: Sequence[str] = [site.host]
    else:
        try:
            addresses = await asyncio.wait_for(
                resolver(site.host, site.port or default_port), resolve_seconds
            )
        except (OSError, TimeoutError) as exc:
            raise SiteInvalid(
                f"{site.host} could not be resolved; check the spelling of the site",
                details={"site": str(site)},
            ) from exc
        if not addresses:
            raise SiteInvalid(f"{site.host} has no address", details={"site": str(site)})
    for address in addresses:
        reason = blocked_reason(address)
        if reason is not None:
            raise SiteNotAllowed(
                f"{site.host} leads to a private or reserved network ({reason}); only "
                "ConnectWise sites on the public internet can be used",
                details={"site": str(site)},
            )


async def validate_site(raw: str, settings: Settings, *, resolver: Resolver | None = None) -> Site:
    """All four checks; the returned site is what to store and connect to."""
    site = parse_site(raw)
    check_allowed_host(site, settings.allowed_host_patterns)
    if settings.cw_allow_private:
        return site
    check_port(site)
    await check_addresses(
        site,
        default_port=_HTTPS_PORT if settings.cw_scheme == "https" else 80,
        resolver=resolver or system_resolver,
        resolve_seconds=settings.cw_lookup_timeout_seconds,
    )
    return site

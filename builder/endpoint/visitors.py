"""Who is asking: the client IP (trusting proxy headers only from trusted proxies), a daily visitor hash,
bots."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from .settings import IPNetwork

# Substrings of user agents that are not people: crawlers, previewers, HTTP libraries, headless browsers.
_BOT_RE = re.compile(
    r"bot|crawl|spider|slurp|archiver|scrap|fetch|monitor|preview|checker|validator|headless|phantomjs|"
    r"lighthouse|pingdom|uptime|curl|wget|python-|httpx|aiohttp|okhttp|go-http|java/|libwww|node-fetch|axios|"
    r"facebookexternalhit|embedly|whatsapp|slack|discord|telegram|skypeuripreview|bingpreview|google-read-aloud",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    """True for an empty user agent or one that names a crawler, previewer, tool or library."""
    return not user_agent.strip() or bool(_BOT_RE.search(user_agent))


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_ip(
    peer: str | None,
    headers: Mapping[str, str],
    trusted_proxies: tuple[IPNetwork, ...],
    *,
    proxy_verified: bool,
) -> str:
    """The visitor's IP. Proxy headers count only when the peer is a trusted proxy (or Netlify's signature
    checked)."""
    peer_ip = _parse_ip(peer or "")
    trusted = proxy_verified or (peer_ip is not None and _trusted(peer_ip, trusted_proxies))
    if trusted:
        netlify = _parse_ip(headers.get("x-nf-client-connection-ip", "")[:64])
        if netlify is not None:
            return str(netlify)
        forwarded = headers.get("x-forwarded-for", "")[:1024]
        # right to left: the first address not one of our proxies is the client (left entries are
        # client-written)
        for entry in reversed([part for part in forwarded.split(",") if part.strip()][-20:]):
            address = _parse_ip(entry)
            if address is None:
                break
            if not _trusted(address, trusted_proxies):
                return str(address)
    return str(peer_ip) if peer_ip is not None else "0.0.0.0"  # noqa: S104 (a value, not a bind address)


def visitor_hash(salt: str, ip: str, user_agent: str) -> str:
    """Same visitor, same day: same hash; next day (new salt, old one erased): unlinkable."""
    return hashlib.sha256(f"{salt}\x00{ip}\x00{user_agent}".encode()).hexdigest()[:32]


def referrer_host(referer: str | None) -> str:
    if not referer:
        return ""
    try:
        host = urlsplit(referer[:2048]).hostname or ""
    except ValueError:
        return ""
    host = host.lower()
    return host if re.fullmatch(r"[a-z0-9.\-]{1,253}", host) else ""

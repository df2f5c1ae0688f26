"""Which URLs a webhook may point at: http(s) only; no private addresses when so configured."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from rolodex.core.errors import Invalid

MAX_LENGTH = 2048
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def check_shape(url: str, *, field: str = "url") -> str:
    """An absolute http(s) URL with a host; answers it trimmed."""
    url = url.strip()
    if len(url) > MAX_LENGTH:
        raise Invalid.field(field, f"longer than {MAX_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise Invalid.field(field, "not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid.field(field, "must be an http or https URL with a host")
    return url


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


async def blocked_reason(url: str) -> str | None:
    """Why the URL's host is a loopback or private address, or None (also when unresolvable)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    try:
        return f"{host} is a private or loopback address" if _private(host) else None
    except ValueError:
        pass  # a name, not an address: resolve it
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None  # unresolvable now; the delivery will fail (and be checked again) then
    for info in infos:
        address = str(info[4][0])
        if _private(address):
            return f"{host} resolves to the private or loopback address {address}"
    return None


async def check(url: str, *, deny_private: bool, field: str = "url") -> str:
    """A URL a webhook may use (400 otherwise); answers it trimmed."""
    url = check_shape(url, field=field)
    if deny_private and (reason := await blocked_reason(url)):
        raise Invalid.field(field, f"{reason}; ROLODEX_WEBHOOK_DENY_PRIVATE forbids it")
    return url

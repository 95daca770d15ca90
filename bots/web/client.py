"""Who is on the other end of a request, when a reverse proxy may stand in between.

Behind nginx or a tunnel every connection comes from the proxy, so limits keyed on the
connecting address would make all visitors one. `Forwarded` and `X-Forwarded-For` name
the real client, but anyone can send them: they are read only when the connection comes
from a configured trusted proxy, and only as far back as the chain stays trusted (the
right-most entry was added by our proxy; what the client wrote is further left).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]+)', re.IGNORECASE)


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`["127.0.0.1", "10.0.0.0/8", "::1"]` as networks; raises ValueError on a bad one."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def client_address(request: web.Request, trusted: tuple[Network, ...]) -> str:
    """The first address, walking back from the connection, that is not a trusted proxy."""
    address = request.remote or "?"
    if not is_trusted(address, trusted):
        return address
    for hop in reversed(_forwarded_chain(request)):
        if not is_trusted(hop, trusted):
            return hop
        address = hop
    return address


def _forwarded_chain(request: web.Request) -> list[str]:
    """Client first, nearest proxy last; `Forwarded` (RFC 7239) wins over X-Forwarded-For."""
    forwarded = request.headers.getall("Forwarded", [])
    if forwarded:
        return [
            _bare(match.group(1))
            for header in forwarded
            for element in header.split(",")
            if (match := _FOR.search(element))
        ]
    return [
        _bare(part)
        for header in request.headers.getall("X-Forwarded-For", [])
        for part in header.split(",")
        if part.strip()
    ]


def _bare(value: str) -> str:
    """`"[2001:db8::1]:4711"` → `2001:db8::1`, `1.2.3.4:80` → `1.2.3.4`; others as written."""
    value = value.strip().strip('"')
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # "unknown", an obfuscated name: it cannot be a proxy we know
    return any(ip in network for network in trusted)

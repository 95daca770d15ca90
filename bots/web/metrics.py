"""`GET /metrics`: this process's figures in Prometheus's text format, for whoever may see them.

Who may: a scraper on this machine, or one that shows `[metrics] token`. "On this
machine" is the connection's own peer address, never a header: `X-Forwarded-For` is
anyone's to write. A loopback connection that carries `Forwarded` or `X-Forwarded-For`
came through a reverse proxy on this machine, on behalf of someone else, so it is treated
like any outside request. Everyone else gets 403 (with a token configured, a missing or
wrong one gets 401 and `WWW-Authenticate: Bearer`), so a public address never shows how
much a store sells.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import socket
from enum import Enum

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bots.runtime.metrics import Metrics


class Access(Enum):
    ALLOWED = "allowed"
    NEEDS_TOKEN = "needs_token"  # a token would do: 401
    REFUSED = "refused"  # nothing would: 403


def peer_address(request: web.Request) -> str | None:
    """The connecting socket's address, whatever the headers say."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    sock = transport.get_extra_info("socket") if transport is not None else None
    if isinstance(sock, socket.socket) and sock.family == socket.AF_UNIX:
        return "unix"  # a Unix socket is only reachable from this machine
    return None


def is_loopback(address: str | None) -> bool:
    if address == "unix":
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def access(request: web.Request, token: str | None) -> Access:
    """Whether `request` may read the metrics (see the module's docstring)."""
    proxied = "Forwarded" in request.headers or "X-Forwarded-For" in request.headers
    if is_loopback(peer_address(request)) and not proxied:
        return Access.ALLOWED
    if token is None:
        return Access.REFUSED
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return Access.ALLOWED
    return Access.NEEDS_TOKEN


class MetricsPage:
    """The `/metrics` route, as one more page of the bot's web app."""

    def __init__(self, metrics: Metrics, token: str | None = None) -> None:
        self.metrics = metrics
        self.token = token

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.serve)

    async def serve(self, request: web.Request) -> web.Response:
        allowed = access(request, self.token)
        if allowed is Access.NEEDS_TOKEN:
            return web.Response(
                status=401,
                text="metrics need Authorization: Bearer <[metrics] token>\n",
                headers={"WWW-Authenticate": 'Bearer realm="vivo metrics"'},
            )
        if allowed is Access.REFUSED:
            return web.Response(
                status=403, text="metrics are served to this machine only ([metrics] token)\n"
            )
        body = await asyncio.to_thread(self.metrics.exposition)  # reads the store
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        response.headers["Cache-Control"] = "no-store"
        return response

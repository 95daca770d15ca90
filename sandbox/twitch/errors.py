"""Twitch's two error shapes: Helix's `{"error", "status", "message"}` and OAuth's.

Helix answers every failure with that JSON envelope, `error` being the HTTP reason phrase
(`"Bad Request"`, `"Conflict"`, …), whatever went wrong: a bad parameter, an unknown path, a
body that is not JSON. `helix_errors` makes that true for the stand-in too, so a client never
sees aiohttp's text pages or a bare 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)


def _error(status: int, message: str) -> web.Response:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    body = {"error": reason, "status": status, "message": message}
    return web.json_response(body, status=status)


def _oauth_error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


def helix_errors(prefix: str) -> Middleware:
    """A middleware that turns any failure under `prefix` into Helix's error envelope."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(prefix):
            return await handler(request)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _error(exc.status, exc.reason)
        except Exception:
            log.exception("twitch stand-in: Helix handler failed on %s", request.path)
            return _error(500, "Internal Server Error")

    return middleware

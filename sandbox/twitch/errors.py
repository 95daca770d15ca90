"""Twitch's two error shapes: Helix's `{"error", "status", "message"}` and OAuth's."""

from __future__ import annotations

from aiohttp import web


def _error(status: int, message: str) -> web.Response:
    reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    body = {"error": reasons.get(status, "Error"), "status": status, "message": message}
    return web.json_response(body, status=status)


def _oauth_error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)

"""JSON answers the way discord.py needs them: exactly `application/json`, Discord's error body."""

from __future__ import annotations

import json

from aiohttp import web


def _json(data: object, status: int = 200) -> web.Response:
    # Exactly `application/json`: discord.py reads anything else (even with a charset) as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def _error(status: int, message: str, code: int = 0) -> web.Response:
    return _json({"message": message, "code": code}, status)

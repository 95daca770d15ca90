"""MercadoPago's answers: JSON with its money numbers, and its documented error bodies."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_dumps = partial(json.dumps, default=_json_default)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def mp_error(
    status: int, message: str, error: str, causes: list[dict[str, Any]] | None = None
) -> web.Response:
    """An error body the way MercadoPago's API shapes them."""
    body = {"message": message, "error": error, "status": status, "cause": causes or []}
    return web.json_response(body, status=status)


async def _read_json(request: web.Request) -> Any:
    text = await request.text()
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return None


def _payment_not_found() -> web.Response:
    cause = [{"code": 2000, "description": "Payment not found", "data": None}]
    return mp_error(404, "Payment not found", "not_found", cause)

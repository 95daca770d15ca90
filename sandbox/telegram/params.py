"""Reading Bot API parameters the three ways Telegram accepts them: query string, form, JSON.

Object-typed parameters (`reply_markup`, `entities`, `allowed_updates`…) arrive as JSON text in
forms and already decoded in JSON bodies; these helpers hide that difference and refuse bad
values with Telegram's own error descriptions.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.telegram.errors import _bad


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters from the query string, a form or a JSON body, as Telegram accepts."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise _bad("can't parse JSON object") from error
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _str(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _int(params: dict[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise _bad(f"invalid {key} specified") from error


def _bool(params: dict[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1")


def _json_param(params: dict[str, Any], key: str) -> Any:
    """A parameter of an object type: JSON text in forms, already decoded in JSON bodies."""
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise _bad(f"can't parse {key} JSON object") from error
    return value


def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = _json_param(params, "reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad("can't parse inline keyboard button: Text buttons are unallowed")
            kinds = [k for k in ("callback_data", "url") if k in button]
            if len(kinds) != 1:
                raise _bad("can't parse inline keyboard button: a button must have one action")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}

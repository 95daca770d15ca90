"""The sandbox's chat page: Twitch, YouTube, Discord and Telegram side by side, in a browser.

Typing in a pane calls that platform's control API (`/_sandbox/<platform>/say`, `press`,
`slash`…), so every line goes through the stand-in and the real adapter exactly as a test's
would; the page has no way into the bot but the platforms themselves. What the bot sent
back comes from `GET /_sandbox/feed`, a Server-Sent Events stream that reads each
stand-in's public `sent` record and turns it into one plain shape the page can draw the
way each platform does (mentions, Discord's ephemeral notes, Telegram's inline buttons).

The feed's event ids are cursors (`telegram:3,discord:0,…`): a page that reconnects picks
up where it left off, and a fresh page gets the conversation so far.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, Protocol

from aiohttp import web

FEED = "/_sandbox/feed"
INFO = "/_sandbox/chat/info"
STATIC = "/_sandbox/chat/static"
PLATFORMS = ("twitch", "youtube", "discord", "telegram")
POLL_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0
STATIC_FILES = {"chat.css": "text/css", "chat.js": "text/javascript"}
_DISCORD_MENTION = re.compile(r"<@!?(\d+)>")

Entry = dict[str, Any]


class Records(Protocol):
    """What the page reads of a stand-in: the list of everything the bot sent there."""

    sent: list[Entry]


# -- one shape for what every platform's bot said ------------------------------------------
# Each function gets one `sent` record and returns the line to draw, or None for records
# that are not chat lines (Discord's autocomplete answers, a "thinking…" placeholder).


def telegram_line(entry: Entry, standin: Any) -> Entry | None:
    method = entry.get("method")
    if method == "answerCallbackQuery":
        text = entry.get("text")
        return {"kind": "toast", "text": text} if text else None
    if method not in ("sendMessage", "editMessageText"):
        return None
    chat_id = int(entry["chat_id"])
    line: Entry = {
        "kind": "edit" if method == "editMessageText" else "message",
        "chat": "private" if chat_id > 0 else "group",
        "chat_id": chat_id,
        "message_id": entry.get("message_id"),
        "text": entry.get("text", ""),
        "entities": entry.get("entities", []),
        "buttons": _telegram_buttons(entry.get("reply_markup")),
    }
    if chat_id > 0:
        user = getattr(standin, "users", {}).get(chat_id, {})
        line["to"] = user.get("first_name", str(chat_id))
    return line


def _telegram_buttons(markup: Mapping[str, Any] | None) -> list[Entry]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [
        {"text": b.get("text", ""), "url": b.get("url"), "data": b.get("callback_data")}
        for row in rows
        for b in row
    ]


def discord_line(entry: Entry, standin: Any) -> Entry | None:
    kind = entry.get("kind")
    content = entry.get("content")
    if kind in ("deferred", "autocomplete") or not content:
        return None
    names = {str(user.id): user.name for user in getattr(standin, "users", {}).values()}
    text = _DISCORD_MENTION.sub(lambda m: "@" + names.get(m.group(1), "desconocido"), content)
    line: Entry = {"kind": "message", "text": text, "channel": entry.get("channel")}
    line["buttons"] = [
        {"text": button.get("label", ""), "message_id": entry.get("id")}
        for row in entry.get("components") or []
        for button in row.get("components", [])
        if button.get("type") == 2 and button.get("label")
    ]
    if kind == "dm":
        line.update(kind="private", to=entry.get("user"))
    elif kind in ("interaction", "followup"):
        line.update(kind="ephemeral" if entry.get("ephemeral") else "message")
        line["to"] = entry.get("user")
        line["slash"] = True
    return line


def twitch_line(entry: Entry, standin: Any) -> Entry | None:
    line: Entry = {"kind": "message", "text": entry.get("message", "")}
    line["sender"] = entry.get("sender")
    if not entry.get("is_sent", True):
        line["dropped"] = entry.get("drop_reason") or "dropped"
    return line


def youtube_line(entry: Entry, standin: Any) -> Entry | None:
    return {"kind": "message", "text": entry.get("text", "")}


LINES: dict[str, Callable[[Entry, Any], Entry | None]] = {
    "twitch": twitch_line,
    "youtube": youtube_line,
    "discord": discord_line,
    "telegram": telegram_line,
}


def parse_cursor(text: str | None) -> dict[str, int]:
    """`telegram:3,discord:0` → positions in each stand-in's `sent`; junk counts as zero."""
    cursor: dict[str, int] = {}
    for part in (text or "").split(","):
        name, _, number = part.partition(":")
        if name in PLATFORMS and number.isdigit():
            cursor[name] = int(number)
    return cursor


def format_cursor(cursor: Mapping[str, int]) -> str:
    return ",".join(f"{name}:{cursor.get(name, 0)}" for name in PLATFORMS)


class ChatPage:
    """Mounted by the Sandbox like a stand-in, reading the stand-ins from its attributes.

    They are looked up on every request (`sandbox.youtube` may be added later, or never: its
    pane then says "not connected"). `links` are shown in the page's header; the demo puts
    the bot's overlay there.
    """

    name = "chatpage"

    def __init__(self, sandbox: object) -> None:
        self.sandbox = sandbox
        self.links: dict[str, str] = {}
        self._closing = False

    @property
    def standins(self) -> dict[str, Records | None]:
        return {name: getattr(self.sandbox, name, None) for name in PLATFORMS}

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_get(FEED, self._feed)
        app.router.add_get(INFO, self._info)
        app.router.add_get(STATIC + "/{name}", self._static)

    async def close(self) -> None:
        self._closing = True  # open feeds end, so the server stops without waiting on them

    def connected(self) -> list[str]:
        return [name for name, standin in self.standins.items() if standin is not None]

    def lines_since(self, cursor: dict[str, int]) -> list[tuple[str, Entry]]:
        """New chat lines after `cursor` (advanced in place), each with the cursor after it."""
        out: list[tuple[str, Entry]] = []
        for name, standin in self.standins.items():
            if standin is None:
                continue
            records = standin.sent
            start = min(cursor.get(name, 0), len(records))
            for index in range(start, len(records)):
                cursor[name] = index + 1
                line = LINES[name](records[index], standin)
                if line is not None:
                    out.append((format_cursor(cursor), {"platform": name, **line}))
            cursor[name] = max(cursor.get(name, 0), len(records))
        return out

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=_static_text("chat.html"), content_type="text/html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(text=_static_text(name), content_type=STATIC_FILES[name])

    async def _info(self, request: web.Request) -> web.Response:
        """Which panes have a stand-in behind them, and what each pane needs to show."""
        standins = self.standins
        info: dict[str, Any] = {
            name: {"connected": standins[name] is not None} for name in PLATFORMS
        }
        telegram = standins["telegram"]
        if telegram is not None:
            info["telegram"].update(
                bot=getattr(telegram, "bot_username", "bot"),
                privacy=bool(getattr(telegram, "privacy_mode", True)),
            )
        return web.json_response({"platforms": info, "links": self.links})

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        cursor = parse_cursor(request.headers.get("Last-Event-ID") or request.query.get("cursor"))
        await response.write(b"retry: 1000\n\n")
        idle = 0.0
        try:
            while not self._closing and _open(request):
                lines = self.lines_since(cursor)
                for event_id, line in lines:
                    data = json.dumps(line, ensure_ascii=False)
                    await response.write(f"id: {event_id}\ndata: {data}\n\n".encode())
                if lines:
                    idle = 0.0
                elif idle >= KEEPALIVE_SECONDS:
                    await response.write(b": keepalive\n\n")
                    idle = 0.0
                await asyncio.sleep(POLL_SECONDS)
                idle += POLL_SECONDS
        except ConnectionResetError:
            pass  # the page was closed
        return response


def _open(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _static_text(name: str) -> str:
    return (resources.files("sandbox") / "static" / name).read_text("utf-8")

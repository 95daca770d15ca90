"""The gateway websocket at `/discord/gateway`, as discord.py connects to it.

HELLO, heartbeats, IDENTIFY → READY and GUILD_CREATE, sequenced dispatches filtered by
intents, zlib-stream compression, and RESUME replaying what a dropped connection missed.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import zlib
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.discord.constants import (
    HEARTBEAT_MS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RESUME,
    PREFIX,
)
from sandbox.discord.models import _Session
from sandbox.discord.payloads import Payloads


class Gateway(Payloads):
    """Gateway sessions and dispatching events to them."""

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.counters["connections"] += 1
        deflate = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        resume_url = f"ws://{request.host}{PREFIX}/gateway"
        await self._send(ws, deflate, {"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_MS}})
        session: _Session | None = None
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op, data = payload.get("op"), payload.get("d")
                if op == OP_HEARTBEAT:
                    self.counters["heartbeats"] += 1
                    await self._send(ws, deflate, {"op": OP_HEARTBEAT_ACK})
                elif op == OP_IDENTIFY:
                    if not self._token_ok(f"Bot {data.get('token', '')}"):
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    self.counters["identify"] += 1
                    session = await self._identify(ws, deflate, data, resume_url)
                elif op == OP_RESUME:
                    session = await self._resume(ws, deflate, data)
                    if session is None:
                        continue
                    self.counters["resume"] += 1
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, deflate: Any, data: dict[str, Any], resume_url: str
    ) -> _Session:
        session = _Session(secrets.token_hex(16), int(data.get("intents", 0)), deflate=deflate)
        self.sessions[session.id] = session
        ready = {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": resume_url,
            "application": {"id": self.application_id, "flags": 1 << 19},
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        async with session.lock:
            session.ws = ws
        await self._dispatch_to(session, "READY", ready)
        if session.intents & INTENT_GUILDS:
            await self._dispatch_to(session, "GUILD_CREATE", self._guild(session.intents))
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, deflate: Any, data: dict[str, Any]
    ) -> _Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not self._token_ok(f"Bot {data.get('token', '')}"):
            await self._send(ws, deflate, {"op": OP_INVALID_SESSION, "d": False})
            return None
        last = int(data.get("seq") or 0)
        async with session.lock:
            session.ws, session.deflate = ws, deflate
            for frame in session.log:
                if frame["s"] > last:
                    await self._send(ws, deflate, frame)
            session.seq += 1
            await self._send(ws, deflate, {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})
        return session

    async def _send(self, ws: web.WebSocketResponse, deflate: Any, frame: dict[str, Any]) -> None:
        frame = {"s": None, "t": None, **frame}
        text = json.dumps(frame)
        with contextlib.suppress(ConnectionError, RuntimeError):
            if deflate is None:
                await ws.send_str(text)
            else:
                await ws.send_bytes(
                    deflate.compress(text.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH)
                )

    async def _dispatch_to(self, session: _Session, event: str, data: dict[str, Any]) -> int:
        async with session.lock:
            session.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
            session.log.append(frame)
            del session.log[: -self.log_size]
            if session.ws is not None and not session.ws.closed:
                await self._send(session.ws, session.deflate, frame)
            return session.seq

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Deliver to every session whose intents ask for it (kept for RESUME if it is away)."""
        for session in list(self.sessions.values()):
            shaped = self._for_intents(session.intents, event, data)
            if shaped is not None:
                await self._dispatch_to(session, event, shaped)

    def _for_intents(self, intents: int, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if event != "MESSAGE_CREATE":
            return data
        in_guild = "guild_id" in data
        if not intents & (INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES):
            return None
        mentioned = any(m.get("id") == self.bot.id for m in data.get("mentions", []))
        own = data.get("author", {}).get("id") == self.bot.id
        if in_guild and not (intents & INTENT_MESSAGE_CONTENT or mentioned or own):
            # Without the message content intent Discord sends guild messages with no content.
            return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
        return data

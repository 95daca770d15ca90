"""The gateway websocket at `/discord/gateway`, as Discord's documentation describes it.

HELLO, heartbeats, IDENTIFY → READY and GUILD_CREATE, sequenced dispatches filtered by
intents, zlib-stream transport compression or (IDENTIFY `compress: true`) zlib payload
compression, RESUME replaying what a dropped connection missed, and member chunks. Client
payloads arrive as text or binary JSON; a payload Discord would refuse closes the connection
with its documented code instead of being ignored.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import zlib
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.discord.constants import (
    CLIENT_OPS,
    CLOSE_ALREADY_AUTHENTICATED,
    CLOSE_AUTHENTICATION_FAILED,
    CLOSE_DECODE_ERROR,
    CLOSE_INVALID_INTENTS,
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_UNKNOWN_OPCODE,
    HEARTBEAT_MS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    MAX_CLIENT_PAYLOAD,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_REQUEST_GUILD_MEMBERS,
    OP_RESUME,
    PREFIX,
)
from sandbox.discord.models import _Session
from sandbox.discord.payloads import Payloads


class _Refused(Exception):
    """A client payload Discord answers by closing the connection with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _decode(frame: Any) -> dict[str, Any]:
    """A client payload: JSON text, in a text or a binary frame (both are accepted)."""
    data = frame.data if frame.type == WSMsgType.BINARY else str(frame.data).encode()
    if len(data) > MAX_CLIENT_PAYLOAD:
        raise _Refused(CLOSE_DECODE_ERROR, "Payload too large.")
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise _Refused(CLOSE_DECODE_ERROR, "Error while decoding payload.") from None
    if not isinstance(payload, dict):
        raise _Refused(CLOSE_DECODE_ERROR, "Error while decoding payload.")
    op = payload.get("op")
    if isinstance(op, bool) or op not in CLIENT_OPS:
        raise _Refused(CLOSE_UNKNOWN_OPCODE, "Unknown opcode.")
    if op in (OP_IDENTIFY, OP_RESUME, OP_REQUEST_GUILD_MEMBERS) and not isinstance(
        payload.get("d"), dict
    ):
        raise _Refused(CLOSE_UNKNOWN_OPCODE, "Invalid payload for this opcode.")
    return payload


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
                if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break  # an error on the socket; closing frames end the loop themselves
                try:
                    session = await self._receive(ws, deflate, frame, session, resume_url)
                except _Refused as refused:
                    await ws.close(code=refused.code, message=refused.reason.encode())
                    break
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _receive(
        self,
        ws: web.WebSocketResponse,
        deflate: Any,
        frame: Any,
        session: _Session | None,
        resume_url: str,
    ) -> _Session | None:
        """Read one client frame and act on it; the connection's session afterwards."""
        payload = _decode(frame)
        try:
            return await self._act(ws, deflate, payload, session, resume_url)
        except (TypeError, ValueError):  # a field of the wrong type, e.g. `"intents": "all"`
            raise _Refused(CLOSE_UNKNOWN_OPCODE, "Invalid payload for this opcode.") from None

    async def _act(
        self,
        ws: web.WebSocketResponse,
        deflate: Any,
        payload: dict[str, Any],
        session: _Session | None,
        resume_url: str,
    ) -> _Session | None:
        op = payload["op"]
        # `_decode` saw to it that the opcodes reading `d` here have an object there.
        data: dict[str, Any] = payload["d"] if isinstance(payload.get("d"), dict) else {}
        if op == OP_HEARTBEAT:
            self.counters["heartbeats"] += 1
            await self._send(ws, deflate, {"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            if session is not None:
                raise _Refused(CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            if not self._token_ok(f"Bot {data.get('token', '')}"):
                raise _Refused(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            intents = data.get("intents", 0)
            if isinstance(intents, bool) or not isinstance(intents, int) or intents < 0:
                raise _Refused(CLOSE_INVALID_INTENTS, "Invalid intent(s).")
            self.counters["identify"] += 1
            return await self._identify(ws, deflate, data, resume_url)
        elif op == OP_RESUME:
            if session is not None:
                raise _Refused(CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            resumed = await self._resume(ws, deflate, data)
            if resumed is not None:
                self.counters["resume"] += 1
            return resumed
        elif session is None:
            raise _Refused(CLOSE_NOT_AUTHENTICATED, "Not authenticated.")
        elif op == OP_REQUEST_GUILD_MEMBERS:
            await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", self._members_chunk(data))
        # Presence, voice state and soundboard requests are accepted; a bot gets no answer.
        return session

    def _members_chunk(self, data: dict[str, Any]) -> dict[str, Any]:
        """GUILD_MEMBERS_CHUNK for Request Guild Members: by `user_ids`, or a name `query`."""
        people = [self.bot, *self.users.values()]
        chunk: dict[str, Any] = {"guild_id": self.guild_id, "chunk_index": 0, "chunk_count": 1}
        wanted = data.get("user_ids")
        if wanted is not None:
            ids = {str(i) for i in (wanted if isinstance(wanted, list) else [wanted])}
            found = [u for u in people if u.id in ids]
            chunk["not_found"] = sorted(ids - {u.id for u in found})
        else:
            query = str(data.get("query") or "").casefold()
            found = [u for u in people if u.name.casefold().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                found = found[:limit]
        chunk["members"] = [self._member(u) for u in found]
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        return chunk

    async def _identify(
        self, ws: web.WebSocketResponse, deflate: Any, data: dict[str, Any], resume_url: str
    ) -> _Session:
        session = _Session(
            secrets.token_hex(16),
            int(data.get("intents", 0)),
            deflate=deflate,
            payload_compression=data.get("compress") is True,
        )
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
                    await self._send_to(session, frame)
            session.seq += 1
            await self._send_to(session, {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})
        return session

    async def _send(
        self,
        ws: web.WebSocketResponse,
        deflate: Any,
        frame: dict[str, Any],
        *,
        compress_payload: bool = False,
    ) -> None:
        """Send one payload: zlib-stream when the URL asked for it (one shared context, each
        payload ending in a sync flush); else, with payload compression on, a whole zlib
        stream per payload (never shared); else text."""
        frame = {"s": None, "t": None, **frame}
        text = json.dumps(frame)
        with contextlib.suppress(ConnectionError, RuntimeError):
            if deflate is not None:
                await ws.send_bytes(
                    deflate.compress(text.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH)
                )
            elif compress_payload:
                await ws.send_bytes(zlib.compress(text.encode()))
            else:
                await ws.send_str(text)

    async def _send_to(self, session: _Session, frame: dict[str, Any]) -> None:
        """Send to the session's socket. With payload compression Discord compresses only
        some payloads: here the dispatches, while heartbeat ACKs and the like stay text."""
        assert session.ws is not None
        compress = session.payload_compression and frame.get("op") == OP_DISPATCH
        await self._send(session.ws, session.deflate, frame, compress_payload=compress)

    async def _dispatch_to(self, session: _Session, event: str, data: dict[str, Any]) -> int:
        async with session.lock:
            session.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
            session.log.append(frame)
            del session.log[: -self.log_size]
            if session.ws is not None and not session.ws.closed:
                await self._send_to(session, frame)
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

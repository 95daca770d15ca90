"""The EventSub websocket at `/twitch/ws`: welcome, keepalive, notification, reconnect.

Sessions, delivering notifications to matching subscriptions, Twitch's reconnect dance
(optionally holding the new welcome), and dropping connections like a network failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.twitch.models import Session, Subscription, _now_iso
from sandbox.twitch.payloads import Payloads
from sandbox.twitch.world import PREFIX

RECONNECT_GRACE_SECONDS = 30.0


class EventSub(Payloads):
    """The websocket side of EventSub, and delivery of events to it."""

    def _matches(self, subscription: Subscription, event: dict[str, Any]) -> bool:
        wanted = subscription.condition.get("broadcaster_user_id")
        return wanted is None or wanted == event.get("broadcaster_user_id")

    async def deliver(self, kind: str, event: dict[str, Any]) -> int:
        """Send one notification per matching subscription; returns how many went out."""
        delivered = 0
        for subscription in list(self.subscriptions.values()):
            if subscription.type != kind or not self._matches(subscription, event):
                continue
            session = self.sessions.get(subscription.session_id)
            if subscription.status != "enabled" or session is None or not session.open:
                continue
            message = {
                "metadata": {
                    "message_id": str(uuid.uuid4()),
                    "message_type": "notification",
                    "message_timestamp": _now_iso(),
                    "subscription_type": kind,
                    "subscription_version": subscription.version,
                },
                "payload": {"subscription": subscription.as_json(), "event": event},
            }
            if await self._send(session, message):
                delivered += 1
        if not delivered:
            self.undelivered.append({"type": kind, "event": event})
        return delivered

    async def _send(self, session: Session, message: dict[str, Any]) -> bool:
        async with session.lock:
            return await self._write(session, message)

    async def _write(self, session: Session, message: dict[str, Any]) -> bool:
        """Send on the socket; the caller holds `session.lock`."""
        if not session.open or session.ws.closed:
            return False
        try:
            await session.ws.send_str(json.dumps(message))
        except (ConnectionError, RuntimeError):
            return False
        session.last_sent = time.monotonic()
        return True

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            keepalive = min(600, max(10, int(request.query.get("keepalive_timeout_seconds", 10))))
        except ValueError:
            keepalive = 10
        scheme = "wss" if request.secure else "ws"
        session = Session(
            id=uuid.uuid4().hex,
            ws=ws,
            transport=request.transport,
            reconnect_url_base=f"{scheme}://{request.host}{PREFIX}/ws",
            keepalive=keepalive,
            connected_at=_now_iso(),
        )
        self.sessions[session.id] = session
        old = self.sessions.get(request.query.get("reconnect_id", ""))
        if old is not None and self._welcome_hold is not None:
            await self._welcome_hold.wait()
        async with session.lock:
            # Twitch sends events on the old connection up to the welcome on the new one:
            # moving the subscriptions under the new session's lock means no event reaches
            # the new connection before its welcome, and none goes to the old one after it.
            if old is not None:
                for subscription in self.subscriptions.values():
                    if subscription.session_id == old.id:
                        subscription.session_id = session.id
            await self._write(session, self._session_message("session_welcome", session))
        session.tasks.append(asyncio.get_running_loop().create_task(self._keepalive(session)))
        try:
            async for frame in ws:
                if frame.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await ws.close(code=4001, message=b"Client sent inbound traffic")
                    break
        finally:
            await self._close_session(session, None, "")
        return ws

    def _session_message(self, kind: str, session: Session) -> dict[str, Any]:
        reconnecting = kind == "session_reconnect"
        return {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": kind,
                "message_timestamp": _now_iso(),
            },
            "payload": {
                "session": {
                    "id": session.id,
                    "status": "reconnecting" if reconnecting else "connected",
                    "keepalive_timeout_seconds": None if reconnecting else session.keepalive,
                    "reconnect_url": (
                        f"{session.reconnect_url_base}?reconnect_id={session.id}"
                        if reconnecting
                        else None
                    ),
                    "recovery_url": None,
                    "connected_at": session.connected_at,
                }
            },
        }

    async def _keepalive(self, session: Session) -> None:
        while session.open:
            await asyncio.sleep(session.keepalive / 2)
            if time.monotonic() - session.last_sent >= session.keepalive / 2:
                keepalive = {
                    "metadata": {
                        "message_id": str(uuid.uuid4()),
                        "message_type": "session_keepalive",
                        "message_timestamp": _now_iso(),
                    },
                    "payload": {},
                }
                await self._send(session, keepalive)

    async def _close_session(self, session: Session, code: int | None, reason: str) -> None:
        if session.open:
            session.open = False
            for subscription in self.subscriptions.values():
                if subscription.session_id == session.id:
                    subscription.status = "websocket_disconnected"
        for task in session.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if code is not None and not session.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.close(code=code, message=reason.encode())
        self.sessions.pop(session.id, None)

    async def reconnect(self, *, hold_welcome: bool = False) -> int:
        """Ask every client to move to a new connection, as Twitch does before maintenance.

        With `hold_welcome`, the new connections get their welcome only at `release_welcome()`;
        until then events keep going to the old ones, as they do on Twitch while a slow
        reconnect is in progress.
        """
        if hold_welcome and self._welcome_hold is None:
            self._welcome_hold = asyncio.Event()
        count = 0
        for session in list(self.sessions.values()):
            if session.open and await self._send(
                session, self._session_message("session_reconnect", session)
            ):
                count += 1
                self._spawn(self._expire_old(session))
        return count

    def release_welcome(self) -> None:
        """Welcome the connections a `reconnect(hold_welcome=True)` kept waiting."""
        if self._welcome_hold is not None:
            self._welcome_hold.set()
            self._welcome_hold = None

    async def _expire_old(self, session: Session) -> None:
        await asyncio.sleep(RECONNECT_GRACE_SECONDS)
        if session.open:
            await self._close_session(session, 4004, "Reconnect grace time expired")

    async def drop(self) -> int:
        """Cut every connection without a close handshake, like a network failure."""
        count = 0
        for session in list(self.sessions.values()):
            transport = session.transport
            session.open = False
            for subscription in self.subscriptions.values():
                if subscription.session_id == session.id:
                    subscription.status = "websocket_disconnected"
            if isinstance(transport, asyncio.Transport):
                transport.abort()
                count += 1
        return count

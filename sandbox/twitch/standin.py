"""Twitch, played on loopback well enough for twitchio to run unmodified against it.

API (under `/twitch`, Twitch's own paths): OAuth (`/oauth2/token` for client credentials,
refresh and device-code grants, `/oauth2/validate`, `/oauth2/device`), Helix (`/helix/users`,
`/helix/eventsub/subscriptions`, `/helix/chat/messages`, `/helix/moderation/moderators`) and
the EventSub websocket (`/twitch/ws`: welcome, keepalive, notification, reconnect). Payloads
follow Twitch's developer documentation.

Chat limits are enforced the way Twitch does: 20 messages per 30 seconds per sender and
channel, 100 when the sender is the broadcaster or a moderator. A message over the limit is
dropped (`is_sent: false`, `msg_ratelimit`), recorded as a violation, and the sender is
blocked for `block_seconds`. The control API (under `/_sandbox/twitch`) makes viewers speak
and cheer, injects raw notifications, forces reconnects (optionally holding the new
connections' welcome until `release`, so events meanwhile go to the old ones) and drops,
mints tokens, approves device codes and reports what the bot sent.

The pieces live in sibling modules; this one puts them together and mounts their routes.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.twitch.control import CONTROL, Control
from sandbox.twitch.errors import _error, helix_errors
from sandbox.twitch.helix import Helix
from sandbox.twitch.oauth import OAuth
from sandbox.twitch.world import PREFIX


class TwitchStandIn(Control, Helix, OAuth):
    """Start it inside `sandbox.app.Sandbox`, or mount it with `setup(app)` on any aiohttp app."""

    name = "twitch"

    def setup(self, app: web.Application) -> None:
        app.middlewares.append(helix_errors(f"{PREFIX}/helix/"))
        r = app.router
        r.add_post(f"{PREFIX}/oauth2/token", self._token)
        r.add_get(f"{PREFIX}/oauth2/validate", self._validate)
        r.add_post(f"{PREFIX}/oauth2/device", self._device)
        r.add_post(f"{PREFIX}/oauth2/revoke", self._revoke)
        r.add_get(f"{PREFIX}/activate", self._activate_page)
        r.add_post(f"{PREFIX}/activate", self._activate_form)
        r.add_get(f"{PREFIX}/helix/users", self._users)
        r.add_post(f"{PREFIX}/helix/eventsub/subscriptions", self._subscribe)
        r.add_get(f"{PREFIX}/helix/eventsub/subscriptions", self._list_subscriptions)
        r.add_delete(f"{PREFIX}/helix/eventsub/subscriptions", self._unsubscribe)
        r.add_post(f"{PREFIX}/helix/chat/messages", self._chat_message)
        r.add_get(f"{PREFIX}/helix/moderation/moderators", self._moderators)
        r.add_route("*", PREFIX + "/helix/{path:.*}", self._helix_unknown)
        r.add_get(f"{PREFIX}/ws", self._websocket)
        r.add_post(f"{CONTROL}/say", self._control_say)
        r.add_post(f"{CONTROL}/cheer", self._control_cheer)
        r.add_post(f"{CONTROL}/inject", self._control_inject)
        r.add_get(f"{CONTROL}/sent", self._control_sent)
        r.add_get(f"{CONTROL}/violations", self._control_violations)
        r.add_get(f"{CONTROL}/subscriptions", self._control_subscriptions)
        r.add_post(f"{CONTROL}/reconnect", self._control_reconnect)
        r.add_post(f"{CONTROL}/release", self._control_release)
        r.add_post(f"{CONTROL}/drop", self._control_drop)
        r.add_post(f"{CONTROL}/token", self._control_token)
        r.add_post(f"{CONTROL}/activate", self._control_activate)
        r.add_post(f"{CONTROL}/moderator", self._control_moderator)
        r.add_post(f"{CONTROL}/expire", self._control_expire)

    async def _helix_unknown(self, request: web.Request) -> web.Response:
        return _error(404, f"{request.method} {request.path} is not an endpoint this sandbox has")

    async def close(self) -> None:
        self.release_welcome()
        for session in list(self.sessions.values()):
            await self._close_session(session, 1001, "sandbox stopping")
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

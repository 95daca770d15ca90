"""Discord on loopback, close enough to its documentation for discord.py and hikari to run
unmodified against it.

REST under `/discord/api/v10` (Discord's own paths) and the gateway websocket at
`/discord/gateway`: HELLO, heartbeats, IDENTIFY → READY and GUILD_CREATE, dispatches with
sequence numbers, RESUME with replay of what a dropped connection missed. One guild with
roles, text channels and an owner; viewers appear as members when they speak. Interactions
follow Discord's rules: one initial response within the deadline, followups for 15 minutes,
the first followup after a deferral editing the loading message and keeping its ephemeral
state. Payload shapes follow Discord's developer documentation.

Messages and interaction responses may carry buttons (action rows of message components,
checked against Discord's limits); `press` makes a viewer press one, which arrives as a
message component interaction.

REST answers carry Discord's `X-RateLimit-*` headers and refuse a request over its route's
limit with 429 (see `ratelimits`).

The control API (under `/_sandbox/discord`): `say`, `slash`, `autocomplete`, `press`, `inject`,
`dms`, `drop`, `ratelimit`, and `GET sent`, `commands`, `gateway`.

The pieces live in sibling modules; this one puts them together and mounts their routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.discord.constants import API, PREFIX
from sandbox.discord.control import CONTROL, Control
from sandbox.discord.interactions import Interactions
from sandbox.discord.rest import Rest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# An interaction token takes exactly one callback, so a rate limit there would never bite;
# the route answers without rate limit headers (as hikari, which checks, expects).
UNLIMITED = frozenset({"/interactions/{interaction_id}/{token}/callback"})


class DiscordStandIn(Control, Interactions, Rest):
    """Mount on an aiohttp app; drive it over HTTP, or through the same methods in tests."""

    name = "discord"

    def mount(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{PREFIX}/gateway", self._gateway)
        rest: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/applications/{app_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app_id}/{token}", self._followup),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/@original", self._edit_original),
        ]
        for method, path, handler in rest:
            if path in UNLIMITED:
                r.add_route(method, API + path, handler)
            else:
                r.add_route(method, API + path, self.rate_limits.wrap(method, path, handler))
        r.add_route("*", API + "/{tail:.*}", self._not_found)
        r.add_post(f"{CONTROL}/say", self._control_say)
        r.add_post(f"{CONTROL}/slash", self._control_slash)
        r.add_post(f"{CONTROL}/autocomplete", self._control_autocomplete)
        r.add_post(f"{CONTROL}/press", self._control_press)
        r.add_post(f"{CONTROL}/submit", self._control_submit)
        r.add_post(f"{CONTROL}/inject", self._control_inject)
        r.add_post(f"{CONTROL}/dms", self._control_dms)
        r.add_post(f"{CONTROL}/drop", self._control_drop)
        r.add_post(f"{CONTROL}/ratelimit", self._control_ratelimit)
        r.add_get(f"{CONTROL}/sent", self._control_sent)
        r.add_get(f"{CONTROL}/commands", self._control_commands)
        r.add_get(f"{CONTROL}/gateway", self._control_gateway)

    setup = mount  # the name sandbox.app's Sandbox calls

    async def close(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None:
                await session.ws.close(code=1001)

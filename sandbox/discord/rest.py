"""Discord's REST API under `/discord/api/v10`, except interactions (see `interactions`).

Gateway discovery, the bot's user and application, users, channels and DMs, sending
messages, and registering application commands.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from sandbox.discord.components import check_components
from sandbox.discord.constants import PREFIX
from sandbox.discord.gateway import Gateway
from sandbox.discord.mentions import MentionError, pings
from sandbox.discord.models import _Channel
from sandbox.discord.responses import _error, _json


class Rest(Gateway):
    """The REST handlers."""

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error(404, "404: Not Found")

    async def _get_gateway(self, request: web.Request) -> web.Response:
        url = f"ws://{request.host}{PREFIX}/gateway"
        if request.path.endswith("/bot"):
            if not self._authorized(request):
                return _error(401, "401: Unauthorized")
            limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": url, "shards": 1, "session_start_limit": limit})
        return _json({"url": url})

    async def _get_me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        return _json({**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        return _json(
            {
                "id": self.application_id,
                "name": self.bot.name,
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": secrets.token_hex(32),
                "flags": 1 << 19,
                "owner": self.owner.payload(),
                "team": None,
                "summary": "",
                "bot": self.bot.payload(),
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "event_webhooks_url": None,
                "event_webhooks_status": 1,  # disabled, the default
                "event_webhooks_types": [],
                "approximate_guild_count": 1,  # the one guild the bot is in
                "approximate_user_install_count": 0,
                "approximate_user_authorization_count": 0,
                "integration_types_config": {
                    "0": {  # guild install: the bot and its commands
                        "oauth2_install_params": {
                            "scopes": ["applications.commands", "bot"],
                            "permissions": "2048",
                        }
                    }
                },
            }
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        user = self._user_by_id(request.match_info["user_id"])
        if user is None:
            return _error(404, "Unknown User", 10013)
        return _json(user.payload())

    async def _get_channel(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        channel = self.channels.get(request.match_info["channel_id"])
        if channel is None:
            return _error(404, "Unknown Channel", 10003)
        return _json(channel.payload())

    async def _create_dm(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        body = await request.json()
        user = self._user_by_id(str(body.get("recipient_id")))
        if user is None or user.bot:
            return _error(400, "Invalid Recipient(s)", 50033)
        for channel in self.channels.values():
            if channel.recipient is user:
                return _json(channel.payload())
        channel = _Channel(self._ids(), user.name, None, recipient=user)
        self.channels[channel.id] = channel
        return _json(channel.payload())

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        channel = self.channels.get(request.match_info["channel_id"])
        if channel is None:
            return _error(404, "Unknown Channel", 10003)
        body = await request.json()
        content = str(body.get("content") or "")
        components = body.get("components")
        if not content and not body.get("embeds") and not components:
            return _error(400, "Cannot send an empty message", 50006)
        invalid = check_components(components)
        if invalid is not None:
            return _json(invalid, 400)
        if len(content) > 2000:
            return _json(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {
                        "content": {
                            "_errors": [
                                {
                                    "code": "BASE_TYPE_MAX_LENGTH",
                                    "message": "Must be 2000 or fewer in length.",
                                }
                            ]
                        }
                    },
                },
                400,
            )
        if channel.recipient is not None and not channel.recipient.dms_open:
            return _error(403, "Cannot send messages to this user", 50007)
        reference = self._reference(body.get("message_reference"), channel)
        replied = None
        if reference is not None:
            replied = self.authors.get(str(reference.get("message_id")))
        try:
            found = pings(content, body.get("allowed_mentions"), replied_user=replied)
        except MentionError as error:
            return _json(error.body, 400)
        message = self._message(
            self.bot,
            channel,
            content,
            reference=reference,
            components=components,
        )
        self._ping(message, found)
        self._post(message, channel, channel.recipient)
        entry: dict[str, Any] = {
            "kind": "dm" if channel.recipient else "message",
            "channel_id": channel.id,
            "channel": channel.name,
            "content": content,
            "id": message["id"],
            "components": message["components"],
            "allowed_mentions": body.get("allowed_mentions"),
            "pinged": found.as_dict(),
        }
        if channel.recipient is not None:
            entry["user"] = channel.recipient.name
        if body.get("message_reference"):
            entry["reply_to"] = str(body["message_reference"].get("message_id"))
        self.sent.append(entry)
        await self.dispatch("MESSAGE_CREATE", {**message, **self._author_member(channel)})
        return _json(message)

    def _reference(self, asked: Any, channel: _Channel) -> dict[str, Any] | None:
        """The message reference a reply carries: `channel_id` (and `guild_id`) may be left
        out when creating one, but are always there in the message Discord sends back."""
        if not isinstance(asked, dict):
            return None
        reference = {
            "type": int(asked.get("type") or 0),
            "message_id": str(asked.get("message_id")),
            "channel_id": str(asked.get("channel_id") or channel.id),
        }
        guild_id = asked.get("guild_id") or channel.guild_id
        if guild_id is not None:
            reference["guild_id"] = str(guild_id)
        return reference

    def _author_member(self, channel: _Channel) -> dict[str, Any]:
        if channel.guild_id is None:
            return {}
        return {"member": self._member(self.bot, with_user=False)}

    async def _get_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        return _json(self.commands.get(request.match_info.get("guild_id"), []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        if request.match_info["app_id"] != self.application_id:
            return _error(404, "Unknown Application", 10002)
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and guild_id != self.guild_id:
            return _error(403, "Missing Access", 50001)
        registered = []
        for command in await request.json():
            registered.append(
                {
                    "id": self._ids(),
                    "application_id": self.application_id,
                    "version": self._ids(),
                    "type": 1,
                    "default_member_permissions": None,
                    "nsfw": False,
                    "options": [],
                    **command,
                    **({"guild_id": guild_id} if guild_id else {}),
                }
            )
        self.commands[guild_id] = registered
        return _json(registered)

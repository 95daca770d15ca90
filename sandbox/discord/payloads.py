"""Discord objects built from the world as the developer documentation defines them.

Guild members, the GUILD_CREATE guild and messages. Reading state only, no I/O.
"""

from __future__ import annotations

from typing import Any

from sandbox.discord.constants import INTENT_GUILD_MEMBERS
from sandbox.discord.mentions import Pings
from sandbox.discord.models import _Channel, _now_iso, _Posted, _User
from sandbox.discord.world import DiscordWorld


class Payloads(DiscordWorld):
    """Builds members, guilds and messages."""

    def _member(self, user: _User, *, with_user: bool = True) -> dict[str, Any]:
        member: dict[str, Any] = {
            "roles": [self.roles[name].id for name in sorted(user.roles)],
            "joined_at": user.joined_at,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            member["user"] = user.payload()
        return member

    def _guild(self, intents: int) -> dict[str, Any]:
        """GUILD_CREATE's guild: the members list is the bot's own without GUILD_MEMBERS."""
        people = [self.bot, *self.users.values()] if intents & INTENT_GUILD_MEMBERS else [self.bot]
        channels = [c.payload() for c in self.channels.values() if c.guild_id is not None]
        return {
            **self._guild_base(),
            "joined_at": self.bot.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.users) + 1,
            "voice_states": [],
            "members": [self._member(u) for u in people],
            "channels": channels,
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _guild_base(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": self.owner.id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": self.channel().id,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "es-ES",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
        }

    def _message(
        self,
        author: _User,
        channel: _Channel,
        content: str,
        *,
        flags: int = 0,
        webhook_id: str | None = None,
        reference: dict[str, Any] | None = None,
        components: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self._ids(),
            "channel_id": channel.id,
            "author": author.payload(),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0 if reference is None else 19,
            "flags": flags,
            "components": components or [],
        }
        self.authors[message["id"]] = author.id
        while len(self.authors) > 10_000:
            del self.authors[next(iter(self.authors))]
        if webhook_id is not None:
            message["webhook_id"] = webhook_id
        if reference is not None:
            message["message_reference"] = reference
        if channel.guild_id is not None:
            message["guild_id"] = channel.guild_id
        return message

    def _ping(self, message: dict[str, Any], found: Pings) -> None:
        """Fill the message's documented mention fields with who was actually notified."""
        users = [self._user_by_id(u) for u in found.users]
        message["mentions"] = [u.payload() for u in users if u is not None]
        message["mention_roles"] = found.roles
        message["mention_everyone"] = found.everyone

    def _post(self, message: dict[str, Any], channel: _Channel, viewer: _User | None) -> None:
        """Keep a message with buttons so a viewer can press them (the newest 1,000)."""
        if not message["components"]:
            return
        self.posted[message["id"]] = _Posted(message, channel, viewer)
        while len(self.posted) > 1000:
            del self.posted[next(iter(self.posted))]

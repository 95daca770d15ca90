"""EventSub event bodies and Helix user objects, in the shapes Twitch's documentation gives.

`chat_event` (`channel.chat.message`, with text, cheermote and mention fragments),
`cheer_event` (`channel.cheer`) and `_user_json` (a Helix user).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sandbox.twitch.models import User
from sandbox.twitch.world import TwitchWorld

ROLE_BADGES: dict[str, list[dict[str, str]]] = {
    "viewer": [],
    "subscriber": [{"set_id": "subscriber", "id": "3", "info": "3"}],
    "vip": [{"set_id": "vip", "id": "1", "info": ""}],
    "moderator": [{"set_id": "moderator", "id": "1", "info": ""}],
    "lead_moderator": [{"set_id": "lead_moderator", "id": "1", "info": ""}],
    "broadcaster": [{"set_id": "broadcaster", "id": "1", "info": ""}],
}
_MENTION = re.compile(r"@(\w+)")


class Payloads(TwitchWorld):
    """Builds the documented objects from the world's users and broadcaster."""

    def chat_event(
        self,
        chatter: User,
        text: str,
        role: str = "viewer",
        *,
        message_id: str | None = None,
        bits: int | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A `channel.chat.message` event body, in the documented shape."""
        return {
            **self.broadcaster.ref("broadcaster_user"),
            **chatter.ref("chatter_user"),
            "message_id": message_id or str(uuid.uuid4()),
            "message": {"text": text, "fragments": self._fragments(text, bits)},
            "color": "#9146FF",
            "badges": ROLE_BADGES.get(role, []),
            "message_type": "text",
            "cheer": {"bits": bits} if bits else None,
            "reply": reply_to,
            "channel_points_custom_reward_id": None,
            "channel_points_animation_id": None,
            "source_broadcaster_user_id": None,
            "source_broadcaster_user_login": None,
            "source_broadcaster_user_name": None,
            "source_message_id": None,
            "source_badges": None,
            "is_source_only": None,
        }

    def _fragments(self, text: str, bits: int | None) -> list[dict[str, Any]]:
        fragments: list[dict[str, Any]] = []
        rest = text
        if bits and text.lower().startswith(f"cheer{bits}"):
            word = text[: len(f"cheer{bits}")]
            fragments.append(
                {
                    "type": "cheermote",
                    "text": word,
                    "cheermote": {"prefix": "cheer", "bits": bits, "tier": 1},
                    "emote": None,
                    "mention": None,
                }
            )
            rest = text[len(word) :]
        position = 0
        for match in _MENTION.finditer(rest):
            mentioned = self.users.get(match.group(1).lower())
            if mentioned is None:
                continue
            if match.start() > position:
                fragments.append(self._text_fragment(rest[position : match.start()]))
            fragments.append(
                {
                    "type": "mention",
                    "text": match.group(0),
                    "cheermote": None,
                    "emote": None,
                    "mention": mentioned.ref("user"),
                }
            )
            position = match.end()
        if position < len(rest):
            fragments.append(self._text_fragment(rest[position:]))
        return fragments

    @staticmethod
    def _text_fragment(text: str) -> dict[str, Any]:
        return {"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}

    def cheer_event(self, cheerer: User | None, bits: int, message: str) -> dict[str, Any]:
        """A `channel.cheer` event body, in the documented shape."""
        who = (
            cheerer.ref("user")
            if cheerer
            else {"user_id": None, "user_login": None, "user_name": None}
        )
        return {
            "is_anonymous": cheerer is None,
            **who,
            **self.broadcaster.ref("broadcaster_user"),
            "message": message,
            "bits": bits,
        }

    def _user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "login": user.login,
            "display_name": user.display_name,
            "type": "",
            "broadcaster_type": "affiliate" if user is self.broadcaster else "",
            "description": "",
            "profile_image_url": f"https://static-cdn.jtvnw.net/user-default-pictures/{user.id}.png",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": user.created_at,
        }

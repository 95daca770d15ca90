"""Twitch's chat limits: 20 messages per 30 seconds per sender and channel, 100 when elevated.

A message over the limit is dropped with `msg_ratelimit`, recorded in `violations`, and the
sender is blocked for `block_seconds`.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from sandbox.twitch.world import TwitchWorld

CHAT_LIMIT = 20
ELEVATED_CHAT_LIMIT = 100


class ChatLimits(TwitchWorld):
    """The per-sender sliding window `POST /helix/chat/messages` checks."""

    def _rate_check(
        self, sender_id: str, broadcaster_id: str, record: dict[str, Any]
    ) -> dict[str, str] | None:
        now = time.monotonic()
        key = (sender_id, broadcaster_id)
        if self._blocked_until.get(key, 0.0) > now:
            return {"code": "msg_ratelimit", "message": "You are blocked from sending messages."}
        recent = self._recent.setdefault(key, deque())
        while recent and now - recent[0] >= self.window_seconds:
            recent.popleft()
        limit = ELEVATED_CHAT_LIMIT if self.is_elevated(sender_id) else CHAT_LIMIT
        if len(recent) >= limit:
            self.violations.append(
                {
                    "sender_id": sender_id,
                    "broadcaster_id": broadcaster_id,
                    "limit": limit,
                    "window_seconds": self.window_seconds,
                    "in_window": len(recent),
                    "message": record["message"],
                    "t": record["t"],
                }
            )
            self._blocked_until[key] = now + self.block_seconds
            return {
                "code": "msg_ratelimit",
                "message": "Your message was not sent because you are sending too quickly.",
            }
        recent.append(now)
        return None

"""The YouTube a bot lives in: the owner's channel, its broadcasts, their chats, the meter.

`YouTubeWorld` holds all the stand-in's state (its constructor is the stand-in's) and what
people do in it: viewers speak, pay Super Chats and join; the streamer goes live and ends.

Broadcasts: the channel has one current broadcast at a time. `live=False` makes the first
one *upcoming* (scheduled, not started: `broadcastStatus=active` does not list it and its
video has no `activeLiveChatId`); `go_live` starts it, or, once the current one is complete,
starts a new broadcast with a new video id and a new chat. `end` completes the current one.
"""

from __future__ import annotations

import base64
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox.youtube import payloads
from sandbox.youtube.quota import Meter

MAX_MESSAGE = 200  # characters a chat message may hold
ROLES = ("viewer", "member", "moderator", "owner")


@dataclass
class Broadcast:
    """One liveBroadcast (and its video, same id) with its own live chat."""

    id: str
    scheduled_at: str
    started_at: str | None = None
    ended_at: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def live_chat_id(self) -> str:
        return "Cg0KC" + base64.urlsafe_b64encode(self.id.encode()).decode().rstrip("=")

    @property
    def status(self) -> str:
        """The `broadcastStatus` filter this broadcast answers to."""
        if self.ended_at is not None:
            return "completed"
        return "active" if self.started_at is not None else "upcoming"


@dataclass
class Faults:
    """Answers to give instead of the real one: `list` and `insert` each pop their next reason."""

    list: deque[str] = field(default_factory=deque)
    insert: deque[str] = field(default_factory=deque)
    latency_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"list": list(self.list), "insert": list(self.insert), "latency_ms": self.latency_ms}


class YouTubeWorld:
    """The state behind the stand-in, and what viewers and the streamer do to it."""

    def __init__(
        self,
        *,
        access_token: str | None = None,
        daily_quota: int = 10_000,
        polling_interval_ms: int = 1_000,
        page_size: int = 500,
        history: int = 200,
        owner: str = "Canal Vivo",
        video_id: str = "vivoLive001",
        strict_polling: bool = False,
        live: bool = True,
    ) -> None:
        self.access_token = access_token
        self.meter = Meter(daily_quota)
        self.polling_interval_ms = polling_interval_ms
        self.page_size = page_size
        self.history = history
        self.strict_polling = strict_polling
        self.owner = owner
        self.owner_channel = payloads.channel_id(owner)
        now = payloads.now_iso()
        self.broadcasts = [Broadcast(video_id, now, now if live else None)]
        self.sent: list[dict[str, Any]] = []
        self.faults = Faults()
        self._ids = itertools.count(1)
        self._last_poll: float | None = None
        self.rate_limited = 0  # polls refused for coming sooner than pollingIntervalMillis

    # -- the meter, by the names tests and the demo read ---------------------------------

    @property
    def daily_quota(self) -> int:
        return self.meter.budget

    @property
    def spent(self) -> int:
        return self.meter.spent

    @property
    def calls(self) -> dict[str, int]:
        return self.meter.calls

    # -- the current broadcast ------------------------------------------------------------

    @property
    def current(self) -> Broadcast:
        """The latest broadcast: upcoming, live or complete."""
        return self.broadcasts[-1]

    @property
    def video_id(self) -> str:
        return self.current.id

    @property
    def broadcast_id(self) -> str:
        return self.current.id

    @property
    def live_chat_id(self) -> str:
        return self.current.live_chat_id

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.current.messages

    @property
    def started_at(self) -> str | None:
        return self.current.started_at

    @property
    def ended_at(self) -> str | None:
        return self.current.ended_at

    @property
    def ended(self) -> bool:
        return self.current.ended_at is not None

    @property
    def live(self) -> bool:
        return self.current.status == "active"

    def broadcast_resource(self, broadcast: Broadcast) -> dict[str, Any]:
        """The liveBroadcast resource (`snippet` and `status`) of one of the channel's."""
        return payloads.broadcast(
            broadcast_id=broadcast.id,
            owner_channel=self.owner_channel,
            live_chat_id=broadcast.live_chat_id,
            status=broadcast.status,
            scheduled_at=broadcast.scheduled_at,
            started_at=broadcast.started_at,
            ended_at=broadcast.ended_at,
        )

    def chat(self, live_chat_id: str | None) -> Broadcast | None:
        return next((b for b in self.broadcasts if b.live_chat_id == live_chat_id), None)

    # -- the streamer -----------------------------------------------------------------------

    def go_live(self, video_id: str | None = None) -> Broadcast:
        """The streamer starts the upcoming broadcast, or a new one after the last ended."""
        current = self.current
        if current.status == "active":
            return current
        if current.status == "upcoming":
            current.started_at = payloads.now_iso()
            return current
        new_id = video_id or f"{current.id.rstrip('0123456789')}{len(self.broadcasts) + 1:03d}"
        if any(b.id == new_id for b in self.broadcasts):
            raise ValueError(f"broadcast {new_id} already exists")
        now = payloads.now_iso()
        self.broadcasts.append(Broadcast(new_id, now, now))
        return self.current

    def end(self) -> None:
        """The streamer ends the current broadcast (an upcoming one is completed unstarted)."""
        if self.current.ended_at is None:
            self.current.ended_at = payloads.now_iso()

    # -- viewers ------------------------------------------------------------------------------

    def say(self, user: str, text: str, role: str = "viewer") -> dict[str, Any]:
        """A viewer types in chat: a textMessageEvent."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return self.post(user, role, payloads.text_snippet(text))

    def superchat(
        self, user: str, amount_micros: int, currency: str, comment: str = "", role: str = "viewer"
    ) -> dict[str, Any]:
        snippet = payloads.superchat_snippet(user, amount_micros, currency, comment)
        return self.post(user, role, snippet)

    def supersticker(
        self,
        user: str,
        amount_micros: int,
        currency: str,
        sticker_id: str = "sticker-vivo-1",
        alt_text: str = "Una llama bailando",
    ) -> dict[str, Any]:
        snippet = payloads.supersticker_snippet(user, amount_micros, currency, sticker_id, alt_text)
        return self.post(user, "viewer", snippet)

    def member(self, user: str, level: str = "Miembro", upgrade: bool = False) -> dict[str, Any]:
        return self.post(user, "member", payloads.sponsor_snippet(level, upgrade))

    def inject(self, resource: dict[str, Any]) -> dict[str, Any]:
        """A raw liveChatMessage, appended to the current chat as is."""
        self.messages.append(resource)
        return resource

    def post(
        self, user: str, role: str, snippet: dict[str, Any], chat: Broadcast | None = None
    ) -> dict[str, Any]:
        """Someone's message enters a chat (the current one unless named)."""
        chat = chat or self.current
        is_owner = role == "owner"
        channel = self.owner_channel if is_owner else payloads.channel_id(user)
        name = self.owner if is_owner else user
        message_id = f"LCC.{chat.id}.{next(self._ids):08d}"
        author = payloads.author_details(channel, name, role)
        resource = payloads.chat_message(message_id, chat.live_chat_id, author, snippet)
        chat.messages.append(resource)
        return resource

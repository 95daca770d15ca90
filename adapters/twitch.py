"""Twitch chat on twitchio 3: EventSub in, Helix chat messages out, Bits in as tips.

Twitch blocks a bot for 30 minutes once it goes over 20 messages per 30 seconds (100 when
it is a moderator or the broadcaster), so this adapter keeps its own sliding window and is
the only thing that decides when a message leaves. `send` only queues; a background task
packs waiting replies into one message when buyers arrive faster than the window allows
("@ana https://… @beto https://…"), payment links first, at most 500 characters, and
posts it when the window has room. Whether the bot is a moderator is detected (Helix
moderators list, and the badges on the bot's own messages), never assumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import twitchio
import twitchio.eventsub.websockets
import twitchio.http
from twitchio import eventsub

from adapters.base import (
    ChatMessage,
    ChatUser,
    Inbox,
    PlatformTip,
    Priority,
    Reply,
    Role,
    SendLimits,
)
from adapters.twitch_auth import Tokens, load_tokens, save_tokens

log = logging.getLogger(__name__)

MAX_LENGTH = 500
CHAT_LIMIT = 20
ELEVATED_CHAT_LIMIT = 100
WINDOW_SECONDS = 30.0
ELEVATED_BADGES = frozenset({"broadcaster", "moderator", "lead_moderator"})
MODERATOR_BADGES = frozenset({"moderator", "lead_moderator"})
SUBSCRIBER_BADGES = frozenset({"subscriber", "founder"})
_URL = re.compile(r"https?://\S+")
_CHEERMOTE = re.compile(r"(?i)(?<!\S)[a-z]+\d+(?!\S)")
_NO_DECIMALS = frozenset({"CLP", "PYG", "JPY", "KRW", "VND", "ISK", "BITS"})
# How long a socket being replaced after `session_reconnect` may take to finish its close
# handshake (aiohttp's own default for a websocket close).
HANDOFF_CLOSE_SECONDS = 10.0


def use_endpoint(endpoint: str) -> None:
    """Point twitchio at a stand-in. twitchio has no setting for its addresses, so this sets
    its module constants; call it only when an endpoint is configured."""
    base = endpoint.rstrip("/")
    twitchio.http.Route.BASE = f"{base}/helix/"
    twitchio.http.Route.ID_BASE = f"{base}/"
    twitchio.eventsub.websockets.WSS = "ws" + base.removeprefix("http") + "/ws"


@dataclass(frozen=True, slots=True)
class BitsValue:
    """What one Bit is worth: US$0.01 by default, times `rate` into `currency`.

    `BitsValue(per_bit=Decimal(1), currency="BITS")` records tips in Bits instead.
    """

    per_bit: Decimal = Decimal("0.01")
    currency: str = "USD"
    rate: Decimal = Decimal(1)

    def convert(self, bits: int) -> Decimal:
        exponent = Decimal(1) if self.currency.upper() in _NO_DECIMALS else Decimal("0.01")
        return (Decimal(bits) * self.per_bit * self.rate).quantize(exponent, ROUND_HALF_UP)


# -- pacing and coalescing -------------------------------------------------------------


@dataclass
class Pending:
    reply: Reply
    since: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Batch:
    """One chat message and the replies it carries."""

    text: str
    items: tuple[Pending, ...]
    reply_to: str | None = None


@dataclass
class _Fragment:
    mentions: list[str]
    body: str
    compact: bool
    key: str | None = None

    def render(self) -> str:
        tags = [f"@{name}" for name in self.mentions]
        if len(tags) == 1 and not self.compact and tags[0].lower() in self.body.lower():
            return self.body
        return " ".join([*tags, self.body]) if tags else self.body


class ChatPacer:
    """Decides what the next chat message says and when it may leave.

    A sliding window (limit per `seconds`, plus a safety `margin` for clock and network
    skew) is the hard rule. Within it, a lone reply goes out at once while the window is
    nearly empty; as the window fills, a message that is not yet full waits a little
    (up to `5 × seconds / limit`) for more replies to share it, so a rush of buyers fills
    each message instead of spending the window on one mention per message. A full
    message never waits for anything but the window.
    """

    def __init__(
        self,
        *,
        seconds: float = WINDOW_SECONDS,
        margin: float = 1.0,
        max_length: int = MAX_LENGTH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.window = seconds + margin
        self.max_length = max_length
        self.clock = clock
        self.elevated = False
        self.sent: deque[float] = deque()
        self.queues: dict[Priority, deque[Pending]] = {p: deque() for p in Priority}

    @property
    def limit(self) -> int:
        return ELEVATED_CHAT_LIMIT if self.elevated else CHAT_LIMIT

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def add(self, reply: Reply, *, attempts: int = 0, front: bool = False) -> None:
        item = Pending(reply, self.clock(), attempts)
        queue = self.queues[reply.priority]
        if front:
            queue.appendleft(item)
        else:
            queue.append(item)

    def used(self) -> int:
        now = self.clock()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        return len(self.sent)

    def record(self) -> None:
        self.sent.append(self.clock())

    def exhaust(self) -> None:
        """Twitch said we were too fast: behave as if the window were full from now on."""
        now = self.clock()
        self.sent.extend([now] * max(0, self.limit - self.used()))

    def delay(self) -> float | None:
        """Seconds until the next message should go; None when nothing is waiting."""
        items = self._ordered()
        if not items:
            return None
        now = self.clock()
        used = self.used()
        if used >= self.limit:
            return max(0.001, self.sent[used - self.limit] + self.window - now)
        chosen, _ = self._pack(items)
        if len(chosen) < len(items):
            return 0.0
        free = max(1, self.limit // 10)
        if used < free:
            return 0.0
        max_linger = 5 * self.seconds / self.limit
        linger = max_linger * (used - free + 1) / (self.limit - free + 1)
        oldest = min(item.since for item in items)
        return max(0.0, oldest + linger - now)

    def take(self) -> Batch:
        """Remove and return the next message's replies (call when `delay()` is 0)."""
        items = self._ordered()
        chosen, text = self._pack(items)
        if len(chosen) == 1 and len(text) > self.max_length:
            text, rest = _split_once(text, self.max_length)
            only = chosen[0]
            self._remove(chosen)
            remainder = Reply(
                channel=only.reply.channel,
                text=rest,
                priority=only.reply.priority,
                coalesce_key=only.reply.coalesce_key,
            )
            self.add(remainder, front=True)
            return Batch(text, (only,), _reply_to(only))
        self._remove(chosen)
        return Batch(text, tuple(chosen), _reply_to(chosen[0]) if len(chosen) == 1 else None)

    def _ordered(self) -> list[Pending]:
        return [item for priority in Priority for item in self.queues[priority]]

    def _remove(self, chosen: list[Pending]) -> None:
        gone = {id(item) for item in chosen}
        for priority, queue in self.queues.items():
            self.queues[priority] = deque(i for i in queue if id(i) not in gone)

    def _pack(self, items: list[Pending]) -> tuple[list[Pending], str]:
        """The longest prefix of `items` that fits one message, and its text."""
        if len(items) == 1:
            return items[:1], _fragment(items[0].reply, compact=False).render()
        chosen: list[Pending] = []
        fragments: list[_Fragment] = []
        for item in items:
            fragment = _fragment(item.reply, compact=True)
            merged = _merge(fragments, fragment)
            text = _join(merged)
            if len(text) > self.max_length:
                break
            chosen.append(item)
            fragments = merged
        if len(chosen) <= 1:
            return items[:1], _fragment(items[0].reply, compact=False).render()
        return chosen, _join(fragments)


def _fragment(reply: Reply, *, compact: bool) -> _Fragment:
    mentions = [reply.mention.name] if reply.mention else []
    url = _URL.search(reply.text)
    if compact and mentions and url and reply.priority == Priority.PAYMENT:
        return _Fragment(mentions, url.group(0).rstrip(".,;:!?)»\"'"), True)
    return _Fragment(mentions, reply.text.strip(), False, reply.coalesce_key)


def _merge(fragments: list[_Fragment], new: _Fragment) -> list[_Fragment]:
    """Replies that share a coalesce key and a text become one line with several mentions."""
    if new.key is not None:
        for index, old in enumerate(fragments):
            if old.key == new.key and old.body == new.body:
                joined = _Fragment([*old.mentions, *new.mentions], old.body, False, old.key)
                return [*fragments[:index], joined, *fragments[index + 1 :]]
    return [*fragments, new]


def _join(fragments: list[_Fragment]) -> str:
    text = ""
    for index, fragment in enumerate(fragments):
        if index:
            text += " " if fragments[index - 1].compact else " · "
        if fragment.key is not None and len(fragment.mentions) > 1:
            text += " ".join(f"@{m}" for m in fragment.mentions) + ": " + fragment.body
        else:
            text += fragment.render()
    return text


def _split_once(text: str, limit: int) -> tuple[str, str]:
    cut = text.rfind(" ", 0, limit + 1)
    if cut <= 0:
        cut = limit
    return text[:cut].rstrip(), text[cut:].strip()


def _reply_to(item: Pending) -> str | None:
    parent = item.reply.reply_to
    return parent.id if parent is not None and parent.platform == "twitch" else None


# -- EventSub sessions ------------------------------------------------------------------

# Nullable fields of `channel.chat.message` that twitchio 3.3.2 reads as `payload[key]`.
# Twitch's own documentation example omits `channel_points_animation_id` (and, before shared
# chat, the `source_*` fields); twitchio then raises KeyError, logs it at CRITICAL and drops
# the message. Absent means null here, as the reference describes these fields.
CHAT_NULLABLE_FIELDS = (
    "channel_points_custom_reward_id",
    "channel_points_animation_id",
    "cheer",
    "reply",
    "source_broadcaster_user_id",
    "source_broadcaster_user_login",
    "source_broadcaster_user_name",
    "source_message_id",
    "source_badges",
    "is_source_only",
)


def _fill_absent_nulls(data: Any) -> None:
    """Give a `channel.chat.message` notification every nullable field twitchio expects."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    if (
        not isinstance(metadata, dict)
        or metadata.get("subscription_type") != "channel.chat.message"
    ):
        return
    event = (data.get("payload") or {}).get("event")
    if isinstance(event, dict):
        for key in CHAT_NULLABLE_FIELDS:
            event.setdefault(key, None)


class _EventSubSocket(twitchio.eventsub.websockets.Websocket):
    """twitchio's EventSub websocket, with a `session_reconnect` hand-off that loses nothing,
    and chat events that lack documented-nullable fields delivered rather than dropped.

    Twitch keeps sending events on the old connection until the new one has been welcomed.
    twitchio 3.3.2 handles `session_reconnect` inside the old socket's reader: it stops
    reading, connects the new socket, then closes the old one with aiohttp's `close()`,
    which throws away every frame still queued, so the events Twitch sent during the
    hand-off were lost. Here the old socket keeps being read while the new one connects,
    and is then retired with a close handshake: everything Twitch sent on it before
    answering our close frame is still dispatched. An event is never sent on both
    connections, and redeliveries are filtered by the adapter, so nothing repeats either.
    """

    __slots__ = ("_handing_off",)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._handing_off = False

    async def _process_notification(self, data: Any) -> None:
        _fill_absent_nulls(data)
        await super()._process_notification(data)

    async def _process_reconnect(self, data: Any) -> None:
        url = data["payload"]["session"].get("reconnect_url")
        if not url or self._handing_off:
            return
        self._handing_off = True
        _count_reconnect(self._client)
        task = asyncio.get_running_loop().create_task(self._hand_off(url))
        self._connection_tasks.add(task)
        task.add_done_callback(self._connection_tasks.discard)

    async def _create_connection_task(self) -> None:
        if self._handing_off:
            return  # this socket is being replaced; its end is not a failure to recover from
        if not (getattr(self, "_closing", False) or getattr(self, "_closed", False)):
            _count_reconnect(self._client)
        await super()._create_connection_task()

    async def _hand_off(self, url: str) -> None:
        new = _EventSubSocket(
            keep_alive_timeout=self.keep_alive_timeout,
            reconnect_attempts=self._original_attempts,
            client=self._client,
            token_for=self._token_for,
            http=self._http,
        )
        new._subscriptions = self._subscriptions
        try:
            await new.connect(url=url, fail_once=True)
        except asyncio.CancelledError:
            await new.close()
            raise
        except Exception as exc:
            log.warning("twitch: EventSub reconnect failed (%s); starting a new session", exc)
            self._handing_off = False
            await self.connect(reconnect=True)  # twitchio's fallback: new session, resubscribed
            return
        if self._client is not None and self._token_for and new.session_id:
            self._client._websockets[self._token_for][new.session_id] = new
        await self._retire()

    async def _retire(self) -> None:
        """Close after the hand-off, reading (and dispatching) up to Twitch's close frame."""
        socket, listener = self._socket, self._listen_task
        if socket is not None and not socket.closed and listener is not None:
            try:
                await socket.send_frame((1000).to_bytes(2, "big"), aiohttp.WSMsgType.CLOSE)
            except Exception as exc:
                log.debug("twitch: could not start closing the old EventSub socket: %s", exc)
            else:
                await asyncio.wait({listener}, timeout=HANDOFF_CLOSE_SECONDS)
        await self.close()

    async def close(self, cleanup: bool = True, *, reassociate: bool = True) -> None:
        current = asyncio.current_task()
        for task in list(self._connection_tasks):
            if task is not current:
                task.cancel()
        await super().close(cleanup, reassociate=reassociate)


def _count_reconnect(client: object) -> None:
    if isinstance(client, _Client):
        client.reconnects += 1


class _Client(twitchio.Client):
    """A twitchio Client whose EventSub websockets are `_EventSubSocket`s.

    `reconnects` counts EventSub sockets replaced, at Twitch's request or after a drop."""

    reconnects = 0

    async def subscribe_websocket(
        self, payload: Any, *, token_for: str | twitchio.PartialUser | None = None, **options: Any
    ) -> Any:
        owner = token_for.id if isinstance(token_for, twitchio.PartialUser) else token_for
        if owner and not options.get("as_bot") and not self._websockets[owner]:
            # twitchio opens the first socket for a token itself; open ours first instead.
            socket = _EventSubSocket(client=self, token_for=owner, http=self._http)
            await socket.connect(fail_once=True)
            self._websockets[owner] = {socket.session_id or "": socket}
        return await super().subscribe_websocket(payload, token_for=token_for, **options)


# -- the adapter -----------------------------------------------------------------------


@dataclass
class _Seen:
    """The last few thousand event ids, so a redelivered notification is handled once."""

    size: int = 5000
    order: deque[str] = field(default_factory=deque)
    ids: set[str] = field(default_factory=set)

    def first_time(self, key: str) -> bool:
        if key in self.ids:
            return False
        self.ids.add(key)
        self.order.append(key)
        if len(self.order) > self.size:
            self.ids.discard(self.order.popleft())
        return True


class TwitchConfigError(Exception):
    """The tokens or channel in the configuration cannot work (wrong owner, missing user)."""


class TwitchAdapter:
    platform = "twitch"
    # The Outbox only splits; this adapter paces itself (see ChatPacer), so the Outbox's
    # window is wide open and the real one lives here.
    limits = SendLimits(max_length=MAX_LENGTH, messages=100_000, per_seconds=1.0)

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        bot_token: Tokens,
        broadcaster_token: Tokens | None,
        channel: str,
        endpoint: str | None = None,
        bits_value: BitsValue | None = None,
        token_path: str | Path | None = None,
        on_tokens: Callable[[str, Tokens], None] | None = None,
        moderator_check_every: float = 300.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.bot_token = bot_token
        self.broadcaster_token = broadcaster_token
        self.channel = channel.strip().lstrip("#@").lower()
        self.endpoint = endpoint
        self.bits_value = bits_value or BitsValue()
        self.token_path = Path(token_path) if token_path else None
        self.on_tokens = on_tokens
        self.moderator_check_every = moderator_check_every
        self.pacer = ChatPacer()
        self._reconnects_before = 0  # by clients of earlier starts
        self.bot_id = ""
        self.bot_login = ""
        self.broadcaster_id = ""
        self.token_owner_id: str | None = None
        self.messages_sent = 0
        self.replies_sent = 0
        self.dropped = 0
        self._client: _Client | None = None
        self._channel: twitchio.PartialUser | None = None
        self._inbox: Inbox | None = None
        self._seen = _Seen()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._posting = False

    @classmethod
    def from_token_file(
        cls,
        client_id: str,
        client_secret: str,
        token_path: str | Path,
        *,
        channel: str,
        endpoint: str | None = None,
        bits_value: BitsValue | None = None,
    ) -> TwitchAdapter:
        """The adapter with the tokens `vivo auth twitch` stored, kept fresh in the same file."""
        stored = load_tokens(token_path)
        if "bot" not in stored:
            raise TwitchConfigError(f"no bot token in {token_path}: run `vivo auth twitch`")
        return cls(
            client_id,
            client_secret,
            bot_token=stored["bot"],
            broadcaster_token=stored.get("broadcaster"),
            channel=channel,
            endpoint=endpoint,
            bits_value=bits_value,
            token_path=token_path,
        )

    @property
    def elevated(self) -> bool:
        """True when the bot may send 100 messages per 30 s (moderator or broadcaster)."""
        return self.pacer.elevated

    @property
    def reconnects(self) -> int:
        """EventSub sockets replaced so far (`/metrics`)."""
        current = self._client.reconnects if self._client is not None else 0
        return self._reconnects_before + current

    @property
    def idle(self) -> bool:
        return self.pacer.pending == 0 and not self._posting

    # -- life cycle --------------------------------------------------------------------

    @property
    def home_channel(self) -> str | None:
        """The one chat this adapter speaks in (the broadcaster's), once started: where an
        announcement to everyone goes (a giveaway's start, bots.runtime.giveaways)."""
        return self.broadcaster_id or None

    async def start(self, inbox: Inbox) -> None:
        if self.endpoint:
            use_endpoint(self.endpoint)
        self._inbox = inbox
        client = _Client(client_id=self.client_id, client_secret=self.client_secret)
        client.add_listener(self._on_message, event="event_message")
        client.add_listener(self._on_cheer, event="event_cheer")
        client.add_listener(self._on_token_refreshed, event="event_token_refreshed")
        self._client = client
        await client.login(load_tokens=False, save_tokens=False)
        bot = await client.add_token(self.bot_token.access_token, self.bot_token.refresh_token)
        if not bot.user_id:
            raise TwitchConfigError("the bot token is not a user token")
        self.bot_id, self.bot_login = bot.user_id, bot.login or ""
        if self.broadcaster_token is not None:
            owner = await client.add_token(
                self.broadcaster_token.access_token, self.broadcaster_token.refresh_token
            )
            self.token_owner_id = owner.user_id
        users = await client.fetch_users(logins=[self.channel])
        if not users:
            raise TwitchConfigError(f"there is no Twitch channel called {self.channel!r}")
        self._channel = users[0]
        self.broadcaster_id = users[0].id
        if self.token_owner_id not in (None, self.broadcaster_id):
            raise TwitchConfigError(
                f"the broadcaster token belongs to user {self.token_owner_id}, "
                f"not to {self.channel} ({self.broadcaster_id})"
            )
        await self.check_moderator()
        await client.subscribe_websocket(
            eventsub.ChatMessageSubscription(
                broadcaster_user_id=self.broadcaster_id, user_id=self.bot_id
            ),
            token_for=self.bot_id,
        )
        if self.token_owner_id is not None:
            await client.subscribe_websocket(
                eventsub.ChannelCheerSubscription(broadcaster_user_id=self.broadcaster_id),
                token_for=self.broadcaster_id,
            )
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._flush_forever())]
        if self.moderator_check_every > 0:
            self._tasks.append(loop.create_task(self._watch_moderator()))
        log.info(
            "twitch: %s in #%s (%s messages / 30 s)",
            self.bot_login,
            self.channel,
            self.pacer.limit,
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._client is not None:
            self._reconnects_before += self._client.reconnects
            await self._client.close(save_tokens=False)
            self._client = None

    # -- moderator status --------------------------------------------------------------

    async def check_moderator(self) -> bool:
        """Ask Helix whether the bot moderates the channel; keep the last answer on errors."""
        if self.bot_id == self.broadcaster_id:
            self._set_elevated(True, "the bot is the broadcaster")
        elif self.token_owner_id is not None and self._channel is not None:
            try:
                found = [m async for m in self._channel.fetch_moderators(user_ids=[self.bot_id])]
            except twitchio.HTTPException as exc:
                log.warning("twitch: could not read the moderators list: %s", exc)
            else:
                moderator = any(m.id == self.bot_id for m in found)
                self._set_elevated(moderator, "Helix moderators list")
        return self.elevated

    async def _watch_moderator(self) -> None:
        while True:
            await asyncio.sleep(self.moderator_check_every)
            await self.check_moderator()

    def _set_elevated(self, value: bool, why: str) -> None:
        if value != self.pacer.elevated:
            self.pacer.elevated = value
            log.info("twitch: sending at %d messages / 30 s (%s)", self.pacer.limit, why)

    # -- inbound -----------------------------------------------------------------------

    async def _on_message(self, payload: twitchio.ChatMessage) -> None:
        if payload.broadcaster.id != self.broadcaster_id:
            return
        source = payload.source_broadcaster
        if source is not None and source.id != self.broadcaster_id:
            return  # shared chat: the other channel's bot answers its own viewers
        badges = {badge.set_id for badge in payload.badges}
        if payload.chatter.id == self.bot_id:
            self._set_elevated(
                self.bot_id == self.broadcaster_id or bool(badges & ELEVATED_BADGES),
                "badges on the bot's own message",
            )
            return
        if not self._seen.first_time(f"chat:{payload.id}"):
            return
        author = ChatUser(self.platform, payload.chatter.id, _name(payload.chatter), _role(badges))
        message = ChatMessage(
            platform=self.platform,
            id=payload.id,
            channel=self.broadcaster_id,
            author=author,
            text=payload.text,
            sent_at=payload.timestamp or datetime.now(UTC),
            raw=payload,
        )
        await self._deliver(message)

    async def _on_cheer(self, payload: twitchio.ChannelCheer) -> None:
        if payload.broadcaster.id != self.broadcaster_id:
            return
        metadata = payload.metadata
        event_id = metadata.message_id if metadata is not None else uuid.uuid4().hex
        if not self._seen.first_time(f"cheer:{event_id}"):
            return
        user = payload.user
        if user is None:
            author = ChatUser(self.platform, "anonymous", "anónimo")
        else:
            author = ChatUser(self.platform, user.id, _name(user))
        tip = PlatformTip(
            platform=self.platform,
            id=event_id,
            channel=self.broadcaster_id,
            author=author,
            amount=self.bits_value.convert(payload.bits),
            currency=self.bits_value.currency,
            message=" ".join(_CHEERMOTE.sub(" ", payload.message).split()),
            source="bits",
            raw=payload,
        )
        await self._deliver(tip)

    async def _deliver(self, event: ChatMessage | PlatformTip) -> None:
        if self._inbox is None:
            return
        try:
            await self._inbox(event)
        except Exception:
            log.exception("twitch: the inbox failed on %s", event.id)

    async def _on_token_refreshed(self, payload: twitchio.TokenRefreshedPayload) -> None:
        role = {self.bot_id: "bot", self.token_owner_id: "broadcaster"}.get(payload.user_id)
        if role is None:
            return
        tokens = Tokens(
            access_token=payload.token,
            refresh_token=payload.refresh_token,
            scopes=tuple(payload.scopes.selected),
            user_id=payload.user_id,
            login=self.bot_login if role == "bot" else self.channel,
        )
        if role == "bot":
            self.bot_token = tokens
        else:
            self.broadcaster_token = tokens
        if self.token_path is not None:
            await asyncio.to_thread(save_tokens, self.token_path, role, tokens)
        if self.on_tokens is not None:
            self.on_tokens(role, tokens)

    # -- outbound ----------------------------------------------------------------------

    async def send(self, reply: Reply) -> None:
        """Queue the reply; it leaves as soon as Twitch's window allows, maybe with others."""
        self.pacer.add(reply)
        self._wake.set()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued reply has been posted (or `timeout` passes)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self.idle:
            if deadline is not None and loop.time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _flush_forever(self) -> None:
        while True:
            delay = self.pacer.delay()
            if delay is None or delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                continue
            batch = self.pacer.take()
            self.pacer.record()
            self._posting = True
            try:
                await self._post(batch)
            finally:
                self._posting = False

    async def _post(self, batch: Batch) -> None:
        assert self._channel is not None
        try:
            sent = await self._channel.send_message(
                batch.text,
                sender=self.bot_id,
                token_for=self.bot_id,
                reply_to_message_id=batch.reply_to,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("twitch: sending failed (%s); will retry", exc)
            self._retry(batch)
            return
        if sent.sent:
            self.messages_sent += 1
            self.replies_sent += len(batch.items)
            return
        self.dropped += 1
        if sent.dropped_code == "msg_ratelimit":
            log.error("twitch: Twitch says we sent too fast; slowing down")
            self._set_elevated(False, "Twitch rate-limited a message")
            self.pacer.exhaust()
            self._retry(batch)
        else:
            log.warning("twitch: message dropped (%s: %s)", sent.dropped_code, sent.dropped_message)

    def _retry(self, batch: Batch) -> None:
        for item in reversed(batch.items):
            if item.attempts < 3:
                self.pacer.add(item.reply, attempts=item.attempts + 1, front=True)
        self._wake.set()


def _name(user: Any) -> str:
    """The name people see and can @-mention: the display name unless it is not the login."""
    login = str(getattr(user, "name", "") or "")
    display = str(getattr(user, "display_name", "") or "")
    return display if display and (not login or display.lower() == login.lower()) else login


def _role(badges: set[str]) -> Role:
    if "broadcaster" in badges:
        return Role.OWNER
    if badges & MODERATOR_BADGES:
        return Role.MODERATOR
    if badges & SUBSCRIBER_BADGES:
        return Role.SUBSCRIBER
    return Role.VIEWER

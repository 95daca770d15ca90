"""YouTube Live chat through google-api-python-client, within the day's API quota.

The client is synchronous, so every call runs in a worker thread; polling and sending each
own a client (httplib2 connections must not be shared between threads). Replies are not
sent one by one: `send` queues them and a sender task packs as many as fit in one
200-character message, payment links first, at the pace and under the rules of the
`QuotaPlanner`. That is why `limits` given to the generic Outbox are generous: the
pacing that matters here is in units, not messages per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from adapters.base import (
    ChatMessage,
    ChatUser,
    Inbox,
    PlatformTip,
    Priority,
    Reply,
    Role,
    SendLimits,
    neutralize,
)
from adapters.youtube_quota import (
    INSERT,
    LOOKUP,
    POLL,
    Clock,
    Level,
    QuotaLedger,
    QuotaPlanner,
    RealClock,
    seconds_until_reset,
)

log = logging.getLogger(__name__)

MAX_MESSAGE = 200
SEPARATOR = " · "
PARTS = "id,snippet,authorDetails"
# Reasons after which the chat cannot be read or written again.
CHAT_GONE = {"liveChatEnded", "liveChatNotFound", "liveChatDisabled", "forbidden"}
# Reasons worth waiting out and retrying.
TRANSIENT = {"rateLimitExceeded", "userRateLimitExceeded", "backendError", "internalError"}
_URL = re.compile(r"https?://\S+")


class YouTubeError(Exception):
    """YouTube cannot be used at all: credentials refused, the API off, a bad request."""


class ApiError(Exception):
    """One failed API call, reduced to what decides what to do next."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(status, reason, message)
        self.status = status
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


def _error_of(exc: Exception) -> ApiError:
    from google.auth.exceptions import RefreshError
    from googleapiclient.errors import HttpError

    if isinstance(exc, RefreshError):
        return ApiError(401, "authError", f"the credentials were refused: {exc}")
    if not isinstance(exc, HttpError):
        return ApiError(0, "network", str(exc) or type(exc).__name__)
    status = int(exc.resp.status)
    reason, message = "", str(exc)
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        error = json.loads(exc.content.decode("utf-8"))["error"]
        message = str(error.get("message", message))
        details = error.get("errors") or []
        if details:
            reason = str(details[0].get("reason", ""))
    if not reason:
        reason = "backendError" if status >= 500 else f"http{status}"
    return ApiError(status, reason, message)


def _transient(error: ApiError) -> bool:
    return error.reason in TRANSIENT or error.status in (0, 429) or error.status >= 500


def _refused(error: ApiError) -> bool:
    """Credentials refused or lacking rights: retrying cannot help, the streamer must act."""
    if error.status == 401:
        return True
    if error.status != 403 or error.reason == "quotaExceeded" or _transient(error):
        return False
    return error.reason not in CHAT_GONE


# -- reading ------------------------------------------------------------------------------


def role_of(author: dict[str, Any]) -> Role:
    if author.get("isChatOwner"):
        return Role.OWNER
    if author.get("isChatModerator"):
        return Role.MODERATOR
    if author.get("isChatSponsor"):
        return Role.SUBSCRIBER
    return Role.VIEWER


def _published(snippet: dict[str, Any]) -> datetime:
    with contextlib.suppress(TypeError, ValueError):
        return datetime.fromisoformat(str(snippet["publishedAt"]).replace("Z", "+00:00"))
    return datetime.now(UTC)


def to_event(item: dict[str, Any], platform: str = "youtube") -> ChatMessage | PlatformTip | None:
    """A liveChatMessage resource as Vivo sees it; None for events that are not chat or money."""
    snippet = item.get("snippet") or {}
    author = item.get("authorDetails") or {}
    message_id = item.get("id")
    if not message_id:
        return None
    user = ChatUser(
        platform,
        str(author.get("channelId") or snippet.get("authorChannelId") or ""),
        str(author.get("displayName") or ""),
        role_of(author),
    )
    channel = str(snippet.get("liveChatId") or "")
    kind = snippet.get("type")
    if kind == "textMessageEvent":
        details = snippet.get("textMessageDetails") or {}
        text = details.get("messageText") or snippet.get("displayMessage") or ""
        return ChatMessage(
            platform, str(message_id), channel, user, str(text), _published(snippet), raw=item
        )
    if kind in ("superChatEvent", "superStickerEvent"):
        key = "superChatDetails" if kind == "superChatEvent" else "superStickerDetails"
        details = snippet.get(key) or {}
        try:
            amount = Decimal(str(details["amountMicros"])) / Decimal(1_000_000)
        except (KeyError, InvalidOperation):
            log.warning("youtube %s %s has no readable amount", kind, message_id)
            return None
        return PlatformTip(
            platform,
            str(message_id),
            channel,
            user,
            amount,
            str(details.get("currency", "")),
            str(details.get("userComment") or ""),
            source="superchat",
            raw=item,
        )
    return None


# -- writing ------------------------------------------------------------------------------


def _handle(user: ChatUser) -> str:
    return user.name if user.name.startswith("@") else f"@{user.name}"


def render(reply: Reply) -> str:
    """The reply as one chat line: YouTube has no private messages, so a mention instead."""
    text = reply.text.strip()
    if reply.mention is None:
        return text
    handle = _handle(reply.mention)
    if handle.casefold() in text.casefold():
        return text
    name = reply.mention.name
    for shown in (name, neutralize(name)):  # templates neutralise names that hold an @
        if shown and shown in text:
            return text.replace(shown, handle, 1)
    return f"{handle} {text}"


def compact(reply: Reply) -> str:
    """The shortest useful form of a payment link: who it is for, and the link."""
    url = _URL.search(reply.text)
    if reply.mention is None or url is None:
        return render(reply)
    return f"{_handle(reply.mention)} {url.group(0)}"


def _fit(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    cut = text.rfind(" ", 0, MAX_MESSAGE)
    return text[: cut if cut > 0 else MAX_MESSAGE].rstrip()


@dataclass
class _Pending:
    reply: Reply
    at: float
    seq: int

    @property
    def priority(self) -> Priority:
        return self.reply.priority


def pack(pending: list[_Pending], level: Level) -> tuple[list[_Pending], str, int]:
    """The head reply plus every other that still fits in one message, in priority order.

    Returns the replies this message settles, its text, and how many of them were folded:
    a reply to a buyer whose payment link goes out in this message is dropped when it does
    not fit beside the link (the link carries the order code; 20 units are 20 units).
    """

    def line(item: _Pending) -> str:
        if level >= Level.CRITICAL and item.priority is Priority.PAYMENT:
            return _fit(compact(item.reply))
        return _fit(render(item.reply))

    ordered = sorted(pending, key=lambda p: (p.priority, p.seq))
    batch = [ordered[0]]
    text = line(ordered[0])
    folded = 0
    for item in ordered[1:]:
        candidate = line(item)
        if len(text) + len(SEPARATOR) + len(candidate) <= MAX_MESSAGE:
            batch.append(item)
            text = f"{text}{SEPARATOR}{candidate}"
        elif _has_link_for(batch, item):
            batch.append(item)
            folded += 1
    return batch, text, folded


def _has_link_for(batch: list[_Pending], item: _Pending) -> bool:
    who = item.reply.mention
    if item.priority is not Priority.REPLY or who is None:
        return False
    return any(
        p.priority is Priority.PAYMENT
        and p.reply.mention is not None
        and p.reply.mention.id == who.id
        for p in batch
    )


# -- the adapter --------------------------------------------------------------------------


class YouTubeAdapter:
    """The live chat of the signed-in account's broadcast (or of `video_id`).

    `start` returns as soon as the credentials are known to work. When nothing is live yet,
    the adapter looks for the broadcast in the background every `lookup_interval` seconds
    (1 unit a look) and starts reading its chat when it appears; when a chat ends it goes
    back to looking, for the next broadcast. `live` is set while a chat is being read;
    `ended` is set from the moment a chat ends until the next one is found, with the reason
    in `end_reason`; `stopped` is set, with `end_reason`, when the adapter gave up for good
    (credentials revoked while running).
    """

    platform = "youtube"
    limits = SendLimits(max_length=MAX_MESSAGE, messages=1000, per_seconds=1.0)

    def __init__(
        self,
        credentials: Any,
        *,
        video_id: str | None = None,
        endpoint: str | None = None,
        daily_budget: int = 10_000,
        stream_hours: float = 3.0,
        planner: QuotaPlanner | None = None,
        clock: Clock | None = None,
        send_gap: float = 1.0,
        max_results: int = 2000,
        max_backoff: float = 60.0,
        lookup_interval: float = 60.0,
        quota_file: Path | None = None,
    ) -> None:
        self.credentials = credentials
        self.video_id = video_id
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.clock: Clock = clock or (planner.clock if planner else RealClock())
        self.planner = planner or QuotaPlanner(
            daily_budget=daily_budget, stream_seconds=stream_hours * 3600, clock=self.clock
        )
        self.ledger = QuotaLedger(quota_file)
        self.send_gap = send_gap
        self.max_results = max_results
        self.max_backoff = max_backoff
        self.lookup_interval = lookup_interval
        self.live_chat_id: str | None = None
        self.live = asyncio.Event()
        self.ended = asyncio.Event()
        self.stopped = asyncio.Event()
        self.end_reason: str | None = None
        self.chats_read = 0
        self.messages_sent = 0
        self.replies_sent = 0
        self.replies_dropped = 0
        self.replies_folded = 0
        self._inbox: Inbox | None = None
        self._poll_api: Any = None
        self._send_api: Any = None
        self._page_token: str | None = None
        self._suggested = 0.0
        self._pending: list[_Pending] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._sending = False
        self._last_insert = float("-inf")
        self._own_ids: set[str] = set()
        self._own_texts: deque[str] = deque(maxlen=50)
        self._own_channel: str | None = None
        self._gone_chats: set[str] = set()
        self._said_waiting = False
        self._tasks: list[asyncio.Task[None]] = []
        self._handling: dict[str, asyncio.Task[None]] = {}

    # -- lifecycle ---------------------------------------------------------------------

    def _build(self) -> Any:
        from googleapiclient.discovery import build

        options = {"api_endpoint": self.endpoint} if self.endpoint else None
        return build(
            "youtube",
            "v3",
            credentials=self.credentials,
            static_discovery=True,
            client_options=options,
        )

    @property
    def home_channel(self) -> str | None:
        """The live chat this adapter speaks in, while a broadcast is live: where an
        announcement to everyone goes (a giveaway's start, bots.runtime.giveaways)."""
        return self.live_chat_id

    async def start(self, inbox: Inbox) -> None:
        """Check the credentials with one lookup, then read or wait for the chat in the background.

        Raises `YouTubeError` only when retrying cannot help: credentials refused, the API
        not enabled, a request YouTube rejects. No broadcast yet is not an error.
        """
        self._inbox = inbox
        self.ledger.load(self.planner)
        self._poll_api = await asyncio.to_thread(self._build)
        self._send_api = await asyncio.to_thread(self._build)
        chat: str | None = None
        looked = False
        try:
            chat = await self._find_chat()
            looked = True
        except ApiError as exc:
            if not (exc.reason == "quotaExceeded" or _transient(exc)):
                raise YouTubeError(f"cannot find the live chat: {exc}") from exc
            log.warning("youtube: cannot look for the broadcast yet (%s); will keep trying", exc)
        if chat is not None:
            try:
                await self._open(chat)
            except ApiError as exc:
                if _refused(exc):
                    raise YouTubeError(f"cannot read the live chat: {exc}") from exc
                self._chat_unusable(chat, exc)
        if looked and not self.live.is_set():
            self._say_waiting()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._watch(looked=True)),
            loop.create_task(self._send_forever()),
        ]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._handling.values()]:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self.ledger.save(self.planner)

    @property
    def idle(self) -> bool:
        return not self._pending and not self._sending and not self._handling

    async def drain(self) -> None:
        while not self.idle and self.live.is_set():
            await asyncio.sleep(0.02)

    def quota(self) -> dict[str, object]:
        return {
            **self.planner.snapshot(),
            "state": self.state,
            "messages_sent": self.messages_sent,
            "replies_sent": self.replies_sent,
            "replies_dropped": self.replies_dropped,
            "replies_folded": self.replies_folded,
        }

    @property
    def state(self) -> str:
        """`live` (reading a chat), `waiting` (for a broadcast) or `stopped` (for good)."""
        if self.stopped.is_set():
            return "stopped"
        return "live" if self.live.is_set() else "waiting"

    # -- API calls ---------------------------------------------------------------------

    async def _call(self, request: Any, method: str) -> dict[str, Any]:
        """Run one request in a thread and charge the planner as YouTube's meter would."""
        try:
            result: dict[str, Any] = await asyncio.to_thread(request.execute, num_retries=0)
        except Exception as exc:  # HttpError, or whatever httplib2 raised on the way
            error = _error_of(exc)
            if error.reason == "quotaExceeded":
                self.ledger.roll(self.planner)
                self.planner.mark_exhausted()
                self.ledger.save(self.planner)
            elif error.status not in (0, 401):
                self._charge(method)
            raise error from exc
        self._charge(method)
        return result

    def _charge(self, method: str) -> None:
        self.ledger.roll(self.planner)  # past midnight Pacific, a new day's count
        self.planner.charge(method)
        self.ledger.save(self.planner)

    async def _find_chat(self) -> str | None:
        """The live chat to read now, or None when nothing is live (yet)."""
        if self.video_id:
            request = self._poll_api.videos().list(part="liveStreamingDetails", id=self.video_id)
            page = await self._call(request, "videos.list")
            chats = [
                (video.get("liveStreamingDetails") or {}).get("activeLiveChatId")
                for video in page.get("items", [])
            ]
        else:
            # broadcastStatus is one of the filters of which the docs allow exactly one
            # (it implies the authorised channel's own broadcasts): never with mine=True.
            request = self._poll_api.liveBroadcasts().list(
                part="snippet,status", broadcastStatus="active", broadcastType="all"
            )
            page = await self._call(request, LOOKUP)
            chats = [(b.get("snippet") or {}).get("liveChatId") for b in page.get("items", [])]
        return next((str(c) for c in chats if c and str(c) not in self._gone_chats), None)

    async def _open(self, chat: str) -> None:
        """Start reading a chat; what was said before is history, not orders: skip it."""
        self.live_chat_id = chat
        page = await self._call(self._list_request(None), POLL)
        self._page_token = page.get("nextPageToken")
        self._suggested = int(page.get("pollingIntervalMillis") or 0) / 1000
        self.planner.begin_stream()
        self.end_reason = None
        self.ended.clear()
        self.chats_read += 1
        self._said_waiting = False
        self.live.set()
        self._wake.set()
        log.info("youtube: reading live chat %s", chat)

    def _chat_unusable(self, chat: str, error: ApiError) -> None:
        self.live_chat_id = None
        if error.reason == "quotaExceeded" or _transient(error):
            log.warning("youtube: cannot read live chat %s yet (%s); will retry", chat, error)
            return
        log.warning("youtube: cannot read live chat %s (%s); waiting for another", chat, error)
        self._gone_chats.add(chat)

    def _say_waiting(self) -> None:
        """Say once per wait, not once per look, that there is nothing live to read."""
        if self._said_waiting:
            return
        self._said_waiting = True
        where = f"video {self.video_id}" if self.video_id else "this account"
        log.warning(
            "youtube: no live broadcast on %s yet; checking every %gs, the chat is read "
            "as soon as it goes live",
            where,
            self.lookup_interval,
        )

    def _list_request(self, token: str | None) -> Any:
        kwargs: dict[str, Any] = {
            "liveChatId": self.live_chat_id,
            "part": PARTS,
            "maxResults": self.max_results,
        }
        if token:
            kwargs["pageToken"] = token
        return self._poll_api.liveChatMessages().list(**kwargs)

    def _end(self, reason: str) -> None:
        """The chat being read is over: drop what was queued for it, then look for the next."""
        if self.live.is_set():
            log.warning(
                "youtube: the live chat is over (%s); waiting for the next broadcast", reason
            )
            if self.live_chat_id:
                self._gone_chats.add(self.live_chat_id)
            self._said_waiting = True
            self.end_reason = reason
            self.replies_dropped += len(self._pending)
            self._pending.clear()
            self.live.clear()
            self.ended.set()
            self._wake.set()

    def _halt(self, error: ApiError) -> None:
        """Retrying cannot help (credentials revoked): stop reading and say what to do."""
        log.error("youtube: stopped: %s; sign in again (`vivo auth youtube`) and restart", error)
        self.end_reason = error.reason
        self.replies_dropped += len(self._pending)
        self._pending.clear()
        self.live.clear()
        self.ended.set()
        self.stopped.set()
        self._wake.set()

    async def _wait_for_quota(self) -> None:
        wait = seconds_until_reset()
        log.error("youtube: the day's quota is spent; resuming in %.0f minutes", wait / 60)
        await self.clock.sleep(wait)
        if not self.ledger.roll(self.planner):
            self.planner.new_day()
        self.ledger.save(self.planner)

    # -- waiting for a broadcast -------------------------------------------------------

    async def _watch(self, *, looked: bool) -> None:
        """Read the chat while there is one; between broadcasts, look for the next."""
        while not self.stopped.is_set():
            if self.live.is_set():
                await self._poll_forever()
                looked = False  # look again at once: the streamer may have restarted
                continue
            await self._look_for_chat(sleep_first=looked)
            looked = True

    async def _look_for_chat(self, *, sleep_first: bool) -> None:
        """Look for a live chat at a slow pace, one unit a look, until one is open."""
        while not self.live.is_set() and not self.stopped.is_set():
            if sleep_first:
                await self.clock.sleep(self._lookup_pause())
            sleep_first = True
            if self.planner.level() is Level.EXHAUSTED:
                await self._wait_for_quota()
                continue
            chat = None
            try:
                chat = await self._find_chat()
                if chat is not None:
                    await self._open(chat)
                    return
            except ApiError as error:
                if _refused(error):
                    self._halt(error)
                    return
                if chat is not None:
                    self._chat_unusable(chat, error)
                elif error.reason != "quotaExceeded":
                    log.warning("youtube: looking for the broadcast failed (%s)", error)
                continue
            self._say_waiting()

    def _lookup_pause(self) -> float:
        """Seconds between looks: five times slower once the day's units run short."""
        slow = self.planner.level() >= Level.LOW
        return self.lookup_interval * (5 if slow else 1)

    # -- polling -----------------------------------------------------------------------

    async def _poll_forever(self) -> None:
        """Poll the open chat until it is over."""
        delay = self.planner.poll_interval(self._suggested)
        backoff = 0.0
        while self.live.is_set():
            await self.clock.sleep(backoff or delay)
            if not self.live.is_set():
                return
            if self.planner.level() is Level.EXHAUSTED:
                await self._wait_for_quota()
                continue
            try:
                page = await self._call(self._list_request(self._page_token), POLL)
            except ApiError as error:
                if error.reason in CHAT_GONE:
                    self._end(error.reason)
                    return
                if error.status == 401:
                    self._halt(error)
                    return
                if error.reason == "quotaExceeded":
                    continue
                if _transient(error):
                    backoff = min(self.max_backoff, max(self.planner.min_interval, backoff * 2))
                    log.warning("youtube: polling failed (%s); retrying in %.0fs", error, backoff)
                    continue
                log.error("youtube: cannot read the live chat: %s", error)
                self._end(error.reason)
                return
            backoff = 0.0
            self._page_token = page.get("nextPageToken") or self._page_token
            self._suggested = int(page.get("pollingIntervalMillis") or 0) / 1000
            items = page.get("items") or []
            for item in items:
                await self._deliver(item)
            if page.get("offlineAt"):
                self._end("offline")
                return
            full = len(items) >= self.max_results
            delay = self._suggested if full else self.planner.poll_interval(self._suggested)

    async def _deliver(self, item: dict[str, Any]) -> None:
        """Hand one chat item to the bot without holding up the rest of the page.

        A purchase can wait seconds on MercadoPago; other viewers' lines must not queue
        behind it. One viewer's own lines still go in order: each waits for their previous.
        """
        if self._is_own(item):
            return
        event = to_event(item, self.platform)
        if event is None or self._inbox is None:
            return
        author = event.author.id
        previous = self._handling.get(author)
        task = asyncio.get_running_loop().create_task(self._handle(event, previous))
        self._handling[author] = task
        task.add_done_callback(lambda done: self._handled(author, done))

    async def _handle(
        self, event: ChatMessage | PlatformTip, previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        if self._inbox is None:
            return
        try:
            await self._inbox(event)
        except Exception:
            log.exception("youtube: handling message %s failed", event.id)

    def _handled(self, author: str, done: asyncio.Task[None]) -> None:
        if self._handling.get(author) is done:
            del self._handling[author]

    def _is_own(self, item: dict[str, Any]) -> bool:
        message_id = item.get("id")
        if message_id in self._own_ids:
            self._own_ids.discard(str(message_id))
            return True
        snippet = item.get("snippet") or {}
        author = str((item.get("authorDetails") or {}).get("channelId") or "")
        text = (snippet.get("textMessageDetails") or {}).get("messageText")
        return text in self._own_texts and self._own_channel in (None, author)

    # -- sending -----------------------------------------------------------------------

    async def send(self, reply: Reply) -> None:
        """Queue a reply; the sender task coalesces and paces what is queued."""
        if not self.live.is_set() or self.planner.drops(reply.priority):
            self.replies_dropped += 1
            return
        if reply.priority is Priority.PAYMENT:
            self.planner.note_link()
        self._pending.append(_Pending(reply, self.clock.now(), next(self._seq)))
        self._wake.set()

    async def _send_forever(self) -> None:
        while True:
            if not self.live.is_set():
                await self.live.wait()
                continue
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._drop_by_level()
            if not self._pending:
                continue
            head = min(self._pending, key=lambda p: (p.priority, p.seq))
            due = max(head.at + self.planner.hold(head.priority), self._last_insert + self.send_gap)
            wait = due - self.clock.now()
            if wait > 0:
                await self._nap(wait)
                continue
            if self.planner.level() is Level.EXHAUSTED:
                await self._wait_for_quota()
                continue
            if not self.planner.may_send(head.priority):
                await self._nap(self.planner.max_interval)
                continue
            await self._send_one()

    async def _nap(self, seconds: float) -> None:
        """Sleep, but wake early when a new reply arrives (it may outrank the head)."""
        self._wake.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()

    def _drop_by_level(self) -> None:
        kept = [p for p in self._pending if not self.planner.drops(p.priority)]
        if len(kept) != len(self._pending):
            dropped = len(self._pending) - len(kept)
            self.replies_dropped += dropped
            log.warning("youtube: quota is low, dropped %d announcement(s)", dropped)
            self._pending = kept

    async def _send_one(self) -> None:
        batch, text, folded = pack(self._pending, self.planner.level())
        request = self._send_api.liveChatMessages().insert(
            part="snippet",
            body={
                "snippet": {
                    "liveChatId": self.live_chat_id,
                    "type": "textMessageEvent",
                    "textMessageDetails": {"messageText": text},
                }
            },
        )
        self._sending = True
        self._own_texts.append(text)
        try:
            sent = await self._call(request, INSERT)
        except ApiError as error:
            self._last_insert = self.clock.now()
            self._insert_failed(error, batch)
            return
        finally:
            self._sending = False
        self._last_insert = self.clock.now()
        if sent.get("id"):
            self._own_ids.add(str(sent["id"]))
        author = (sent.get("snippet") or {}).get("authorChannelId")
        if author:
            self._own_channel = str(author)
        self._forget(batch)
        self.messages_sent += 1
        self.replies_sent += len(batch) - folded
        self.replies_folded += folded

    def _insert_failed(self, error: ApiError, batch: list[_Pending]) -> None:
        if error.reason in CHAT_GONE:
            self._end(error.reason)
        elif error.status == 401:
            self._halt(error)
        elif error.reason == "quotaExceeded" or _transient(error):
            log.warning("youtube: sending failed (%s); will retry", error)
            self._last_insert += self.send_gap * 4
        else:
            log.error("youtube: message dropped: %s", error)
            self._forget(batch)
            self.replies_dropped += len(batch)

    def _forget(self, batch: list[_Pending]) -> None:
        gone = {id(p) for p in batch}
        self._pending = [p for p in self._pending if id(p) not in gone]

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
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from adapters.youtube_quota import INSERT, POLL, Clock, Level, QuotaPlanner, RealClock

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
    """The live chat cannot be used: no broadcast, chat off, bad credentials."""


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
    if name and name in text:
        return text.replace(name, handle, 1)
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


def seconds_until_reset(now: datetime | None = None) -> float:
    """YouTube quotas reset at midnight Pacific time."""
    try:
        pacific: Any = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        pacific = UTC
    moment = (now or datetime.now(UTC)).astimezone(pacific)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - moment).total_seconds())


# -- the adapter --------------------------------------------------------------------------


class YouTubeAdapter:
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
    ) -> None:
        self.credentials = credentials
        self.video_id = video_id
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.clock: Clock = clock or (planner.clock if planner else RealClock())
        self.planner = planner or QuotaPlanner(
            daily_budget=daily_budget, stream_seconds=stream_hours * 3600, clock=self.clock
        )
        self.send_gap = send_gap
        self.max_results = max_results
        self.max_backoff = max_backoff
        self.live_chat_id: str | None = None
        self.ended = asyncio.Event()
        self.end_reason: str | None = None
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
        self._tasks: list[asyncio.Task[None]] = []

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

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._poll_api = await asyncio.to_thread(self._build)
        self._send_api = await asyncio.to_thread(self._build)
        self.live_chat_id = await self._find_chat()
        try:
            page = await self._call(self._list_request(None), POLL)
        except ApiError as exc:
            raise YouTubeError(f"cannot read the live chat: {exc}") from exc
        # What was said before the bot started is history, not orders: skip it.
        self._page_token = page.get("nextPageToken")
        self._suggested = int(page.get("pollingIntervalMillis") or 0) / 1000
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._poll_forever()),
            loop.create_task(self._send_forever()),
        ]
        log.info("youtube: reading live chat %s", self.live_chat_id)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    @property
    def idle(self) -> bool:
        return not self._pending and not self._sending

    async def drain(self) -> None:
        while not self.idle and not self.ended.is_set():
            await asyncio.sleep(0.02)

    def quota(self) -> dict[str, object]:
        return {
            **self.planner.snapshot(),
            "messages_sent": self.messages_sent,
            "replies_sent": self.replies_sent,
            "replies_dropped": self.replies_dropped,
            "replies_folded": self.replies_folded,
        }

    # -- API calls ---------------------------------------------------------------------

    async def _call(self, request: Any, method: str) -> dict[str, Any]:
        """Run one request in a thread and charge the planner as YouTube's meter would."""
        try:
            result: dict[str, Any] = await asyncio.to_thread(request.execute, num_retries=0)
        except Exception as exc:  # HttpError, or whatever httplib2 raised on the way
            error = _error_of(exc)
            if error.reason == "quotaExceeded":
                self.planner.mark_exhausted()
            elif error.status not in (0, 401):
                self.planner.charge(method)
            raise error from exc
        self.planner.charge(method)
        return result

    async def _find_chat(self) -> str:
        try:
            if self.video_id:
                request = self._poll_api.videos().list(
                    part="liveStreamingDetails", id=self.video_id
                )
                page = await self._call(request, "videos.list")
                for video in page.get("items", []):
                    chat = (video.get("liveStreamingDetails") or {}).get("activeLiveChatId")
                    if chat:
                        return str(chat)
                raise YouTubeError(
                    f"video {self.video_id} has no active live chat: is it live, with chat on?"
                )
            request = self._poll_api.liveBroadcasts().list(
                part="snippet,status", mine=True, broadcastStatus="active", broadcastType="all"
            )
            page = await self._call(request, "liveBroadcasts.list")
        except ApiError as exc:
            raise YouTubeError(f"cannot find the live chat: {exc}") from exc
        for broadcast in page.get("items", []):
            chat = (broadcast.get("snippet") or {}).get("liveChatId")
            if chat:
                return str(chat)
        raise YouTubeError(
            "no active broadcast on this account: go live first, or set platforms.youtube.video_id"
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
        if not self.ended.is_set():
            log.warning("youtube: the live chat is over (%s); replies are dropped", reason)
            self.end_reason = reason
            self.replies_dropped += len(self._pending)
            self._pending.clear()
            self.ended.set()
            self._wake.set()

    async def _wait_for_quota(self) -> None:
        wait = seconds_until_reset()
        log.error("youtube: the day's quota is spent; resuming in %.0f minutes", wait / 60)
        await self.clock.sleep(wait)
        self.planner.new_day()

    # -- polling -----------------------------------------------------------------------

    async def _poll_forever(self) -> None:
        delay = self.planner.poll_interval(self._suggested)
        backoff = 0.0
        while not self.ended.is_set():
            await self.clock.sleep(backoff or delay)
            if self.planner.level() is Level.EXHAUSTED:
                await self._wait_for_quota()
                continue
            try:
                page = await self._call(self._list_request(self._page_token), POLL)
            except ApiError as error:
                if error.reason in CHAT_GONE:
                    self._end(error.reason)
                    return
                if error.reason == "quotaExceeded":
                    continue
                if _transient(error):
                    backoff = min(self.max_backoff, max(self.planner.min_interval, backoff * 2))
                    log.warning("youtube: polling failed (%s); retrying in %.0fs", error, backoff)
                    continue
                log.error("youtube: polling stopped: %s", error)
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
        if self._is_own(item):
            return
        event = to_event(item, self.platform)
        if event is None or self._inbox is None:
            return
        try:
            await self._inbox(event)
        except Exception:
            log.exception("youtube: handling message %s failed", item.get("id"))

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
        if self.ended.is_set() or self.planner.drops(reply.priority):
            self.replies_dropped += 1
            return
        if reply.priority is Priority.PAYMENT:
            self.planner.note_link()
        self._pending.append(_Pending(reply, self.clock.now(), next(self._seq)))
        self._wake.set()

    async def _send_forever(self) -> None:
        while not self.ended.is_set():
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

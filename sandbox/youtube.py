"""YouTube Live chat, played on loopback well enough for google-api-python-client to run on it.

API (under `/youtube`, so the client's `api_endpoint` is `<sandbox>/youtube` and the
discovery document's `youtube/v3/...` paths land under it): `liveBroadcasts.list`,
`videos.list` (`liveStreamingDetails`), `liveChatMessages.list` (history on the first call,
then paging by `pageToken`, `pollingIntervalMillis`) and `liveChatMessages.insert`, with
Google's error bodies and a quota meter charging the published prices that answers
`quotaExceeded` once the day's budget is spent.

Control API (under `/_sandbox/youtube`): `say`, `superchat`, `supersticker`, `member`,
`inject` (a raw liveChatMessage as is), `sent`, `quota`, `end`, `live`, `faults`.

Broadcasts: the channel has one current broadcast at a time. `live=False` makes the first
one *upcoming* (scheduled, not started: `broadcastStatus=active` does not list it and its
video has no `activeLiveChatId`); `live` starts it, or, once the current one is complete,
starts a new broadcast with a new video id and a new chat. `end` completes the current one.

Resources are shaped after the YouTube Live Streaming API reference (liveChatMessages,
liveBroadcasts, videos), not after what any client reads.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

PREFIX = "/youtube/youtube/v3"
CONTROL = "/_sandbox/youtube"

# Units per call, from "Quota costs" in the YouTube Data API docs (and PLATFORM-FACTS.md).
PRICES: dict[str, int] = {
    "liveBroadcasts.list": 1,
    "videos.list": 1,
    "liveChatMessages.list": 5,
    "liveChatMessages.insert": 20,
}
MAX_MESSAGE = 200  # characters a chat message may hold
ROLES = ("viewer", "member", "moderator", "owner")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def google_error(
    status: int, reason: str, message: str, domain: str = "youtube.liveChat"
) -> web.Response:
    """An error in the shape every Google JSON API answers with."""
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }
    return web.json_response(body, status=status)


# The errors the stand-in can answer with: reason → (status, domain, message).
ERRORS: dict[str, tuple[int, str, str]] = {
    "quotaExceeded": (
        403,
        "youtube.quota",
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    ),
    "rateLimitExceeded": (
        403,
        "youtube.liveChat",
        "The request was sent too soon after the previous one.",
    ),
    "liveChatEnded": (403, "youtube.liveChat", "The live chat is no longer live."),
    "liveChatNotFound": (
        404,
        "youtube.liveChat",
        "The live chat that you are trying to retrieve cannot be found.",
    ),
    "backendError": (503, "global", "Backend Error"),
}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _channel_id(name: str) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(name.encode()).digest()).decode()
    return "UC" + digest[:22]


def _etag(data: object) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:27]


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _position(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, number = raw.partition(":")
    return int(number) if kind == "pos" and number.isdigit() else None


def _money_display(micros: int, currency: str) -> str:
    amount = Decimal(micros) / 1_000_000
    symbol = {"USD": "$", "ARS": "ARS$", "BRL": "R$", "MXN": "MX$", "EUR": "€"}.get(currency)
    text = f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def _tier(micros: int) -> int:
    usd = micros / 1_000_000
    for tier, floor in enumerate((2, 5, 10, 20, 50, 100, 200, 500), start=1):
        if usd < floor:
            return tier
    return 9


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


class YouTubeStandIn:
    name = "youtube"

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
        self.daily_quota = daily_quota
        self.polling_interval_ms = polling_interval_ms
        self.page_size = page_size
        self.history = history
        self.strict_polling = strict_polling
        self.owner = owner
        self.owner_channel = _channel_id(owner)
        now = _now_iso()
        self.broadcasts = [Broadcast(video_id, now, now if live else None)]
        self.sent: list[dict[str, Any]] = []
        self.spent = 0
        self.calls: dict[str, int] = {}
        self.faults = Faults()
        self._ids = itertools.count(1)
        self._last_poll: float | None = None
        self.rate_limited = 0  # polls refused for coming sooner than pollingIntervalMillis

    async def close(self) -> None:
        """Nothing runs in the background: polling is the client's job."""

    def setup(self, app: web.Application) -> None:
        api = self._api
        app.router.add_get(f"{PREFIX}/liveBroadcasts", api("liveBroadcasts.list", self._broadcasts))
        app.router.add_get(f"{PREFIX}/videos", api("videos.list", self._videos))
        app.router.add_get(
            f"{PREFIX}/liveChat/messages", api("liveChatMessages.list", self._list_messages)
        )
        app.router.add_post(
            f"{PREFIX}/liveChat/messages", api("liveChatMessages.insert", self._insert_message)
        )
        app.router.add_post(f"{CONTROL}/say", self._control_say)
        app.router.add_post(f"{CONTROL}/superchat", self._control_superchat)
        app.router.add_post(f"{CONTROL}/supersticker", self._control_supersticker)
        app.router.add_post(f"{CONTROL}/member", self._control_member)
        app.router.add_post(f"{CONTROL}/inject", self._control_inject)
        app.router.add_get(f"{CONTROL}/sent", self._control_sent)
        app.router.add_get(f"{CONTROL}/quota", self._control_quota)
        app.router.add_post(f"{CONTROL}/end", self._control_end)
        app.router.add_post(f"{CONTROL}/live", self._control_live)
        app.router.add_get(f"{CONTROL}/faults", self._control_get_faults)
        app.router.add_post(f"{CONTROL}/faults", self._control_set_faults)

    # -- the chat, from the inside ------------------------------------------------------

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

    def go_live(self, video_id: str | None = None) -> Broadcast:
        """The streamer starts the upcoming broadcast, or a new one after the last ended."""
        current = self.current
        if current.status == "active":
            return current
        if current.status == "upcoming":
            current.started_at = _now_iso()
            return current
        new_id = video_id or f"{current.id.rstrip('0123456789')}{len(self.broadcasts) + 1:03d}"
        if any(b.id == new_id for b in self.broadcasts):
            raise ValueError(f"broadcast {new_id} already exists")
        now = _now_iso()
        self.broadcasts.append(Broadcast(new_id, now, now))
        return self.current

    def _chat(self, live_chat_id: str | None) -> Broadcast | None:
        return next((b for b in self.broadcasts if b.live_chat_id == live_chat_id), None)

    def say(self, user: str, text: str, role: str = "viewer") -> dict[str, Any]:
        """A viewer types in chat: a textMessageEvent."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        snippet: dict[str, Any] = {
            "type": "textMessageEvent",
            "hasDisplayContent": True,
            "displayMessage": text,
            "textMessageDetails": {"messageText": text},
        }
        return self._post(user, role, snippet)

    def superchat(
        self, user: str, amount_micros: int, currency: str, comment: str = "", role: str = "viewer"
    ) -> dict[str, Any]:
        display = _money_display(amount_micros, currency)
        snippet: dict[str, Any] = {
            "type": "superChatEvent",
            "hasDisplayContent": True,
            "displayMessage": f'{display} from {user}: "{comment}"'
            if comment
            else f"{display} from {user}",
            "superChatDetails": {
                "amountMicros": str(amount_micros),
                "currency": currency,
                "amountDisplayString": display,
                "userComment": comment,
                "tier": _tier(amount_micros),
            },
        }
        return self._post(user, role, snippet)

    def supersticker(
        self,
        user: str,
        amount_micros: int,
        currency: str,
        sticker_id: str = "sticker-vivo-1",
        alt_text: str = "Una llama bailando",
    ) -> dict[str, Any]:
        display = _money_display(amount_micros, currency)
        snippet: dict[str, Any] = {
            "type": "superStickerEvent",
            "hasDisplayContent": True,
            "displayMessage": f"Super Sticker {display} from {user}",
            "superStickerDetails": {
                "superStickerMetadata": {
                    "stickerId": sticker_id,
                    "altText": alt_text,
                    "altTextLanguage": "es",
                },
                "amountMicros": str(amount_micros),
                "currency": currency,
                "amountDisplayString": display,
                "tier": _tier(amount_micros),
            },
        }
        return self._post(user, "viewer", snippet)

    def member(self, user: str, level: str = "Miembro", upgrade: bool = False) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "type": "newSponsorEvent",
            "hasDisplayContent": True,
            "displayMessage": f"Welcome to {level}!",
            "newSponsorDetails": {"memberLevelName": level, "isUpgrade": upgrade},
        }
        return self._post(user, "member", snippet)

    def inject(self, resource: dict[str, Any]) -> dict[str, Any]:
        self.messages.append(resource)
        return resource

    def end(self) -> None:
        """The streamer ends the current broadcast (an upcoming one is completed unstarted)."""
        if self.current.ended_at is None:
            self.current.ended_at = _now_iso()

    def _post(
        self, user: str, role: str, snippet: dict[str, Any], chat: Broadcast | None = None
    ) -> dict[str, Any]:
        chat = chat or self.current
        is_owner = role == "owner"
        channel = self.owner_channel if is_owner else _channel_id(user)
        name = self.owner if is_owner else user
        message_id = f"LCC.{chat.id}.{next(self._ids):08d}"
        full_snippet = {
            "type": snippet["type"],
            "liveChatId": chat.live_chat_id,
            "authorChannelId": channel,
            "publishedAt": _now_iso(),
            **{k: v for k, v in snippet.items() if k != "type"},
        }
        resource = {
            "kind": "youtube#liveChatMessage",
            "id": message_id,
            "snippet": full_snippet,
            "authorDetails": {
                "channelId": channel,
                "channelUrl": f"http://www.youtube.com/channel/{channel}",
                "displayName": name,
                "profileImageUrl": f"https://yt3.ggpht.com/{channel}/photo.jpg",
                "isVerified": False,
                "isChatOwner": is_owner,
                "isChatSponsor": role == "member",
                "isChatModerator": role == "moderator",
            },
        }
        resource["etag"] = _etag(resource)
        chat.messages.append(resource)
        return resource

    # -- the API -------------------------------------------------------------------------

    def _api(self, method: str, handler: Handler) -> Handler:
        """Auth, the quota meter, then injected faults, in the order Google applies them."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer" or not token or (self.access_token not in (None, token)):
                return google_error(
                    401,
                    "authError",
                    "Request had invalid authentication credentials.",
                    domain="global",
                )
            price = PRICES[method]
            if self.spent + price > self.daily_quota:
                return self._error("quotaExceeded")
            self.spent += price
            self.calls[method] = self.calls.get(method, 0) + 1
            queue = {
                "liveChatMessages.list": self.faults.list,
                "liveChatMessages.insert": self.faults.insert,
            }.get(method)
            if queue:
                return self._error(queue.popleft())
            return await handler(request)

        return guarded

    def _error(self, reason: str) -> web.Response:
        status, domain, message = ERRORS.get(reason, (400, "youtube.liveChat", reason))
        return google_error(status, reason, message, domain)

    async def _broadcasts(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("mine") != "true" and "id" not in query:
            return google_error(
                400,
                "incompatibleParameters",
                "The request specifies incompatible filter parameters.",
                domain="youtube.liveBroadcast",
            )
        status = query.get("broadcastStatus", "all")
        wanted = set(query["id"].split(",")) if "id" in query else None
        items = [
            self._broadcast(b)
            for b in reversed(self.broadcasts)  # the newest first
            if status in ("all", b.status) and (wanted is None or b.id in wanted)
        ]
        return web.json_response(
            {
                "kind": "youtube#liveBroadcastListResponse",
                "etag": _etag(items),
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            }
        )

    def _broadcast(self, broadcast: Broadcast) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "publishedAt": broadcast.scheduled_at,
            "channelId": self.owner_channel,
            "title": "Vivo en vivo",
            "description": "",
            "scheduledStartTime": broadcast.scheduled_at,
            "isDefaultBroadcast": False,
            "liveChatId": broadcast.live_chat_id,
        }
        if broadcast.started_at:
            snippet["actualStartTime"] = broadcast.started_at
        if broadcast.ended_at:
            snippet["actualEndTime"] = broadcast.ended_at
        life, recording = {
            "upcoming": ("ready", "notRecording"),
            "active": ("live", "recording"),
            "completed": ("complete", "recorded"),
        }[broadcast.status]
        return {
            "kind": "youtube#liveBroadcast",
            "etag": _etag(snippet),
            "id": broadcast.id,
            "snippet": snippet,
            "status": {
                "lifeCycleStatus": life,
                "privacyStatus": "public",
                "recordingStatus": recording,
                "madeForKids": False,
                "selfDeclaredMadeForKids": False,
            },
        }

    async def _videos(self, request: web.Request) -> web.StreamResponse:
        ids = [i for i in request.query.get("id", "").split(",") if i]
        items = []
        for broadcast in self.broadcasts:
            if broadcast.id not in ids:
                continue
            details: dict[str, Any] = {"scheduledStartTime": broadcast.scheduled_at}
            if broadcast.started_at:
                details["actualStartTime"] = broadcast.started_at
            if broadcast.ended_at:
                details["actualEndTime"] = broadcast.ended_at
            elif broadcast.started_at:
                # "filled only if the video is a currently live broadcast that has live chat"
                details["concurrentViewers"] = "42"
                details["activeLiveChatId"] = broadcast.live_chat_id
            items.append(
                {
                    "kind": "youtube#video",
                    "etag": _etag(details),
                    "id": broadcast.id,
                    "liveStreamingDetails": details,
                }
            )
        return web.json_response(
            {
                "kind": "youtube#videoListResponse",
                "etag": _etag(items),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            }
        )

    async def _list_messages(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        chat = self._chat(query.get("liveChatId"))
        if chat is None:
            return self._error("liveChatNotFound")
        if chat.ended_at is not None:
            return self._error("liveChatEnded")
        messages = chat.messages
        now = time.monotonic()
        if (
            self.strict_polling
            and self._last_poll is not None
            and (now - self._last_poll) * 1000 < self.polling_interval_ms * 0.9
        ):
            self.rate_limited += 1
            return self._error("rateLimitExceeded")
        self._last_poll = now
        try:
            size = min(2000, max(200, int(query.get("maxResults", "500"))))
        except ValueError:
            return google_error(400, "invalidValue", "Invalid value for maxResults.", "global")
        size = min(size, self.page_size)
        token = query.get("pageToken")
        if token is None:
            start = max(0, len(messages) - min(self.history, size))
        else:
            position = _position(token)
            if position is None or position > len(messages):
                return google_error(400, "pageTokenInvalid", "The page token is invalid.")
            start = position
        items = messages[start : start + size]
        parts = {p.strip() for p in query.get("part", "").split(",")}
        shown = [_only(parts, item) for item in items]
        body = {
            "kind": "youtube#liveChatMessageListResponse",
            "etag": _etag(shown),
            "pollingIntervalMillis": self.polling_interval_ms,
            "pageInfo": {"totalResults": len(shown), "resultsPerPage": len(shown)},
            "nextPageToken": _token(start + len(items)),
            "items": shown,
        }
        return web.json_response(body)

    async def _insert_message(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return google_error(400, "parseError", "Parse Error", "global")
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict) or not snippet.get("liveChatId"):
            return google_error(400, "liveChatIdRequired", "snippet.liveChatId is required.")
        if snippet.get("type") != "textMessageEvent":
            return google_error(400, "typeRequired", "snippet.type must be textMessageEvent.")
        text = (snippet.get("textMessageDetails") or {}).get("messageText")
        if not text:
            return google_error(400, "messageTextRequired", "The message text is required.")
        if len(text) > MAX_MESSAGE:
            return google_error(400, "messageTextInvalid", "The message text is invalid.")
        chat = self._chat(snippet["liveChatId"])
        if chat is None:
            return self._error("liveChatNotFound")
        if chat.ended_at is not None:
            return self._error("liveChatEnded")
        resource = self._post(
            self.owner,
            "owner",
            {
                "type": "textMessageEvent",
                "hasDisplayContent": True,
                "displayMessage": text,
                "textMessageDetails": {"messageText": text},
            },
            chat,
        )
        self.sent.append({"id": resource["id"], "liveChatId": chat.live_chat_id, "text": text})
        return web.json_response(
            {k: resource[k] for k in ("kind", "etag", "id", "snippet", "authorDetails")}
        )

    # -- control -------------------------------------------------------------------------

    async def _control_say(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        try:
            item = self.say(str(body["user"]), str(body["text"]), str(body.get("role", "viewer")))
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"bad say: {exc}"}, status=400)
        return web.json_response(item, status=201)

    async def _control_superchat(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        try:
            item = self.superchat(
                str(body["user"]),
                int(body["amount_micros"]),
                str(body.get("currency", "USD")),
                str(body.get("comment", "")),
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"bad superchat: {exc}"}, status=400)
        return web.json_response(item, status=201)

    async def _control_supersticker(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        try:
            item = self.supersticker(
                str(body["user"]), int(body["amount_micros"]), str(body.get("currency", "USD"))
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"bad supersticker: {exc}"}, status=400)
        return web.json_response(item, status=201)

    async def _control_member(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if "user" not in body:
            return web.json_response({"error": "user is required"}, status=400)
        item = self.member(str(body["user"]), str(body.get("level", "Miembro")))
        return web.json_response(item, status=201)

    async def _control_inject(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if not body:
            return web.json_response(
                {"error": "a liveChatMessage resource is required"}, status=400
            )
        return web.json_response(self.inject(body), status=201)

    async def _control_sent(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.sent)

    async def _control_quota(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "spent": self.spent,
                "budget": self.daily_quota,
                "remaining": self.daily_quota - self.spent,
                "calls": self.calls,
                "prices": PRICES,
            }
        )

    async def _control_end(self, request: web.Request) -> web.StreamResponse:
        self.end()
        return web.json_response({"ended_at": self.ended_at})

    async def _control_live(self, request: web.Request) -> web.StreamResponse:
        """Go live: the upcoming broadcast starts, or a new one after the last ended."""
        body = await _body(request)
        try:
            broadcast = self.go_live(str(body["video_id"]) if body.get("video_id") else None)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        return web.json_response(self._broadcast(broadcast), status=201)

    async def _control_get_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "list": list(self.faults.list),
                "insert": list(self.faults.insert),
                "latency_ms": self.faults.latency_ms,
            }
        )

    async def _control_set_faults(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        for key in ("list", "insert"):
            if key in body:
                getattr(self.faults, key).extend(str(reason) for reason in body[key])
        if "latency_ms" in body:
            self.faults.latency_ms = int(body["latency_ms"])
        return await self._control_get_faults(request)


def _only(parts: set[str], item: dict[str, Any]) -> dict[str, Any]:
    """Keep the resource parts asked for, as the API does with `part`."""
    kept = {k: v for k, v in item.items() if k in ("kind", "etag")}
    for part in ("id", "snippet", "authorDetails"):
        if part in parts and part in item:
            kept[part] = item[part]
    return kept


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

"""The Data API endpoints: liveBroadcasts.list, videos.list, liveChatMessages.list / insert.

Under `/youtube`, so a client's `api_endpoint` is `<sandbox>/youtube` and the discovery
document's `youtube/v3/...` paths land under it. Each request goes through `_api`, in the
order Google applies them: authentication, the request's parameters (each method's table:
`part` is required everywhere; list filters are "exactly one of"), the quota meter (an
invalid request costs 1 unit, a valid one its price), injected faults, then the method.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from sandbox.youtube import errors, payloads
from sandbox.youtube.errors import ApiError
from sandbox.youtube.world import MAX_MESSAGE, YouTubeWorld

PREFIX = "/youtube/youtube/v3"

BROADCAST_FILTERS = ("mine", "id", "broadcastStatus")
BROADCAST_STATUSES = ("active", "all", "completed", "upcoming")
VIDEO_FILTERS = ("chart", "id", "myRated")

Query = MultiMapping[str]
Checked = dict[str, Any]
Method = Callable[[web.Request, Checked], Awaitable[web.StreamResponse]]
Check = Callable[[Query], Checked]


def parts(query: Query, allowed: tuple[str, ...]) -> set[str]:
    """The `part` values, given comma-separated or repeated (the discovery document's
    `repeated: true`); required, and each one a part the resource has."""
    names = [n.strip() for value in query.getall("part", []) for n in value.split(",")]
    names = [n for n in names if n]
    if not names:
        raise errors.missing("part")
    for name in names:
        if name not in allowed:
            raise errors.invalid("part", name, allowed)
    return set(names)


def one_filter(query: Query, filters: tuple[str, ...]) -> str:
    """The one filter parameter given, where the reference says "specify exactly one"."""
    given = [name for name in filters if name in query]
    if not given:
        raise errors.no_filter(filters)
    if len(given) > 1:
        raise errors.incompatible(given)
    return given[0]


def _check_broadcasts(query: Query) -> Checked:
    shown = parts(query, payloads.BROADCAST_PARTS)
    name = one_filter(query, BROADCAST_FILTERS)
    status = query.get("broadcastStatus")
    if status is not None and status not in BROADCAST_STATUSES:
        raise errors.invalid("broadcastStatus", status, BROADCAST_STATUSES)
    return {"parts": shown, "filter": name}


def _check_videos(query: Query) -> Checked:
    return {
        "parts": parts(query, payloads.VIDEO_PARTS),
        "filter": one_filter(query, VIDEO_FILTERS),
    }


def _check_messages(query: Query) -> Checked:
    if not query.get("liveChatId"):
        raise errors.missing("liveChatId")
    shown = parts(query, payloads.MESSAGE_PARTS)
    try:
        size = min(2000, max(200, int(query.get("maxResults", "500"))))
    except ValueError:
        raise ApiError(400, "invalidValue", "Invalid value for maxResults.", "global") from None
    return {"parts": shown, "size": size}


def _check_insert(query: Query) -> Checked:
    return {"parts": parts(query, payloads.INSERT_PARTS)}


class DataApi(YouTubeWorld):
    """The `youtube/v3` routes."""

    def _mount_api(self, app: web.Application) -> None:
        api = self._api
        r = app.router
        r.add_get(
            f"{PREFIX}/liveBroadcasts",
            api("liveBroadcasts.list", _check_broadcasts, self._broadcasts),
        )
        r.add_get(f"{PREFIX}/videos", api("videos.list", _check_videos, self._videos))
        r.add_get(
            f"{PREFIX}/liveChat/messages",
            api("liveChatMessages.list", _check_messages, self._list_messages),
        )
        r.add_post(
            f"{PREFIX}/liveChat/messages",
            api("liveChatMessages.insert", _check_insert, self._insert_message),
        )

    def _api(
        self, method: str, check: Check, handler: Method
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer" or not token or (self.access_token not in (None, token)):
                return errors.google_error(
                    401,
                    "authError",
                    "Request had invalid authentication credentials.",
                    domain="global",
                )
            try:
                checked = check(request.query)
            except ApiError as refused:
                if not self.meter.charge(method, valid=False):
                    return ApiError.of("quotaExceeded").response()
                return refused.response()
            if not self.meter.charge(method):
                return ApiError.of("quotaExceeded").response()
            queue = {
                "liveChatMessages.list": self.faults.list,
                "liveChatMessages.insert": self.faults.insert,
            }.get(method)
            if queue:
                return ApiError.of(queue.popleft()).response()
            try:
                return await handler(request, checked)
            except ApiError as refused:
                return refused.response()

        return guarded

    async def _broadcasts(self, request: web.Request, checked: Checked) -> web.StreamResponse:
        query = request.query
        status = query.get("broadcastStatus", "all")
        wanted = set(query["id"].split(",")) if checked["filter"] == "id" else None
        items = [
            payloads.only(checked["parts"], self.broadcast_resource(b))
            for b in reversed(self.broadcasts)  # the newest first
            if status in ("all", b.status) and (wanted is None or b.id in wanted)
        ]
        return web.json_response(
            {
                "kind": "youtube#liveBroadcastListResponse",
                "etag": payloads.etag(items),
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            }
        )

    async def _videos(self, request: web.Request, checked: Checked) -> web.StreamResponse:
        ids = [i for i in request.query.get("id", "").split(",") if i]
        items = [
            payloads.only(
                checked["parts"],
                payloads.video(
                    video_id=b.id,
                    live_chat_id=b.live_chat_id,
                    scheduled_at=b.scheduled_at,
                    started_at=b.started_at,
                    ended_at=b.ended_at,
                ),
            )
            for b in self.broadcasts
            if b.id in ids
        ]
        return web.json_response(
            {
                "kind": "youtube#videoListResponse",
                "etag": payloads.etag(items),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            }
        )

    async def _list_messages(self, request: web.Request, checked: Checked) -> web.StreamResponse:
        query = request.query
        chat = self.chat(query.get("liveChatId"))
        if chat is None:
            raise ApiError.of("liveChatNotFound")
        if chat.ended_at is not None:
            raise ApiError.of("liveChatEnded")
        messages = chat.messages
        now = time.monotonic()
        if (
            self.strict_polling
            and self._last_poll is not None
            and (now - self._last_poll) * 1000 < self.polling_interval_ms * 0.9
        ):
            self.rate_limited += 1
            raise ApiError.of("rateLimitExceeded")
        self._last_poll = now
        size = min(checked["size"], self.page_size)
        token = query.get("pageToken")
        if token is None:
            start = max(0, len(messages) - min(self.history, size))
        else:
            position = payloads.token_position(token)
            if position is None or position > len(messages):
                raise ApiError(400, "pageTokenInvalid", "The page token is invalid.")
            start = position
        items = messages[start : start + size]
        shown = [payloads.only(checked["parts"], item) for item in items]
        body = {
            "kind": "youtube#liveChatMessageListResponse",
            "etag": payloads.etag(shown),
            "pollingIntervalMillis": self.polling_interval_ms,
            "pageInfo": {"totalResults": len(shown), "resultsPerPage": len(shown)},
            "nextPageToken": payloads.page_token(start + len(items)),
            "items": shown,
        }
        return web.json_response(body)

    async def _insert_message(self, request: web.Request, checked: Checked) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "parseError", "Parse Error", "global") from None
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict) or not snippet.get("liveChatId"):
            raise ApiError(400, "liveChatIdRequired", "snippet.liveChatId is required.")
        if snippet.get("type") != "textMessageEvent":
            raise ApiError(400, "typeRequired", "snippet.type must be textMessageEvent.")
        text = (snippet.get("textMessageDetails") or {}).get("messageText")
        if not text:
            raise ApiError(400, "messageTextRequired", "The message text is required.")
        if len(text) > MAX_MESSAGE:
            raise ApiError(400, "messageTextInvalid", "The message text is invalid.")
        chat = self.chat(snippet["liveChatId"])
        if chat is None:
            raise ApiError.of("liveChatNotFound")
        if chat.ended_at is not None:
            raise ApiError.of("liveChatEnded")
        resource = self.post(self.owner, "owner", payloads.text_snippet(text), chat)
        self.sent.append({"id": resource["id"], "liveChatId": chat.live_chat_id, "text": text})
        return web.json_response(payloads.only(checked["parts"], resource))

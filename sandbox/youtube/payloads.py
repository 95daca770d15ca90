"""Resources as the YouTube reference shows them: liveChatMessage, liveBroadcast, video.

Pure functions of the world's records. `only` applies the `part` parameter: the response
carries the parts asked for, and always `kind`, `etag` and `id` (see `only`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# What each resource can be asked for in `part` (the methods' parameter tables).
BROADCAST_PARTS = ("id", "snippet", "contentDetails", "monetizationDetails", "status")
VIDEO_PARTS = (
    "contentDetails",
    "fileDetails",
    "id",
    "liveStreamingDetails",
    "localizations",
    "paidProductPlacementDetails",
    "player",
    "processingDetails",
    "recordingDetails",
    "snippet",
    "statistics",
    "status",
    "suggestions",
    "topicDetails",
)
MESSAGE_PARTS = ("id", "snippet", "authorDetails")
INSERT_PARTS = ("snippet",)

# A broadcast's thumbnails: the sizes the thumbnails resource documents for videos.
THUMBNAILS = {
    "default": ("default", 120, 90),
    "medium": ("mqdefault", 320, 180),
    "high": ("hqdefault", 480, 360),
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def channel_id(name: str) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(name.encode()).digest()).decode()
    return "UC" + digest[:22]


def etag(data: object) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:27]


def page_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def token_position(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, number = raw.partition(":")
    return int(number) if kind == "pos" and number.isdigit() else None


def money_display(micros: int, currency: str) -> str:
    amount = Decimal(micros) / 1_000_000
    symbol = {"USD": "$", "ARS": "ARS$", "BRL": "R$", "MXN": "MX$", "EUR": "€"}.get(currency)
    text = f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def tier(micros: int) -> int:
    usd = micros / 1_000_000
    for level, floor in enumerate((2, 5, 10, 20, 50, 100, 200, 500), start=1):
        if usd < floor:
            return level
    return 9


def text_snippet(text: str) -> dict[str, Any]:
    return {
        "type": "textMessageEvent",
        "hasDisplayContent": True,
        "displayMessage": text,
        "textMessageDetails": {"messageText": text},
    }


def superchat_snippet(user: str, micros: int, currency: str, comment: str) -> dict[str, Any]:
    display = money_display(micros, currency)
    return {
        "type": "superChatEvent",
        "hasDisplayContent": True,
        "displayMessage": f'{display} from {user}: "{comment}"'
        if comment
        else f"{display} from {user}",
        "superChatDetails": {
            "amountMicros": str(micros),
            "currency": currency,
            "amountDisplayString": display,
            "userComment": comment,
            "tier": tier(micros),
        },
    }


def supersticker_snippet(
    user: str, micros: int, currency: str, sticker_id: str, alt_text: str
) -> dict[str, Any]:
    display = money_display(micros, currency)
    return {
        "type": "superStickerEvent",
        "hasDisplayContent": True,
        "displayMessage": f"Super Sticker {display} from {user}",
        "superStickerDetails": {
            "superStickerMetadata": {
                "stickerId": sticker_id,
                "altText": alt_text,
                "altTextLanguage": "es",
            },
            "amountMicros": str(micros),
            "currency": currency,
            "amountDisplayString": display,
            "tier": tier(micros),
        },
    }


def sponsor_snippet(level: str, upgrade: bool) -> dict[str, Any]:
    return {
        "type": "newSponsorEvent",
        "hasDisplayContent": True,
        "displayMessage": f"Welcome to {level}!",
        "newSponsorDetails": {"memberLevelName": level, "isUpgrade": upgrade},
    }


def chat_message(
    message_id: str,
    live_chat_id: str,
    author: dict[str, Any],
    snippet: dict[str, Any],
) -> dict[str, Any]:
    """A liveChatMessage; `author` is its authorDetails."""
    full_snippet = {
        "type": snippet["type"],
        "liveChatId": live_chat_id,
        "authorChannelId": author["channelId"],
        "publishedAt": now_iso(),
        **{k: v for k, v in snippet.items() if k != "type"},
    }
    resource: dict[str, Any] = {
        "kind": "youtube#liveChatMessage",
        "id": message_id,
        "snippet": full_snippet,
        "authorDetails": author,
    }
    resource["etag"] = etag(resource)
    return resource


def author_details(channel: str, name: str, role: str) -> dict[str, Any]:
    return {
        "channelId": channel,
        "channelUrl": f"http://www.youtube.com/channel/{channel}",
        "displayName": name,
        "profileImageUrl": f"https://yt3.ggpht.com/{channel}/photo.jpg",
        "isVerified": False,
        "isChatOwner": role == "owner",
        "isChatSponsor": role == "member",
        "isChatModerator": role == "moderator",
    }


def thumbnails(video_id: str) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "url": f"https://i.ytimg.com/vi/{video_id}/{image}_live.jpg",
            "width": width,
            "height": height,
        }
        for name, (image, width, height) in THUMBNAILS.items()
    }


def broadcast(
    *,
    broadcast_id: str,
    owner_channel: str,
    live_chat_id: str,
    status: str,
    scheduled_at: str,
    started_at: str | None,
    ended_at: str | None,
) -> dict[str, Any]:
    """A liveBroadcast with its `snippet` and `status` parts."""
    snippet: dict[str, Any] = {
        "publishedAt": scheduled_at,
        "channelId": owner_channel,
        "title": "Vivo en vivo",
        "description": "",
        "thumbnails": thumbnails(broadcast_id),
        "scheduledStartTime": scheduled_at,
        "isDefaultBroadcast": False,
        "liveChatId": live_chat_id,
    }
    if started_at:
        snippet["actualStartTime"] = started_at
    if ended_at:
        snippet["actualEndTime"] = ended_at
    life, recording = {
        "upcoming": ("ready", "notRecording"),
        "active": ("live", "recording"),
        "completed": ("complete", "recorded"),
    }[status]
    return {
        "kind": "youtube#liveBroadcast",
        "etag": etag(snippet),
        "id": broadcast_id,
        "snippet": snippet,
        "status": {
            "lifeCycleStatus": life,
            "privacyStatus": "public",
            "recordingStatus": recording,
            "madeForKids": False,
            "selfDeclaredMadeForKids": False,
        },
    }


def video(
    *,
    video_id: str,
    live_chat_id: str,
    scheduled_at: str,
    started_at: str | None,
    ended_at: str | None,
) -> dict[str, Any]:
    """A video with its `liveStreamingDetails` part."""
    details: dict[str, Any] = {"scheduledStartTime": scheduled_at}
    if started_at:
        details["actualStartTime"] = started_at
    if ended_at:
        details["actualEndTime"] = ended_at
    elif started_at:
        # "filled only if the video is a currently live broadcast that has live chat"
        details["concurrentViewers"] = "42"
        details["activeLiveChatId"] = live_chat_id
    return {
        "kind": "youtube#video",
        "etag": etag(details),
        "id": video_id,
        "liveStreamingDetails": details,
    }


def only(parts: set[str], item: dict[str, Any]) -> dict[str, Any]:
    """Keep the parts asked for. `kind`, `etag` and `id` are not parts one can leave out.

    Every resource's representation in the reference carries them, and methods whose only
    permitted `part` is `snippet` (`liveChatMessages.insert`, `search.list`) still answer
    with the resource's `id`: the API identifies what it returns whatever `part` says.
    """
    kept = {k: v for k, v in item.items() if k in ("kind", "etag", "id")}
    for name, value in item.items():
        if name in parts:
            kept[name] = value
    return kept

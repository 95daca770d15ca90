"""The YouTube adapter on the real google-api-python-client, against the loopback stand-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from google.oauth2.credentials import Credentials

from adapters.base import ChatMessage, ChatUser, PlatformTip, Priority, Reply, Role
from adapters.youtube import YouTubeAdapter, YouTubeError
from adapters.youtube_quota import Level, QuotaPlanner
from sandbox.youtube import YouTubeStandIn

TOKEN = "ya29.sandbox-youtube"
PAYLOADS = Path(__file__).parents[1] / "payloads" / "youtube"


@dataclass
class Chat:
    stand_in: YouTubeStandIn
    endpoint: str
    events: list[ChatMessage | PlatformTip] = field(default_factory=list)
    adapters: list[YouTubeAdapter] = field(default_factory=list)

    async def inbox(self, event: ChatMessage | PlatformTip) -> None:
        self.events.append(event)

    def adapter(self, **kw: Any) -> YouTubeAdapter:
        options: dict[str, Any] = {
            "daily_budget": 10_000,
            "stream_seconds": 600,
            "min_interval": 0.05,
            "max_interval": 0.5,
            "gather": 0.05,
            "reply_hold": 0.1,
            "announce_hold": 0.1,
            "tight_announce_hold": 0.3,
        }
        options.update(kw.pop("planner", {}))
        planner = QuotaPlanner(**options)
        adapter = YouTubeAdapter(
            Credentials(token=kw.pop("token", TOKEN)),
            endpoint=f"{self.endpoint}/youtube",
            planner=planner,
            send_gap=0.05,
            **kw,
        )
        self.adapters.append(adapter)
        return adapter


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a condition; the timeout only bounds a failing test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def serve(stand_in: YouTubeStandIn) -> tuple[web.AppRunner, str]:
    app = web.Application()
    stand_in.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest.fixture
async def chat(request: pytest.FixtureRequest) -> AsyncIterator[Chat]:
    options: dict[str, Any] = {"polling_interval_ms": 50, "strict_polling": True}
    options.update(getattr(request, "param", {}))
    stand_in = YouTubeStandIn(access_token=TOKEN, **options)
    runner, url = await serve(stand_in)
    room = Chat(stand_in, url)
    try:
        yield room
    finally:
        for adapter in room.adapters:
            await adapter.stop()
        await stand_in.close()
        await runner.cleanup()


def texts(chat: Chat) -> list[str]:
    return [e.text for e in chat.events if isinstance(e, ChatMessage)]


async def test_reads_the_active_broadcast_chat_and_skips_the_backlog(chat: Chat) -> None:
    chat.stand_in.say("viejo", "!comprar taza (antes de que arranque el bot)")
    adapter = chat.adapter()
    await adapter.start(chat.inbox)
    assert adapter.live_chat_id == chat.stand_in.live_chat_id
    assert chat.stand_in.calls.get("liveBroadcasts.list") == 1

    chat.stand_in.say("ana", "!comprar remera M")
    chat.stand_in.say("moni", "!stock taza 5", role="moderator")
    chat.stand_in.say("dueña", "!abrir", role="owner")
    chat.stand_in.say("memo", "hola", role="member")
    await until(lambda: len(chat.events) == 4)

    assert texts(chat) == ["!comprar remera M", "!stock taza 5", "!abrir", "hola"]
    roles = [e.author.role for e in chat.events]
    assert roles == [Role.VIEWER, Role.MODERATOR, Role.OWNER, Role.SUBSCRIBER]
    first = chat.events[0]
    assert isinstance(first, ChatMessage)
    assert first.platform == "youtube"
    assert first.channel == chat.stand_in.live_chat_id
    assert first.id == chat.stand_in.messages[1]["id"]
    assert first.author.id == chat.stand_in.messages[1]["authorDetails"]["channelId"]
    assert first.author.name == "ana"
    assert chat.stand_in.rate_limited == 0  # every poll honoured pollingIntervalMillis


async def test_a_configured_video_id_finds_its_chat(chat: Chat) -> None:
    adapter = chat.adapter(video_id=chat.stand_in.video_id)
    await adapter.start(chat.inbox)
    assert adapter.live_chat_id == chat.stand_in.live_chat_id
    assert chat.stand_in.calls.get("videos.list") == 1
    assert "liveBroadcasts.list" not in chat.stand_in.calls


async def test_no_live_broadcast_yet_is_waited_for_in_the_background(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    chat.stand_in.end()
    chat.stand_in.say("viejo", "!comprar taza (en el stream de ayer)")
    adapter = chat.adapter(lookup_interval=0.02)
    await adapter.start(chat.inbox)  # returns: the rest of the bot must start
    assert (adapter.state, adapter.live_chat_id) == ("waiting", None)
    await until(lambda: chat.stand_in.calls.get("liveBroadcasts.list", 0) >= 4)
    waiting = [r for r in caplog.records if "no live broadcast" in r.getMessage()]
    assert len(waiting) == 1 and waiting[0].levelname == "WARNING"  # said once, not per look
    assert "liveChatMessages.list" not in chat.stand_in.calls  # nothing to read: 1 unit a look

    await adapter.send(Reply(chat.stand_in.live_chat_id, "¿hay alguien?"))
    assert adapter.replies_dropped == 1  # no chat to say it in


async def test_a_video_that_is_not_live_yet_is_waited_for(chat: Chat) -> None:
    chat.stand_in.end()
    adapter = chat.adapter(video_id=chat.stand_in.video_id, lookup_interval=0.02)
    await adapter.start(chat.inbox)
    await until(lambda: chat.stand_in.calls.get("videos.list", 0) >= 2)
    assert adapter.state == "waiting"


async def test_wrong_credentials_are_reported_at_start(chat: Chat) -> None:
    with pytest.raises(YouTubeError, match="401 authError: the credentials were refused"):
        await chat.adapter(token="not-the-token").start(chat.inbox)


async def test_super_chats_and_stickers_become_tips(chat: Chat) -> None:
    adapter = chat.adapter()
    await adapter.start(chat.inbox)
    chat.stand_in.superchat("beto", 5_500_000, "USD", "¡Vamos!")
    chat.stand_in.member("dani")
    chat.stand_in.supersticker("carla", 1_200_000_000, "ARS")
    chat.stand_in.say("ana", "después")
    await until(lambda: len(chat.events) == 3)

    chat_tip, sticker, message = chat.events
    assert isinstance(chat_tip, PlatformTip) and isinstance(sticker, PlatformTip)
    assert (chat_tip.amount, chat_tip.currency, chat_tip.message) == (
        Decimal("5.5"),
        "USD",
        "¡Vamos!",
    )
    assert chat_tip.source == "superchat"
    assert chat_tip.id == chat.stand_in.messages[0]["id"]
    assert chat_tip.author.name == "beto"
    assert (sticker.amount, sticker.currency, sticker.source) == (
        Decimal("1200"),
        "ARS",
        "superchat",
    )
    assert isinstance(message, ChatMessage) and message.text == "después"


async def test_documented_payloads_are_read_as_is(chat: Chat) -> None:
    adapter = chat.adapter()
    await adapter.start(chat.inbox)
    names = ["textMessageEvent", "superChatEvent", "superStickerEvent", "newSponsorEvent"]
    for name in names:
        resource = json.loads((PAYLOADS / f"{name}.json").read_text())
        chat.stand_in.inject(resource)
    await until(lambda: len(chat.events) == 3)

    text, tip, sticker = chat.events
    assert isinstance(text, ChatMessage)
    assert text.text == "!comprar remera M"
    assert text.author.role is Role.SUBSCRIBER
    assert text.author.id == "UCrefViewerAnaChannel0001"
    assert text.sent_at.year == 2024
    assert isinstance(tip, PlatformTip) and tip.amount == Decimal("5.5")
    assert tip.message == "¡Vamos con todo!"
    assert isinstance(sticker, PlatformTip) and sticker.amount == Decimal("1200")


@pytest.mark.parametrize("chat", [{"page_size": 200}], indirect=True)
async def test_pages_are_followed_in_order(chat: Chat) -> None:
    adapter = chat.adapter()
    await adapter.start(chat.inbox)
    for n in range(450):
        chat.stand_in.say(f"v{n % 7}", f"mensaje {n}")
    await until(lambda: len(chat.events) == 450)
    assert texts(chat) == [f"mensaje {n}" for n in range(450)]
    assert len({e.id for e in chat.events}) == 450


def user(name: str) -> ChatUser:
    return ChatUser("youtube", f"UC-{name}", name)


async def test_replies_are_coalesced_payment_links_first(chat: Chat) -> None:
    adapter = chat.adapter()
    await adapter.start(chat.inbox)
    live = chat.stand_in.live_chat_id
    announce, payment = Priority.ANNOUNCE, Priority.PAYMENT
    replies = [
        Reply(live, "¡Gracias ana! Tu pedido A1 llegó 🎉", user("ana"), priority=announce),
        Reply(live, "¡Gracias beto! Tu pedido B2 llegó 🎉", user("beto"), priority=announce),
        Reply(live, "carla, tu link: http://pago.example/p/C3", user("carla"), True, payment),
        Reply(live, "tu link: http://pago.example/p/D4", user("dani"), True, payment),
        Reply(live, "Tienda: remera, taza, gorra", priority=Priority.REPLY),
    ]
    for reply in replies:
        await adapter.send(reply)
    await adapter.drain()

    sent = [m["text"] for m in chat.stand_in.sent]
    assert 1 <= len(sent) < len(replies)
    assert all(len(text) <= 200 for text in sent)
    joined = " | ".join(sent)
    assert "@carla, tu link: http://pago.example/p/C3" in joined  # private → public mention
    assert "@dani tu link: http://pago.example/p/D4" in joined
    assert "Tienda: remera, taza, gorra" in joined
    assert "@ana" in joined and "@beto" in joined
    assert joined.index("p/C3") < joined.index("Tienda") < joined.index("@ana")
    assert adapter.replies_sent == len(replies)

    # the bot reads its own messages back from the chat, and ignores them
    chat.stand_in.say("ana", "listo")
    await until(lambda: len(chat.events) == 1)
    assert texts(chat) == ["listo"]


async def test_units_spent_match_youtubes_meter(chat: Chat) -> None:
    adapter = chat.adapter()
    await adapter.start(chat.inbox)
    chat.stand_in.faults.list.extend(["backendError"])
    chat.stand_in.faults.insert.extend(["rateLimitExceeded"])
    await adapter.send(Reply(chat.stand_in.live_chat_id, "hola a todos"))
    chat.stand_in.say("ana", "hola bot")
    await until(lambda: len(chat.events) == 1 and len(chat.stand_in.sent) == 1)
    await adapter.drain()
    assert not chat.stand_in.faults.list and not chat.stand_in.faults.insert
    assert chat.stand_in.sent[0]["text"] == "hola a todos"
    await adapter.stop()
    assert adapter.planner.spent == chat.stand_in.spent
    assert adapter.planner.calls["liveChatMessages.insert"] == 2  # one failure, one retry


async def test_live_chat_ended_is_handled(chat: Chat) -> None:
    adapter = chat.adapter()  # looks for the next broadcast once a minute
    await adapter.start(chat.inbox)
    chat.stand_in.end()
    await asyncio.wait_for(adapter.ended.wait(), timeout=10)
    assert adapter.end_reason == "liveChatEnded"
    assert adapter.state == "waiting"
    await adapter.send(Reply(chat.stand_in.live_chat_id, "¿hay alguien?"))
    assert adapter.replies_dropped == 1
    assert chat.stand_in.sent == []
    # one look for a new broadcast at once (the streamer may have restarted), then slowly
    await until(lambda: chat.stand_in.calls.get("liveBroadcasts.list") == 2)
    spent = chat.stand_in.spent
    await asyncio.sleep(0.3)
    assert chat.stand_in.spent == spent  # stopped polling a chat that is gone
    assert all(not t.done() for t in adapter._tasks)  # waiting, not dead


@pytest.mark.parametrize("chat", [{"daily_quota": 60}], indirect=True)
async def test_quota_exceeded_stops_spending_without_crashing(chat: Chat) -> None:
    adapter = chat.adapter(
        planner={"daily_budget": 1_000_000}
    )  # the planner is told a wrong budget
    await adapter.start(chat.inbox)
    await until(lambda: adapter.planner.exhausted)
    assert adapter.planner.level() is Level.EXHAUSTED
    spent = chat.stand_in.spent
    assert spent <= 60
    await adapter.send(Reply(chat.stand_in.live_chat_id, "link", priority=Priority.PAYMENT))
    await asyncio.sleep(0.3)
    assert chat.stand_in.spent == spent
    assert chat.stand_in.sent == []
    assert all(not t.done() for t in adapter._tasks)  # waiting for the reset, not dead


async def test_a_low_budget_drops_announcements_before_payment_links(chat: Chat) -> None:
    planner = {"daily_budget": 600, "stream_seconds": 10, "max_interval": 5.0}
    adapter = chat.adapter(planner=planner)
    await adapter.start(chat.inbox)
    adapter.planner.spent = 450  # most of the day is gone already
    assert adapter.planner.level() >= Level.LOW
    live = chat.stand_in.live_chat_id
    await adapter.send(
        Reply(live, "¡Gracias ana!", mention=user("ana"), priority=Priority.ANNOUNCE)
    )
    link = "beto, tu link: http://pago.example/p/B2 vence en 15 min"
    await adapter.send(Reply(live, link, mention=user("beto"), priority=Priority.PAYMENT))
    await adapter.drain()
    sent = [m["text"] for m in chat.stand_in.sent]
    assert len(sent) == 1
    assert "http://pago.example/p/B2" in sent[0] and "@beto" in sent[0]
    assert "Gracias" not in sent[0]
    assert adapter.replies_dropped == 1


# -- between broadcasts -------------------------------------------------------------------


@pytest.mark.parametrize("chat", [{"live": False}], indirect=True)
async def test_the_bot_starts_before_the_stream_and_reads_it_once_live(chat: Chat) -> None:
    adapter = chat.adapter(lookup_interval=0.02)
    await adapter.start(chat.inbox)
    assert adapter.state == "waiting"
    await until(lambda: chat.stand_in.calls.get("liveBroadcasts.list", 0) >= 2)

    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{chat.endpoint}/_sandbox/youtube/live", json={}) as resp,
    ):
        assert resp.status == 201
        broadcast = await resp.json()
    assert broadcast["snippet"]["liveChatId"] == chat.stand_in.live_chat_id
    await asyncio.wait_for(adapter.live.wait(), timeout=10)
    assert adapter.live_chat_id == chat.stand_in.live_chat_id
    assert not adapter.ended.is_set() and adapter.end_reason is None

    chat.stand_in.say("ana", "!comprar remera M")
    await until(lambda: texts(chat) == ["!comprar remera M"])
    await adapter.send(Reply(chat.stand_in.live_chat_id, "@ana tu link", priority=Priority.PAYMENT))
    await adapter.drain()
    assert [m["text"] for m in chat.stand_in.sent] == ["@ana tu link"]
    assert adapter.planner.spent == chat.stand_in.spent
    assert chat.stand_in.rate_limited == 0


async def test_after_a_chat_ends_the_next_broadcast_is_picked_up(chat: Chat) -> None:
    adapter = chat.adapter(lookup_interval=0.02)
    await adapter.start(chat.inbox)
    first = chat.stand_in.live_chat_id
    chat.stand_in.say("ana", "primer stream")
    await until(lambda: texts(chat) == ["primer stream"])

    chat.stand_in.end()
    await asyncio.wait_for(adapter.ended.wait(), timeout=10)
    assert (adapter.end_reason, adapter.state) == ("liveChatEnded", "waiting")
    await until(lambda: chat.stand_in.calls.get("liveBroadcasts.list", 0) >= 3)

    # going live and a word said before the bot finds the chat: no await in between
    chat.stand_in.go_live()
    chat.stand_in.say("beto", "antes de que llegue el bot")
    second = chat.stand_in.live_chat_id
    assert second != first
    await asyncio.wait_for(adapter.live.wait(), timeout=10)
    assert adapter.live_chat_id == second
    assert not adapter.ended.is_set() and adapter.end_reason is None

    chat.stand_in.say("carla", "segundo stream")
    await until(lambda: len(chat.events) == 2)
    assert texts(chat) == ["primer stream", "segundo stream"]  # the backlog was skipped
    assert chat.events[1].channel == second
    await adapter.send(Reply(second, "hola de nuevo"))
    await adapter.drain()
    assert chat.stand_in.sent == [
        {"id": chat.stand_in.sent[0]["id"], "liveChatId": second, "text": "hola de nuevo"}
    ]
    assert adapter.chats_read == 2


async def test_spending_survives_a_restart(chat: Chat, tmp_path: Path) -> None:
    quota_file = tmp_path / ".vivo" / "youtube-quota.json"
    slow = {"min_interval": 30.0, "max_interval": 60.0}  # no poll in flight when stopping
    first = chat.adapter(quota_file=quota_file, planner=slow)
    await first.start(chat.inbox)
    await first.send(Reply(chat.stand_in.live_chat_id, "hola"))
    await first.drain()
    await first.stop()
    assert first.planner.spent == chat.stand_in.spent == 1 + 5 + 20
    saved = json.loads(quota_file.read_text())
    assert saved["spent"] == 26

    second = chat.adapter(quota_file=quota_file, planner=slow)
    await second.start(chat.inbox)
    await second.stop()
    # the second run plans with what YouTube's meter has left, not a fresh 10,000
    assert second.planner.spent == chat.stand_in.spent == 26 + 1 + 5
    assert second.planner.remaining == 10_000 - chat.stand_in.spent
    assert second.planner.calls["liveChatMessages.insert"] == 1
    assert json.loads(quota_file.read_text())["spent"] == 32

    in_memory = chat.adapter(planner=slow)  # no quota_file: as before, nothing is kept
    await in_memory.start(chat.inbox)
    assert in_memory.planner.spent == 1 + 5


async def test_a_slow_purchase_holds_up_only_its_own_viewer(chat: Chat) -> None:
    release = asyncio.Event()
    handled: list[str] = []

    async def inbox(event: ChatMessage | PlatformTip) -> None:
        assert isinstance(event, ChatMessage)
        if event.text == "!comprar taza":
            await release.wait()  # MercadoPago is slow for this one
        handled.append(f"{event.author.name}: {event.text}")

    adapter = chat.adapter()
    await adapter.start(inbox)
    chat.stand_in.say("ana", "!comprar taza")
    chat.stand_in.say("ana", "!pedido")
    chat.stand_in.say("beto", "!tienda")
    await until(lambda: "beto: !tienda" in handled)
    assert handled == ["beto: !tienda"]  # ana's second line waits behind her first
    assert not adapter.idle
    release.set()
    await until(lambda: len(handled) == 3)
    assert handled[1:] == ["ana: !comprar taza", "ana: !pedido"]
    await until(lambda: adapter.idle)

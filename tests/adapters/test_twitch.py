"""The Twitch adapter with unmodified twitchio, against the stand-in over loopback sockets."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.base import ChatMessage, Priority, Reply, Role
from adapters.twitch import BitsValue
from adapters.twitch_auth import load_tokens, save_tokens
from sandbox.twitch import TwitchStandIn
from tests.adapters.twitch_support import Heard, running, started, until

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "twitch"


def link_reply(message: ChatMessage, code: str) -> Reply:
    return Reply(
        message.channel,
        f"{message.author.name}, aquí está tu link de pago ({code}): "
        f"https://vivo.ar/p/{code} — vence en 15 min.",
        mention=message.author,
        private=True,
        priority=Priority.PAYMENT,
        reply_to=message,
    )


async def test_a_purchase_reaches_the_inbox_and_the_link_comes_back_as_a_reply() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        async with started(await rig.adapter(), heard) as adapter:
            said = await rig.control("POST", "say", {"user": "Ana", "text": "!comprar remera M"})
            message = (await until(lambda: heard.messages))[0]
            assert message.platform == "twitch"
            assert message.id == said["message_id"]
            assert message.channel == rig.twitch.broadcaster.id
            assert message.text == "!comprar remera M"
            assert (message.author.name, message.author.role) == ("Ana", Role.VIEWER)

            await adapter.send(link_reply(message, "K7Q2M9"))
            assert await adapter.drain(5)
            sent = await rig.sent()
            assert [m["message"] for m in sent] == [
                "@Ana Ana, aquí está tu link de pago (K7Q2M9): "
                "https://vivo.ar/p/K7Q2M9 — vence en 15 min."
            ]
            assert sent[0]["reply_parent_message_id"] == message.id
            assert sent[0]["sender_id"] == rig.twitch.bot.id
            assert await rig.violations() == []


async def test_a_cheer_becomes_a_tip_with_its_message_and_value() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        rate = BitsValue(currency="ARS", rate=Decimal("1000"))
        async with started(await rig.adapter(bits_value=rate), heard):
            await rig.control("POST", "cheer", {"user": "beto", "bits": 250, "message": "¡Hola!"})
            tip = (await until(lambda: heard.tips))[0]
            assert tip.source == "bits"
            assert (tip.amount, tip.currency) == (Decimal("2500.00"), "ARS")
            assert tip.message == "¡Hola!"
            assert tip.author.name == "beto"
            assert tip.channel == rig.twitch.broadcaster.id
            await rig.control("POST", "cheer", {"bits": 100, "anonymous": True})
            await until(lambda: len(heard.tips) == 2)
            assert heard.tips[1].author.id == "anonymous"
            assert heard.tips[1].amount == Decimal("1000.00")


def test_bits_can_be_recorded_as_bits_or_in_a_currency_without_decimals() -> None:
    assert BitsValue(per_bit=Decimal(1), currency="BITS").convert(350) == Decimal(350)
    assert BitsValue(currency="CLP", rate=Decimal("950")).convert(333) == Decimal(3164)
    assert BitsValue().convert(1) == Decimal("0.01")


async def test_roles_come_from_badges() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        async with started(await rig.adapter(), heard):
            for user, role in [
                ("ana", "viewer"),
                ("mod1", "moderator"),
                ("lead", "lead_moderator"),
                ("x", "broadcaster"),
                ("sub", "subscriber"),
                ("vip", "vip"),
            ]:
                await rig.control("POST", "say", {"user": user, "text": "!cerrar", "role": role})
            await until(lambda: len(heard.messages) == 6)
            roles = {m.author.name: m.author.role for m in heard.messages}
            assert roles == {
                "ana": Role.VIEWER,
                "mod1": Role.MODERATOR,
                "lead": Role.MODERATOR,
                rig.twitch.broadcaster.display_name: Role.OWNER,
                "sub": Role.SUBSCRIBER,
                "vip": Role.VIEWER,
            }


async def test_a_redelivered_notification_is_handled_once() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        async with started(await rig.adapter(), heard):
            raw = json.loads((PAYLOADS / "channel_chat_message.json").read_text())
            subscription = next(
                s for s in await rig.subscriptions() if s["type"] == "channel.chat.message"
            )
            raw["payload"]["subscription"] = subscription
            event = raw["payload"]["event"]
            event.update(rig.twitch.broadcaster.ref("broadcaster_user"))
            event["message"]["text"] = event["message"]["fragments"][0]["text"] = "!tienda"
            await rig.control("POST", "inject", raw)
            await rig.control("POST", "inject", copy.deepcopy(raw))
            await rig.control("POST", "say", {"user": "ana", "text": "después"})
            await until(lambda: len(heard.messages) >= 2)
            assert [m.text for m in heard.messages] == ["!tienda", "después"]
            assert heard.messages[0].author.role == Role.MODERATOR


SHARED_CHAT_FIELDS = (
    "source_broadcaster_user_id",
    "source_broadcaster_user_login",
    "source_broadcaster_user_name",
    "source_message_id",
    "source_badges",
)


@pytest.mark.parametrize(
    "absent",
    [(), SHARED_CHAT_FIELDS],
    ids=["docs-example", "docs-example-before-shared-chat"],
)
async def test_chat_in_the_documentation_examples_shape_is_delivered(
    absent: tuple[str, ...], caplog: pytest.LogCaptureFixture
) -> None:
    """Twitch's own example has no `channel_points_animation_id` (nor `is_source_only`);
    twitchio 3.3.2 reads the first with `payload[...]` and would drop the message."""
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        async with started(await rig.adapter(), heard):
            raw = json.loads((PAYLOADS / "channel_chat_message_docs.json").read_text())
            event = raw["payload"]["event"]
            assert "channel_points_animation_id" not in event and "is_source_only" not in event
            for field in absent:
                del event[field]
            raw["payload"]["subscription"] = next(
                s for s in await rig.subscriptions() if s["type"] == "channel.chat.message"
            )
            event.update(rig.twitch.broadcaster.ref("broadcaster_user"))
            event["message"]["text"] = event["message"]["fragments"][0]["text"] = "!tienda"
            assert (await rig.control("POST", "inject", raw))["delivered"] == 1
            message = (await until(lambda: heard.messages))[0]
            assert (message.id, message.text) == (event["message_id"], "!tienda")
            assert (message.author.id, message.author.name) == ("4145994", "viewer32")
            assert message.author.role == Role.MODERATOR
            assert message.raw.channel_points_animation_id is None
            assert message.raw.source_broadcaster is None
            assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


async def test_session_reconnect_loses_and_repeats_nothing() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        adapter = await rig.adapter()
        async with started(adapter, heard):
            before = {s["transport"]["session_id"] for s in await rig.subscriptions()}

            async def talk() -> None:
                for n in range(40):
                    await rig.control("POST", "say", {"user": f"v{n}", "text": f"!n {n}"})
                    await asyncio.sleep(0.005)

            chatter = asyncio.create_task(talk())
            await asyncio.sleep(0.05)
            assert (await rig.control("POST", "reconnect"))["sessions"] == 2
            await chatter
            await until(lambda: len(heard.messages) >= 40)
            await until(lambda: not rig.twitch.undelivered and len(rig.twitch.sessions) == 2)
            assert sorted(m.text for m in heard.messages) == sorted(f"!n {n}" for n in range(40))
            after = {s["transport"]["session_id"] for s in await rig.subscriptions()}
            assert after.isdisjoint(before) and len(after) == 2
            await rig.control("POST", "say", {"user": "ana", "text": "sigo acá"})
            await until(lambda: len(heard.messages) == 41)
            assert adapter.reconnects == 2  # one hand-off per session, for /metrics


async def test_events_on_the_old_connection_during_a_reconnect_are_kept() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        async with started(await rig.adapter(), heard):
            moving = await rig.control("POST", "reconnect", {"hold_welcome": True})
            assert moving["sessions"] == 2
            # The new connections are open but not welcomed: Twitch still uses the old ones.
            await until(lambda: len(rig.twitch.sessions) == 4)
            for n in range(3):
                said = await rig.control("POST", "say", {"user": f"v{n}", "text": f"!n {n}"})
                assert said["delivered"] == 1
            await until(lambda: len(heard.messages) == 3)  # the old socket is still read
            for n in range(3, 6):
                await rig.control("POST", "say", {"user": f"v{n}", "text": f"!n {n}"})
            await rig.control("POST", "release")
            await until(lambda: len(rig.twitch.sessions) == 2)
            await until(lambda: len(heard.messages) >= 6)
            assert [m.text for m in heard.messages] == [f"!n {n}" for n in range(6)]
            assert rig.twitch.undelivered == []
            await rig.control("POST", "say", {"user": "ana", "text": "sigo acá"})
            await until(lambda: len(heard.messages) == 7)


async def test_a_dropped_socket_reconnects_and_resubscribes() -> None:
    async with running(TwitchStandIn()) as rig:
        heard = Heard()
        adapter = await rig.adapter()
        assert adapter.reconnects == 0
        async with started(adapter, heard):
            await rig.control("POST", "say", {"user": "ana", "text": "uno"})
            await until(lambda: heard.messages)
            assert (await rig.control("POST", "drop"))["sessions"] == 2
            await until(lambda: rig.twitch.sessions and len(rig.twitch.sessions) == 2)

            async def resubscribed() -> bool:
                return len(await rig.subscriptions()) == 2

            for _ in range(500):
                if await resubscribed():
                    break
                await asyncio.sleep(0.02)
            assert await resubscribed()
            await rig.control("POST", "say", {"user": "ana", "text": "dos"})
            await rig.control("POST", "cheer", {"user": "ana", "bits": 5, "message": "tres"})
            await until(lambda: len(heard.messages) >= 3 and heard.tips)
            texts = [m.text for m in heard.messages]
            assert texts[:2] == ["uno", "dos"]
            assert len(set(m.id for m in heard.messages)) == len(heard.messages)
            assert [t.message for t in heard.tips] == ["tres"]
            assert adapter.reconnects == 2  # both sockets dropped and made again


async def test_moderator_status_is_detected_not_assumed() -> None:
    async with running(TwitchStandIn(bot_is_moderator=False)) as rig:
        heard = Heard()
        async with started(await rig.adapter(), heard) as adapter:
            assert adapter.elevated is False
            await rig.control("POST", "moderator", {"user": rig.twitch.bot.login})
            assert await adapter.check_moderator() is True
            await rig.control(
                "POST", "moderator", {"user": rig.twitch.bot.login, "moderator": False}
            )
            # The bot's own message comes back through EventSub without a moderator badge.
            await adapter.send(Reply(rig.twitch.broadcaster.id, "hola"))
            await until(lambda: not adapter.elevated)

    async with running(TwitchStandIn(bot_is_moderator=True)) as rig:
        adapter = await rig.adapter()
        async with started(adapter, Heard()):
            assert adapter.elevated is True


async def test_a_refreshed_token_is_stored_and_sending_goes_on(tmp_path: Path) -> None:
    async with running(TwitchStandIn()) as rig:
        path = tmp_path / "twitch-tokens.json"
        adapter = await rig.adapter(token_path=path)
        original = adapter.bot_token
        save_tokens(path, "bot", original)
        async with started(adapter, Heard()):
            await rig.control("POST", "expire", {"user": rig.twitch.bot.login})
            await adapter.send(Reply(rig.twitch.broadcaster.id, "después de refrescar"))
            await until(lambda: load_tokens(path)["bot"] != original)
            await until(lambda: adapter.messages_sent == 1)
            stored = load_tokens(path)["bot"]
            assert stored == adapter.bot_token
            assert stored.user_id == rig.twitch.bot.id
            assert stored.access_token in rig.twitch.tokens
            assert rig.twitch.tokens[stored.access_token].valid
            assert [m["message"] for m in await rig.sent()] == ["después de refrescar"]

"""Alerts as the owner set them: template, look, variations by amount, read-aloud, tests
and replays that count nowhere, and the screening seam, without a browser (see
tests/browser/test_stream_alerts_shown.py for the page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.chat.i18n import Messages
from bots.runtime.events import AlertReplay, AlertTest, GoalChanged, OrderPaid, TipReceived
from bots.web import alert_config
from bots.web.alert_config import AlertSettings, AlertStyle, ReadAloud, Variation
from bots.web.alert_media import MediaStore
from bots.web.alert_text import Screened, TextKind
from bots.web.overlay import Overlay
from commerce.money import Money
from commerce.views import LineRequest, OrderView, TipSource, TipView, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")


def paid_order(store: Any, quantity: int = 1) -> OrderView:
    view: OrderView = store.reserve(
        ANA, "canal", [LineRequest("TAZA", quantity)], ttl=timedelta(minutes=5)
    )
    return view


def tip(
    store: Any, amount: int, message: str = "¡grande!", source: TipSource = TipSource.LINK
) -> TipView:
    view: TipView = store.create_tip(
        ANA, "canal", Money(amount, "ARS"), message, source, ttl=timedelta(minutes=5)
    )
    return view


def save(store: Any, settings: AlertSettings) -> None:
    store.set_owner_setting(alert_config.SETTING_KEY, settings.to_json())


@pytest.fixture
def overlay(store: Any) -> Overlay:
    return Overlay(store, Messages(), locale="es")


async def test_a_sale_alert_out_of_the_box_has_amount_sound_and_motion(
    overlay: Overlay, store: Any
) -> None:
    await overlay.on_event(OrderPaid(paid_order(store, 2)))
    [alert] = overlay.alerts
    assert alert["type"] == "sale" and alert["headline"] == "ana compró"
    assert alert["title"] == "2× Taza"
    assert alert["amount"] == Messages().money(Money(17000, "ARS"), "es")
    assert alert["sound"] == "/overlay/sounds/chime.wav" and alert["volume"] == 0.7
    assert (alert["enter"], alert["exit"]) == ("slide", "fade")
    assert alert["test"] is False and alert["speak"] is None


async def test_each_tip_source_is_its_own_type(overlay: Overlay, store: Any) -> None:
    for source in (TipSource.LINK, TipSource.BITS, TipSource.SUPERCHAT):
        await overlay.on_event(TipReceived(tip(store, 500, source=source)))
    assert [a["type"] for a in overlay.alerts] == ["tip", "bits", "superchat"]
    assert [a["headline"] for a in overlay.alerts] == [
        "ana dejó una propina",
        "ana mandó Bits",
        "Super Chat de ana",
    ]


async def test_the_owners_template_and_the_variation_the_amount_reaches(
    overlay: Overlay, store: Any
) -> None:
    style = AlertStyle(
        template="{buyer} dejó {amount} por {platform}: {message}",
        image="https://cdn.example/tip.gif",
        sound="/overlay/sounds/coin.wav",
        enter="zoom",
        variations=(
            Variation(Decimal(10000), "¡LLUVIA de {buyer}!", "", "/overlay/sounds/fanfare.wav"),
            Variation(Decimal(50000), "¡TORMENTA!", "https://cdn.example/big.gif"),
        ),
    )
    save(store, AlertSettings().with_style("tip", style))
    for amount in (9999, 10000, 60000):
        await overlay.on_event(TipReceived(tip(store, amount)))
    small, rain, storm = overlay.alerts
    assert small["headline"] == (
        f"ana dejó {Messages().money(Money(9999, 'ARS'), 'es')} por Twitch: ¡grande!"
    )
    assert (small["variation"], small["sound"], small["enter"]) == (None, style.sound, "zoom")
    assert (rain["variation"], rain["headline"]) == (0, "¡LLUVIA de ana!")
    assert rain["sound"] == "/overlay/sounds/fanfare.wav" and rain["image"] == style.image
    assert (storm["variation"], storm["headline"]) == (1, "¡TORMENTA!")
    assert storm["image"] == "https://cdn.example/big.gif" and storm["sound"] == style.sound


async def test_a_test_alert_is_marked_and_moves_no_goal(overlay: Overlay, store: Any) -> None:
    save(
        store,
        AlertSettings().with_style(
            "tip", AlertStyle(variations=(Variation(Decimal(10000), "big"),))
        ),
    )
    await overlay.on_event(GoalChanged(Money(20000, "ARS"), "tips"))
    await overlay.on_event(AlertTest("tip", None, "ARS"))
    await overlay.on_event(AlertTest("tip", 0, "ARS"))
    await overlay.on_event(AlertTest("sale", None, "ARS"))
    plain, varied, sale = overlay.alerts
    assert all(a["test"] for a in overlay.alerts)
    assert plain["badge"] == "Prueba" and plain["buyer"] == "Prueba"
    assert plain["variation"] is None and varied["variation"] == 0
    assert varied["headline"] == "big"
    assert sale["type"] == "sale" and sale["amount"]
    assert overlay.state("http://x")["goal"]["percent"] == 0.0
    await overlay.on_event(TipReceived(tip(store, 5000)))  # a real one still counts
    assert overlay.state("http://x")["goal"]["percent"] == 25.0


async def test_a_replay_shows_again_and_counts_once(overlay: Overlay, store: Any) -> None:
    await overlay.on_event(GoalChanged(Money(17000, "ARS"), "sales"))
    order = paid_order(store)
    await overlay.on_event(OrderPaid(order))
    await overlay.on_event(AlertReplay(order=order))
    first, again = overlay.alerts
    assert (first["replay"], again["replay"]) == (False, True)
    assert again["headline"] == first["headline"] and again["badge"] == "Repetición"
    assert overlay.state("http://x")["goal"]["percent"] == 50.0


async def test_read_aloud_is_off_until_turned_on_then_cut_and_above_the_minimum(
    overlay: Overlay, store: Any
) -> None:
    long = "gracias por el stream " * 20
    await overlay.on_event(TipReceived(tip(store, 5000, long)))
    assert overlay.alerts[-1]["speak"] is None
    save(store, AlertSettings(read_aloud=ReadAloud(True, Decimal(1000), 40)))
    await overlay.on_event(TipReceived(tip(store, 999, "hola")))
    assert overlay.alerts[-1]["speak"] is None  # under the minimum
    await overlay.on_event(TipReceived(tip(store, 5000, long)))
    spoken = overlay.alerts[-1]["speak"]
    assert spoken == "gracias por el stream gracias por el"  # whole words, at most 40
    await overlay.on_event(OrderPaid(paid_order(store)))
    assert overlay.alerts[-1]["speak"] is None  # sales have no message to read


class Moderation:
    """A stand-in for the moderation side's screen, handed to the Overlay as configuration."""

    def __init__(self, **verdicts: Screened) -> None:
        self.verdicts = verdicts
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, kind: TextKind, text: str, amount: Money | None) -> Screened:
        self.seen.append((kind, text))
        return self.verdicts.get(text, Screened(text))


async def test_every_viewer_text_goes_through_the_screen(store: Any) -> None:
    screen = Moderation(
        feo=Screened("", hidden=True),
        ana=Screened("a***", hidden=False),
    )
    overlay = Overlay(store, Messages(), locale="es", screen=screen)
    save(store, AlertSettings(read_aloud=ReadAloud(True)))
    await overlay.on_event(TipReceived(tip(store, 500, "feo")))
    alert = overlay.alerts[-1]
    assert screen.seen == [("name", "ana"), ("message", "feo")]
    assert alert["buyer"] == "a***" and alert["headline"] == "a*** dejó una propina"
    assert alert["message"] == "" and alert["speak"] is None  # hidden: not shown, not read
    await overlay.on_event(TipReceived(tip(store, 500, "lindo")))
    assert overlay.alerts[-1]["speak"] == "lindo"


async def test_a_held_alert_plays_only_when_released(store: Any) -> None:
    screen = Moderation(dudoso=Screened("dudoso", hold=True))
    overlay = Overlay(store, Messages(), locale="es", screen=screen)
    await overlay.on_event(GoalChanged(Money(1000, "ARS"), "tips"))
    await overlay.on_event(TipReceived(tip(store, 500, "dudoso")))
    assert list(overlay.alerts) == [] and len(overlay.held) == 1
    assert overlay.state("http://x")["goal"]["percent"] == 50.0  # the money is in anyway
    [held] = overlay.held
    assert overlay.release_held(held) is True and overlay.release_held(held) is False
    assert [a["message"] for a in overlay.alerts] == ["dudoso"]


@pytest.fixture
async def served(store: Any, tmp_path: Path) -> AsyncIterator[tuple[str, MediaStore]]:
    media = MediaStore(tmp_path / "media")
    overlay = Overlay(store, Messages(), media=media)
    app = web.Application()
    overlay.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", media
    await runner.cleanup()


async def test_shipped_sounds_and_uploads_are_served_with_their_types(
    served: tuple[str, MediaStore],
) -> None:
    url, media = served
    gif = media.save(b"GIF89a" + b"\0" * 40)
    async with aiohttp.ClientSession() as http:
        for name in alert_config.SOUNDS:
            async with http.get(f"{url}/overlay/sounds/{name}.wav") as response:
                body = await response.read()
                assert response.status == 200 and response.content_type == "audio/wav"
                assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"
        async with http.get(f"{url}{gif.url}") as response:
            assert response.status == 200 and response.content_type == "image/gif"
        for missing in (
            "/overlay/sounds/app.py",
            "/overlay/media/..%2Fvivo.db",
            "/overlay/speech/1.wav",
        ):
            async with http.get(url + missing) as response:
                assert response.status == 404, missing


async def test_the_server_voice_makes_a_clip_the_overlay_serves(store: Any, tmp_path: Path) -> None:
    """espeak-ng (scripts/speech.sh installs it) reads the screened message into a WAV."""
    overlay = Overlay(store, Messages(), locale="es")
    save(store, AlertSettings(read_aloud=ReadAloud(True, Decimal(0), 100, "server")))
    await overlay.on_event(TipReceived(tip(store, 500, "¡Hola a todos!")))
    alert = overlay.alerts[-1]
    assert alert["speak"] is None
    assert alert["speech_url"] == f"overlay/speech/{alert['id']}.wav"
    app = web.Application()
    overlay.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        async with aiohttp.ClientSession() as http, http.get(base + alert["speech_url"]) as got:
            body = await got.read()
            assert got.status == 200 and got.content_type == "audio/wav"
            assert body[:4] == b"RIFF" and len(body) > 5000  # a few tenths of a second of voice
    finally:
        await runner.cleanup()


async def test_with_the_owners_filter_read_aloud_reads_only_what_the_stream_may_show(
    store: Any,
) -> None:
    """The bot's real moderation (bots.moderation), as bots/runtime/bot.py wires it."""
    from bots.moderation.service import Moderation

    moderation = Moderation(store, "ARS")
    overlay = Overlay(store, Messages(), locale="es", moderation=moderation)
    save(store, AlertSettings(read_aloud=ReadAloud(True)))
    await overlay.on_event(TipReceived(tip(store, 500, "sos una mierda")))
    assert overlay.alerts[-1]["speak"] == "sos una ***"  # replaced words are read replaced
    store.save_moderation_settings("hide", "off", None)
    moderation.invalidate()
    await overlay.on_event(TipReceived(tip(store, 500, "sos una mierda")))
    assert overlay.alerts[-1]["message"] == "" and overlay.alerts[-1]["speak"] is None
    store.save_moderation_settings("replace", "messages", None)  # every message waits
    moderation.invalidate()
    shown = len(overlay.alerts)
    await overlay.on_event(TipReceived(tip(store, 500, "¡hola!")))
    assert len(overlay.alerts) == shown  # held: nothing new played
    await overlay.on_event(AlertTest("tip", None, "ARS"))
    assert overlay.alerts[-1]["test"] is True  # a test is never held
    [held] = store.held_alerts()
    await moderation.decide(held.id, True, "owner")
    assert overlay.alerts[-1]["message"] == "¡hola!" and overlay.alerts[-1]["speak"] == "¡hola!"


async def test_a_preview_that_crossed_processes_keeps_its_look(overlay: Overlay) -> None:
    """With PostgreSQL, events reach the overlay through the events outbox as JSON."""
    from bots.runtime.event_codec import decode, encode

    style = AlertStyle(template="¡{buyer}!", enter="flip", variations=(Variation(Decimal(5)),))
    event = decode(*encode(AlertTest("tip", 0, "ARS", style)))
    assert isinstance(event, AlertTest)
    await overlay.on_event(event)
    alert = overlay.alerts[-1]
    assert (alert["headline"], alert["enter"], alert["variation"]) == ("¡Prueba!", "flip", 0)

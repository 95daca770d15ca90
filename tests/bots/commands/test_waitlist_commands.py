"""`!avisame`, `!fila`, sold-out `!comprar` and `!pedido`'s places, through the router, as
each of the four platforms' adapters hand messages to it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from chat_helpers import CHANNEL, OWNER_ID

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Router

PLATFORMS = ["twitch", "youtube", "discord", "telegram"]
_ids = itertools.count(1)


def t(key: str, **params: object) -> str:
    return Messages().t("es", key, p="!", **params)


async def say(router: Router, clock: Any, platform: str, user: str, text: str) -> list[Reply]:
    clock.advance(60)
    replies: list[Reply] = []

    async def record(reply: Reply) -> None:
        replies.append(reply)

    author = ChatUser(platform, user, user)
    await router.handle(ChatMessage(platform, f"m{next(_ids)}", CHANNEL, author, text), record)
    return replies


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_sold_out_purchase_offers_a_place_and_the_button_joins(
    router: Router, clock: Any, store: Any, platform: str
) -> None:
    store.set_stock("TAZA", 1)
    await say(router, clock, platform, "ana", "!comprar taza")
    [offer] = await say(router, clock, platform, "beto", "!comprar taza")
    assert offer.text == t("waitlist_offer", name="beto", product="Taza", command="!avisame TAZA")
    [button] = offer.buttons
    assert button.command == "/avisame TAZA"
    [joined] = await say(router, clock, platform, "beto", button.command.replace("/", "!"))
    assert joined.text == t("waitlist_joined", name="beto", product="Taza", position=1)
    [again] = await say(router, clock, platform, "beto", "!avisame taza")
    assert again.text == t("waitlist_already", name="beto", product="Taza", position=1)
    [second] = await say(router, clock, platform, "carla", "!notifyme mug")
    assert "2" in second.text


async def test_variant_line_and_pedido_shows_the_place(
    router: Router, clock: Any, store: Any, platform: str
) -> None:
    store.set_stock("REM", 0, "color=negro,talle=M")
    [joined] = await say(router, clock, platform, "ana", "!avisame remera negra M")
    assert joined.text == t("waitlist_joined", name="ana", product="Remera negro M", position=1)
    [shown] = await say(router, clock, platform, "ana", "!pedido")
    assert shown.text == t(
        "waitlist_places", places=t("waitlist_place", product="Remera negro M", position=1)
    )
    store.set_stock("REM", 1, "color=negro,talle=M")  # the owner restocks: ana's hold
    replies = await say(router, clock, platform, "ana", "!pedido")
    assert "Remera" in replies[0].text and "pedido" in replies[0].text.lower()
    [order] = [o for o in store.viewer_orders(platform, "ana") if o.status.value == "pending"]
    assert order.lines[0].variant_key == "color=negro,talle=M"


async def test_leaving_the_line_and_typos(
    router: Router, clock: Any, store: Any, platform: str
) -> None:
    store.set_stock("TAZA", 0)
    await say(router, clock, platform, "ana", "!avisame taza")
    [left] = await say(router, clock, platform, "ana", "!avisame cancelar")
    assert left.text == t("waitlist_left", name="ana")
    [none] = await say(router, clock, platform, "ana", "!avisame cancelar")
    assert none.text == t("waitlist_not_in_line", name="ana")
    [usage] = await say(router, clock, platform, "ana", "!avisame")
    assert "!avisame" in usage.text
    [typo] = await say(router, clock, platform, "ana", "!avisame tazza")
    assert "Taza" in typo.text  # did you mean
    [in_stock] = await say(router, clock, platform, "ana", "!avisame stickers")
    assert in_stock.text.startswith("¡Sticker pack tiene stock")


async def test_the_owner_sees_the_line_and_viewers_cannot(
    router: Router, clock: Any, store: Any, platform: str
) -> None:
    store.set_stock("TAZA", 0)
    await say(router, clock, platform, "ana", "!avisame taza")
    await say(router, clock, platform, "beto", "!avisame taza")
    [refused] = await say(router, clock, platform, "ana", "!fila taza")
    assert refused.text == t("not_allowed", command="fila")
    store.add_owner(platform, OWNER_ID, "lu")
    [line] = await say(router, clock, platform, OWNER_ID, "!fila taza")
    assert line.text == t(
        "waitlist_line",
        product="Taza",
        count=2,
        entries=f"1. ana ({platform}) · 2. beto ({platform})",
    )

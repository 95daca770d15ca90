"""What a viewer typed, quoted back in a reply, can never mention anyone: on every platform
the `@` (and Discord's `<#`) gets a zero-width joiner, in every template parameter but the
bot's own links."""

from __future__ import annotations

import pytest
from chat_helpers import Chat, Links

from adapters.base import QUOTE_MARK, ChatUser, Reply, neutralize
from adapters.telegram import _mention_entities
from adapters.youtube import render
from bots.chat.i18n import Messages, Verbatim

PINGS = [
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&123456789012345678>",
    "<#123456789012345678>",
    "@everyone",
    "@here",
    "@beto_twitch",
]


@pytest.mark.parametrize("ping", PINGS)
def test_neutralize_breaks_every_mention_form(ping: str) -> None:
    quoted = neutralize(ping)
    assert quoted != ping and quoted.replace(QUOTE_MARK, "") == ping
    assert neutralize(quoted) == quoted  # idempotent: pieces of pieces stay as they are


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("!propina <@123456789012345678>", "amount_not_a_number"),
        ("!comprar @everyone", "product_not_found"),
        ("!precio @beto_twitch", "product_not_found"),
    ],
)
async def test_errors_quote_input_without_its_mentions(chat: Chat, line: str, key: str) -> None:
    text = await chat.say(line)
    quoted = line.split(" ", 1)[1]
    assert chat.replies[-1].text == text
    template = chat.router.services.messages.template("es", key)
    assert template.rsplit("}", 1)[-1].replace("{p}", "!") in text  # the error meant
    assert quoted.strip("<>") not in text and "@" + QUOTE_MARK in text


async def test_the_payment_link_is_kept_verbatim(chat: Chat, links: Links) -> None:
    replies = await chat.send("!comprar taza")
    [order] = links.orders
    assert any(f"http://pay.test/{order.code}" in r.text for r in replies if r.private)


def test_templates_neutralise_text_but_not_verbatim_parameters() -> None:
    messages = Messages()
    text = messages.t(
        "es", "link_ready", name="@everyone", url=Verbatim("http://a@b/x"), code="C", minutes=5
    )
    assert "@everyone" not in text and "http://a@b/x" in text


def test_youtube_and_telegram_still_mention_the_viewer_by_a_neutralised_name() -> None:
    viewer = ChatUser("youtube", "UC1", "@ana")
    text = Messages().t(
        "es", "link_ready", name=viewer.name, url=Verbatim("u"), code="C", minutes=1
    )
    assert render(Reply("chat", text, mention=viewer)).startswith("@ana, ")
    tg = ChatUser("telegram", "42", "@ana")
    [entity] = _mention_entities(text, tg) or []
    assert entity.user is not None and entity.user.id == 42

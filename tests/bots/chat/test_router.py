"""Router: prefixes and names, locale choice, cooldowns, roles, long input, and error replies."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from chat_helpers import MOD, OTHER, OWNER, VIEWER, Chat, Links, snapshot, with_locale

from adapters.base import ChatMessage, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Command, Context, Router


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


@pytest.mark.parametrize(
    "text", ["hola", "", "   ", "comprar remera M", "!", "! tienda", "¡tienda"]
)
async def test_non_commands_are_ignored(chat: Chat, text: str) -> None:
    assert await chat.send(text) == []
    assert chat.handled is False


async def test_unknown_commands_belong_to_someone_else(chat: Chat) -> None:
    assert await chat.send("!bailar ya") == []  # (!sorteo was this example until giveaways)
    assert chat.handled is False


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("!TIENDA", "!"),
        ("!Tiénda", "!"),
        ("  !tienda", "!"),
        ("!catálogo", "!"),
        ("/tienda", "/"),
        ("/tienda@VivoBot", "/"),
    ],
)
async def test_command_names_fold_case_accents_and_bot_suffix(
    chat: Chat, text: str, prefix: str
) -> None:
    (reply,) = await chat.send(text)
    assert chat.handled is True
    (plain,) = await chat.send("!tienda")
    assert reply.text == plain.text.replace("!comprar", f"{prefix}comprar")


async def test_replies_mention_the_author_and_answer_the_message(chat: Chat) -> None:
    (reply,) = await chat.send("!tienda")
    assert reply.mention == VIEWER
    assert reply.reply_to is not None and reply.reply_to.text == "!tienda"
    assert reply.channel == "canal" and reply.private is False


async def test_locale_follows_the_alias_and_is_remembered(chat: Chat, router: Router) -> None:
    assert await chat.say("!comprar xyz") == t("es", "product_not_found", query="xyz")
    assert await chat.say("!buy xyz") == t("en", "product_not_found", query="xyz")
    assert await chat.say("!comprar xyz") == t("en", "product_not_found", query="xyz")
    assert router.locale_for(VIEWER) == "en"
    assert await chat.say("!loja") == (await chat.send("!loja"))[0].text
    assert router.locale_for(VIEWER) == "pt"
    assert await chat.say("!comprar xyz") == t("pt", "product_not_found", query="xyz")
    portuguese = await chat.say("!loja")
    assert await chat.say("!tienda") != portuguese
    assert router.locale_for(VIEWER) == "es"
    assert router.locale_for(OTHER) == "es"  # others are untouched


async def test_locale_falls_back_to_the_platform_then_the_store(chat: Chat, router: Router) -> None:
    brazilian = with_locale(OTHER, "pt-BR")
    assert await chat.say("!comprar xyz", brazilian) == t("pt", "product_not_found", query="xyz")
    unknown = with_locale(MOD, "fr")
    assert await chat.say("!comprar xyz", unknown) == t("es", "product_not_found", query="xyz")
    assert router.locale_for(with_locale(VIEWER, "en_US")) == "en"


async def test_cooldown_warns_once_then_stays_silent(chat: Chat) -> None:
    first = await chat.send("!tienda")
    assert len(first) == 1
    assert await chat.say("!tienda", wait=0.5) == t("es", "on_cooldown", seconds=2)
    assert await chat.send("!tienda", wait=0.5) == []
    assert await chat.send("!tienda", wait=0.1) == []
    assert chat.handled is True
    assert [r.text for r in await chat.send("!tienda", wait=1.0)] == [first[0].text]


async def test_cooldown_is_per_viewer_and_per_command(chat: Chat) -> None:
    await chat.send("!tienda")
    assert len(await chat.send("!tienda", OTHER, wait=0)) == 1
    assert await chat.say("!comprar xyz", wait=0) == t("es", "product_not_found", query="xyz")


async def test_moderators_and_owners_skip_cooldowns(chat: Chat) -> None:
    for user in (MOD, OWNER):
        await chat.send("!tienda", user)
        assert len(await chat.send("!tienda", user, wait=0)) == 1


async def test_viewer_cannot_set_stock_but_a_moderator_can(chat: Chat, store: Any) -> None:
    before = snapshot(store)
    assert await chat.say("!stock taza 100") == t("es", "not_allowed", command="stock")
    assert snapshot(store) == before
    assert store.get_product("TAZA").stock == 20
    await chat.send("!stock taza 100", MOD)
    assert store.get_product("TAZA").stock == 100


async def test_owner_ids_from_settings_make_an_owner(chat: Chat, store: Any) -> None:
    await chat.send("!cerrar", OWNER)
    assert store.is_open() is False


@pytest.mark.parametrize("locale_alias", [("es", "!comprar"), ("en", "!buy"), ("pt", "!gorjeta")])
async def test_long_lines_get_a_short_answer_and_no_parsing(
    chat: Chat, store: Any, links: Links, locale_alias: tuple[str, str]
) -> None:
    locale, alias = locale_alias
    before = snapshot(store)
    replies = await chat.send(f"{alias} taza " + "x" * 5000)
    assert [r.text for r in replies] == [t(locale, "too_long", limit=500)]
    assert snapshot(store) == before and links.orders == [] and links.tips == []


async def test_long_lines_that_are_not_ours_are_ignored(chat: Chat) -> None:
    assert await chat.send("hola " * 1000) == []
    assert await chat.send("!bailar " + "x" * 5000) == []
    assert chat.handled is False


async def test_a_crashing_handler_gets_a_generic_reply_and_a_log(
    store: Any, links: Links, settings: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from bots.runtime.services import Services

    router = Router(Services(store, links, settings, Messages()), clock=clock)

    async def boom(ctx: Context) -> None:
        raise RuntimeError("kaput")

    router.add(Command(names={"boom": None}, handler=boom))
    chat = Chat(router, clock)
    with caplog.at_level(logging.ERROR):
        assert await chat.say("!boom") == t("es", "unexpected_error")
    assert "kaput" in caplog.text


async def test_a_failing_store_never_escapes(
    chat: Chat, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(store, "list_products", broken)
    assert await chat.say("!comprar taza") == t("es", "unexpected_error")


async def test_a_failing_send_never_escapes(router: Router) -> None:
    async def send(reply: Reply) -> None:
        raise ConnectionError("chat is down")

    message = ChatMessage("test", "1", "canal", VIEWER, "!tienda")
    assert await router.handle(message, send) is True


def test_a_name_can_only_be_registered_once(router: Router) -> None:
    async def noop(ctx: Context) -> None:
        return None

    with pytest.raises(ValueError, match=r"(?i)tienda"):
        router.add(Command(names={"Tienda": None}, handler=noop))

"""aiogram, an independent Telegram framework, doing what a bot does against the sandbox.

aiogram is pointed at loopback only by its documented custom Bot API server option
(`AiohttpSession(api=TelegramAPIServer.from_base(...))`, the one for a local Bot API
server); its dispatcher long-polls `getUpdates` as it does against Telegram. Nothing of it
is patched. It sends `parse_mode=HTML` by default, as its examples do: that found the
stand-in keeping the tags as text instead of parsing them into entities. The sandbox is
driven over real sockets through its control API: a viewer opens the bot, types a command
in the group, and taps the inline button under the reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox.app import Sandbox
from sandbox.telegram import DEFAULT_GROUP_ID, DEFAULT_TOKEN

CONTROL = "/_sandbox/telegram"
WAIT = 15.0  # a guard against hanging, not a measure of speed


def shop(retried: list[int]) -> Router:
    """A tiny shop bot, written the way aiogram's docs write one; `retried` logs 429 waits."""
    router = Router()

    @router.message(CommandStart(), F.chat.type == "private")
    async def start(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(f"Hola {message.from_user.first_name}, aquí te llegan tus links.")

    @router.message(Command("comprar"), F.chat.type.in_({"group", "supergroup"}))
    async def buy(message: Message, command: CommandObject) -> None:
        item = command.args or "nada"
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Pagar", callback_data=f"pay:{item}")]]
        )
        await message.reply(f"<b>Reservé</b> {html.quote(item)}.", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("pay:"))
    async def pay(query: CallbackQuery, bot: Bot) -> None:
        assert query.data is not None
        item = query.data.removeprefix("pay:")
        await query.answer("Te mandé el link por privado")
        text = f"Tu link para {item}: http://pago/1"
        try:
            await bot.send_message(query.from_user.id, text)
        except TelegramRetryAfter as flood:  # one message a second per chat, as documented
            retried.append(flood.retry_after)
            await asyncio.sleep(flood.retry_after)
            await bot.send_message(query.from_user.id, text)

    return router


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as running:
        yield running


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox.url}{CONTROL}") as http:
        yield http


@pytest.fixture
def retried() -> list[int]:
    return []


@pytest.fixture
async def bot(sandbox: Sandbox, retried: list[int]) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(f"{sandbox.url}/telegram"))
    dispatcher = Dispatcher()
    dispatcher.include_router(shop(retried))
    # HTML by default, as aiogram's own examples set it up
    running = Bot(
        DEFAULT_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    polling = asyncio.create_task(
        dispatcher.start_polling(running, handle_signals=False, polling_timeout=1)
    )
    try:
        yield running
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, WAIT)


async def sent_until(
    control: httpx.AsyncClient, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """What the bot sent, once `done` holds of it (the guard only stops a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        sent: list[dict[str, Any]] = (await control.get("/sent")).json()
        if done(sent) or loop.time() > deadline:
            return sent
        await asyncio.sleep(0.05)


async def act(control: httpx.AsyncClient, what: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await control.post(f"/{what}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_aiogram_long_polls_a_command_a_button_press_and_a_private_reply(
    bot: Bot, control: httpx.AsyncClient
) -> None:
    me = await bot.get_me()
    assert (me.username, me.can_read_all_group_messages) == ("vivo_sandbox_bot", False)

    opened = await act(control, "open", {"user": "ana", "url": "https://t.me/vivo_sandbox_bot"})
    ana = opened["message"]["from"]["id"]
    sent = await sent_until(control, lambda s: len(s) >= 1)
    assert [(s["chat_id"], s["text"]) for s in sent] == [
        (ana, "Hola ana, aquí te llegan tus links.")
    ]

    said = await act(control, "say", {"user": "ana", "text": "/comprar remera"})
    assert said["delivered"]  # privacy mode on: commands still reach the bot
    sent = await sent_until(control, lambda s: len(s) >= 2)
    reply = sent[1]
    assert (reply["chat_id"], reply["text"]) == (DEFAULT_GROUP_ID, "Reservé remera.")
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 7}]  # parse_mode=HTML
    assert reply["message"]["reply_to_message"]["message_id"] == said["message"]["message_id"]
    assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "pay:remera"

    pressed = await act(
        control, "press", {"user": "ana", "message_id": reply["message_id"], "button": "Pagar"}
    )
    assert pressed["delivered"]
    sent = await sent_until(control, lambda s: len(s) >= 4)
    answer, private = sent[2], sent[3]
    assert (private["chat_id"], private["text"]) == (ana, "Tu link para remera: http://pago/1")
    assert answer == {
        "method": "answerCallbackQuery",
        "callback_query_id": pressed["callback_query"]["id"],
        "text": "Te mandé el link por privado",
        "show_alert": False,
    }


async def test_chatter_in_the_group_never_reaches_aiogram_with_privacy_on(
    bot: Bot, control: httpx.AsyncClient
) -> None:
    chatter = await act(control, "say", {"user": "beto", "text": "!comprar remera"})
    assert not chatter["delivered"]
    addressed = await act(
        control, "say", {"user": "beto", "text": "/comprar@vivo_sandbox_bot gorra"}
    )
    assert addressed["delivered"]
    sent = await sent_until(control, lambda s: len(s) >= 1)
    assert [s["text"] for s in sent] == ["Reservé gorra."]


async def test_flood_control_reaches_aiogram_as_retry_after(
    bot: Bot, control: httpx.AsyncClient
) -> None:
    opened = await act(control, "open", {"user": "carla", "url": "https://t.me/vivo_sandbox_bot"})
    carla = opened["message"]["from"]["id"]
    await sent_until(control, lambda s: len(s) >= 1)
    faults = await control.post("/faults", json={"rate_limit": {"count": 1, "retry_after": 3}})
    assert faults.status_code == 200
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(carla, "¿sigues ahí?")
    assert flood.value.retry_after == 3


async def test_every_call_aiogram_made_was_answered_ok(
    bot: Bot, control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Start-up and polling as aiogram does them: no call refused, no unknown method."""
    await act(control, "say", {"user": "dani", "text": "/comprar taza"})
    await sent_until(control, lambda s: len(s) >= 1)
    calls = (await control.get("/calls")).json()
    methods = {c["method"] for c in calls}
    assert {"getMe", "getUpdates", "sendMessage"} <= methods
    assert [c for c in calls if c.get("status") not in (200, None)] == []

"""Telegram groups and private chats through python-telegram-bot.

Micro-influencers sell to friend groups on Telegram, usually from home: long polling is the
default because it needs no public address; a webhook (with Telegram's secret header) is
there for servers. Viewers type `/comprar …` (heard even with privacy mode on, also as
`/comprar@bot`) or `!comprar …` (heard only with privacy mode off). Inline buttons speak
their command as whoever presses them. Payment links go to the buyer's private chat; a bot
cannot write first, so a buyer who never opened the bot gets a short group message with a
deep link, and the held text is delivered when they open it.

Sends are paced per chat (about one a second, twenty a minute in a group) on top of the
outbox's global window, and a 429 makes that chat wait its `retry_after`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import secrets
import time
import warnings
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from adapters.base import (
    Button,
    ChatMessage,
    ChatUser,
    Inbox,
    Reply,
    Role,
    SendLimits,
    neutralize,
    split_text,
)

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MAX_LENGTH = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
MAX_CALLBACK_DATA = 64
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?=\s|$)")
_T = TypeVar("_T")

# What /commands the chat clients suggest, per language (the router knows every alias).
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "es": [
        ("tienda", "Ver los productos y sus precios"),
        ("comprar", "Comprar: /comprar remera M"),
        ("precio", "Cuánto cuesta: /precio remera"),
        ("pedido", "Tus pedidos"),
        ("cancelar", "Cancelar tu último pedido pendiente"),
        ("propina", "Dejar una propina: /propina 500"),
        ("ayuda", "Cómo funciona"),
    ],
    "en": [
        ("shop", "See the products and their prices"),
        ("buy", "Buy: /buy shirt M"),
        ("price", "How much: /price shirt"),
        ("order", "Your orders"),
        ("cancel", "Cancel your last pending order"),
        ("tip", "Leave a tip: /tip 500"),
        ("help", "How it works"),
    ],
    "pt": [
        ("loja", "Ver os produtos e os preços"),
        ("comprar", "Comprar: /comprar camiseta M"),
        ("preco", "Quanto custa: /preco camiseta"),
        ("pedido", "Seus pedidos"),
        ("cancelar", "Cancelar seu último pedido pendente"),
        ("gorjeta", "Deixar uma gorjeta: /gorjeta 500"),
        ("ajuda", "Como funciona"),
    ],
}

# The few words the adapter itself says: the rest of the bot's text comes from bots/locales.
TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "prompt": "{name}, tu link de pago te espera en privado 🔒 Ábreme aquí: {link}",
        "button": "Abrir chat privado",
        "delivered": "{name}, ya te lo mandé por privado ✓",
        "stale_button": "Este botón ya no sirve: escribe /tienda de nuevo.",
    },
    "en": {
        "prompt": "{name}, your payment link is waiting in private 🔒 Open me here: {link}",
        "button": "Open private chat",
        "delivered": "{name}, sent to you privately ✓",
        "stale_button": "This button has expired: type /shop again.",
    },
    "pt": {
        "prompt": "{name}, seu link de pagamento está no privado 🔒 Me abra aqui: {link}",
        "button": "Abrir chat privado",
        "delivered": "{name}, já te mandei no privado ✓",
        "stale_button": "Este botão expirou: digite /loja de novo.",
    },
}


@dataclass(frozen=True, slots=True)
class TelegramWebhook:
    """Webhook mode: Telegram POSTs updates to `url`, which must reach `listen:port` + path.

    `url` is the public https address (a reverse proxy or tunnel in front of this process);
    None means this process's own address, which only a local stand-in can reach.
    """

    secret_token: str
    url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "/telegram/webhook"


# ---------------------------------------------------------------------------- pacing


class Pacer:
    """Per-chat send pacing: Telegram's ~1 message/s per chat and 20/min per group.

    A chat's sends are serialized by a lock, so the windows hold even when the outbox and a
    deep-link delivery write to the same chat. Stamps are taken when Telegram has answered,
    so the server never sees two sends closer than the window.
    """

    def __init__(
        self,
        *,
        per_chat: tuple[int, float] = (1, 1.05),
        per_group: tuple[int, float] = (20, 60.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_chat = per_chat
        self.per_group = per_group
        self.clock = clock
        self._stamps: dict[int, deque[float]] = {}
        self._blocked_until: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def wait_time(self, chat_id: int) -> float:
        now = self.clock()
        stamps = self._stamps.get(chat_id, deque())
        wait = self._blocked_until.get(chat_id, 0.0) - now
        windows = [self.per_chat] + ([self.per_group] if chat_id < 0 else [])
        for count, seconds in windows:
            recent = [s for s in stamps if now - s < seconds]
            if len(recent) >= count:
                wait = max(wait, seconds - (now - recent[-count]))
        return max(0.0, wait)

    def record(self, chat_id: int) -> None:
        stamps = self._stamps.setdefault(chat_id, deque(maxlen=self.per_group[0]))
        stamps.append(self.clock())

    def block(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429: nothing more to this chat for `seconds`."""
        until = self.clock() + seconds
        self._blocked_until[chat_id] = max(until, self._blocked_until.get(chat_id, 0.0))

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            delay = self.wait_time(chat_id)
            while delay > 0:
                await asyncio.sleep(delay)
                delay = self.wait_time(chat_id)
            try:
                yield
            finally:
                self.record(chat_id)


def split_message(text: str, limit: int = MAX_LENGTH) -> list[str]:
    """Telegram's 4,096-character cap, cut at a line or word break where there is one."""
    return split_text(text, limit)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# ---------------------------------------------------------------------------- roles


class RoleCache:
    """A group member's role: the group's creator is the owner, administrators moderate.

    One getChatMember per user and group every `ttl` seconds, so someone promoted during a
    stream is recognised on their first message after that. A failed lookup counts as a
    viewer and is retried soon: a Telegram hiccup never grants anything.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[Role]],
        *,
        ttl: float = 120.0,
        retry: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        size: int = 10_000,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self.retry = retry
        self.clock = clock
        self.size = size
        self._cache: OrderedDict[tuple[int, int], tuple[Role, float]] = OrderedDict()
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    async def role(self, chat_id: int, user_id: int) -> Role:
        key = (chat_id, user_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._cache.get(key)
            if cached is not None and self.clock() < cached[1]:
                return cached[0]
            try:
                role, expires = await self._fetch(chat_id, user_id), self.clock() + self.ttl
            except TelegramError as error:
                log.warning("telegram: no role for %s in %s: %s", user_id, chat_id, error)
                role, expires = Role.VIEWER, self.clock() + self.retry
            self._cache[key] = (role, expires)
            self._cache.move_to_end(key)
            while len(self._cache) > self.size:
                old, _ = self._cache.popitem(last=False)
                self._locks.pop(old, None)
            return role


# ---------------------------------------------------------------------------- held links


@dataclass(slots=True)
class _Held:
    """Private text for a user who has not opened the bot yet, and the group prompt for it."""

    token: str
    user: ChatUser
    chat_id: int
    created: float
    texts: list[tuple[str, tuple[Button, ...]]] = field(default_factory=list)
    prompt_id: int | None = None


# ---------------------------------------------------------------------------- the adapter


class TelegramAdapter:
    platform = PLATFORM
    limits = SendLimits(max_length=MAX_LENGTH, messages=30, per_seconds=1.0)

    def __init__(
        self,
        token: str,
        *,
        endpoint: str | None = None,
        owner_ids: Iterable[str] = (),
        webhook: TelegramWebhook | None = None,
        locale: str = "es",
        poll_timeout: float = 10.0,
        role_ttl: float = 120.0,
        hold_ttl: float = 3600.0,
        max_send_attempts: int = 5,
    ) -> None:
        self.token = token
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.owner_ids = frozenset(str(i) for i in owner_ids)
        self.webhook = webhook
        self.locale = locale if locale in TEXTS else "es"
        self.poll_timeout = poll_timeout
        self.hold_ttl = hold_ttl
        self.max_send_attempts = max(1, max_send_attempts)
        self.pacer = Pacer()
        self.roles = RoleCache(self._fetch_role, ttl=role_ttl)
        self.username: str | None = None
        self.webhook_url: str | None = None
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._inbox: Inbox | None = None
        self._runner: web.AppRunner | None = None
        self._opened: set[int] = set()  # users known to have started the bot
        self._closed: set[int] = set()  # users Telegram said we cannot write to
        self._held_by_user: dict[int, _Held] = {}
        self._held_by_token: dict[str, _Held] = {}
        self._button_commands: OrderedDict[str, str] = OrderedDict()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def bot(self) -> Bot:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not started")
        bot: Bot = self._app.bot
        return bot

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        builder = ApplicationBuilder().token(self.token).concurrent_updates(True)
        if self.endpoint is not None:
            builder = builder.base_url(f"{self.endpoint}/bot").base_file_url(
                f"{self.endpoint}/file/bot"
            )
        if self.webhook is not None:
            builder = builder.updater(None)
        app = builder.build()
        app.add_handler(TypeHandler(Update, self._on_update))
        self._app = app
        await app.initialize()
        self.username = app.bot.username
        await self._register_commands()
        await app.start()
        if self.webhook is None:
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
                bootstrap_retries=3,
                error_callback=_polling_trouble,
            )
        else:
            await self._start_webhook(self.webhook)

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _register_commands(self) -> None:
        for language in (None, "es", "en", "pt"):
            commands = [BotCommand(n, d) for n, d in COMMANDS[language or self.locale]]
            try:
                await self.bot.set_my_commands(commands, language_code=language)
            except TelegramError as error:
                log.warning("telegram: setMyCommands (%s) failed: %s", language or "-", error)

    async def _start_webhook(self, hook: TelegramWebhook) -> None:
        app = web.Application()
        app.router.add_post(hook.path, self._on_webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, hook.listen, hook.port).start()
        port = self._runner.addresses[0][1]
        self.webhook_url = hook.url or f"http://{hook.listen}:{port}{hook.path}"
        await self.bot.set_webhook(
            self.webhook_url, secret_token=hook.secret_token, allowed_updates=ALLOWED_UPDATES
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        assert self.webhook is not None and self._app is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook.secret_token.encode()):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self._app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        await self._app.update_queue.put(update)
        return web.Response(status=200)

    # -- incoming ----------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Only new messages and button presses are chat lines: edits, channel posts and
        # the rest must never buy twice.
        try:
            if update.callback_query is not None:
                await self._on_button(update)
            elif update.message is not None:
                await self._on_message(update.message)
        except Exception:
            log.exception("telegram: update %s failed", update.update_id)

    async def _on_message(self, message: Message) -> None:
        user = message.from_user
        if message.text is None or user is None or user.is_bot or message.sender_chat:
            return
        chat = message.chat
        private = chat.type == ChatType.PRIVATE
        text = message.text
        match = _COMMAND.match(text)
        if match is not None:
            name, target = match.group(1), match.group(2)
            if target and self.username and target.lower() != self.username.lower():
                return
            if target:
                text = f"/{name}{text[match.end() :]}"
            if private and name.lower() == "start":
                await self._on_start(user, text[match.end() :].strip(), message)
                return
        if private:
            self._opened.add(user.id)
            self._closed.discard(user.id)
            await self._release(user.id)
        await self._hand_over(message, text)

    async def _on_start(self, user: User, payload: str, message: Message) -> None:
        """The user opened the bot: deliver what waits for them, or show the shop."""
        self._opened.add(user.id)
        self._closed.discard(user.id)
        held = self._held_by_token.get(payload)
        ours = held is not None  # a link this adapter made for held replies
        if held is not None and held.user.id != str(user.id):
            held = None
        released = held is not None or user.id in self._held_by_user
        if released:
            await self._release(user.id)
        # Another deep link's payload (an order's, bots.chat.deep_links) is the bot's to
        # read; a bare /start shows the shop, unless held replies were just delivered.
        if payload and not ours:
            await self._hand_over(message, f"/start {payload}")
        elif not released:
            await self._hand_over(message, "/tienda")

    async def _hand_over(self, message: Message, text: str) -> None:
        assert self._inbox is not None and message.from_user is not None
        chat = message.chat
        await self._inbox(
            ChatMessage(
                platform=PLATFORM,
                id=f"{chat.id}:{message.message_id}",
                channel=str(chat.id),
                author=await self._author(message.from_user, chat),
                text=text,
                sent_at=message.date,
                private=chat.type == ChatType.PRIVATE,
                raw=message,
            )
        )

    async def _on_button(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None and self._inbox is not None
        user = query.from_user
        command = self._command_for(query.data or "")
        chat = query.message.chat if query.message is not None else None
        if command is None or chat is None:
            locale = _base_locale(user.language_code) or self.locale
            await _quietly(query.answer(TEXTS[locale]["stale_button"], show_alert=True))
            return
        await _quietly(query.answer())
        if chat.type == ChatType.PRIVATE:
            self._opened.add(user.id)
        await self._inbox(
            ChatMessage(
                platform=PLATFORM,
                id=f"callback:{query.id}",
                channel=str(chat.id),
                author=await self._author(user, chat),
                text=command,
                private=chat.type == ChatType.PRIVATE,
                raw=query,
            )
        )

    async def _author(self, user: User, chat: Chat) -> ChatUser:
        role = Role.VIEWER
        if str(user.id) in self.owner_ids:
            role = Role.OWNER
        elif chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            role = await self.roles.role(chat.id, user.id)
        return ChatUser(PLATFORM, str(user.id), user.full_name, role, user.language_code)

    async def _fetch_role(self, chat_id: int, user_id: int) -> Role:
        member = await self.bot.get_chat_member(chat_id, user_id)
        if member.status == ChatMemberStatus.OWNER:
            return Role.OWNER
        if member.status == ChatMemberStatus.ADMINISTRATOR:
            return Role.MODERATOR
        return Role.VIEWER

    # -- buttons -------------------------------------------------------------------------

    def _callback_data(self, command: str) -> str:
        """The command itself when it fits Telegram's 64 bytes, else a remembered token."""
        if len(command.encode("utf-8")) <= MAX_CALLBACK_DATA and not command.startswith("~"):
            return command
        token = "~" + secrets.token_urlsafe(12)
        self._button_commands[token] = command
        while len(self._button_commands) > 10_000:
            self._button_commands.popitem(last=False)
        return token

    def _command_for(self, data: str) -> str | None:
        if data.startswith("~"):
            return self._button_commands.get(data)
        return data or None

    def _keyboard(self, buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, callback_data=self._callback_data(b.command))]
                for b in buttons
            ]
        )

    # -- outgoing ----------------------------------------------------------------------

    async def send(self, reply: Reply) -> None:
        chat_id = int(reply.channel)
        mention = reply.mention
        if reply.private and mention is not None and str(chat_id) != mention.id:
            await self._send_privately(reply, mention, chat_id)
            return
        reply_to: int | None = None
        original = reply.reply_to.raw if reply.reply_to is not None else None
        if isinstance(original, Message) and original.chat.id == chat_id:
            reply_to = original.message_id
        await self._deliver(
            chat_id,
            reply.text,
            mention=mention if chat_id < 0 else None,
            reply_to=reply_to,
            markup=self._keyboard(reply.buttons),
        )

    async def _send_privately(self, reply: Reply, user: ChatUser, group_id: int) -> None:
        user_id = int(user.id)
        if user_id not in self._closed:
            try:
                await self._deliver(user_id, reply.text, markup=self._keyboard(reply.buttons))
            except Forbidden:
                self._opened.discard(user_id)
                self._closed.add(user_id)
            else:
                self._opened.add(user_id)
                return
        await self._hold(reply, user, group_id)

    async def _hold(self, reply: Reply, user: ChatUser, group_id: int) -> None:
        now = time.monotonic()
        for stale in [h for h in self._held_by_user.values() if now - h.created > self.hold_ttl]:
            self._drop(stale)
        held = self._held_by_user.get(int(user.id))
        if held is None:
            held = _Held(secrets.token_urlsafe(16), user, group_id, now)
            self._held_by_user[int(user.id)] = held
            self._held_by_token[held.token] = held
        held.texts.append((reply.text, reply.buttons))
        if held.prompt_id is not None:
            return
        words = TEXTS[_base_locale(user.locale) or self.locale]
        link = f"https://t.me/{self.username}?start={held.token}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(words["button"], url=link)]])
        prompt = words["prompt"].format(name=user.name, link=link)
        sent = await self._deliver(group_id, prompt, mention=user, markup=markup)
        held.prompt_id = sent.message_id if sent is not None else None

    async def _release(self, user_id: int) -> None:
        """Deliver what was held for a user who has just opened the bot."""
        held = self._held_by_user.get(user_id)
        if held is None:
            return
        self._drop(held)
        for text, buttons in held.texts:
            await self._deliver(user_id, text, markup=self._keyboard(buttons))
        if held.prompt_id is not None:
            words = TEXTS[_base_locale(held.user.locale) or self.locale]
            done = words["delivered"].format(name=held.user.name)
            chat_id, message_id = held.chat_id, held.prompt_id
            with contextlib.suppress(TelegramError):
                await self._call(
                    chat_id,
                    lambda: self.bot.edit_message_text(
                        done, chat_id=chat_id, message_id=message_id
                    ),
                )

    def _drop(self, held: _Held) -> None:
        self._held_by_user.pop(int(held.user.id), None)
        self._held_by_token.pop(held.token, None)

    async def _deliver(
        self,
        chat_id: int,
        text: str,
        *,
        mention: ChatUser | None = None,
        reply_to: int | None = None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> Message | None:
        """Send `text` (split at 4,096), the buttons under the last piece; the last Message."""
        pieces = split_message(text)
        last: Message | None = None
        for index, piece in enumerate(pieces):
            first, final = index == 0, index == len(pieces) - 1
            entities = _mention_entities(piece, mention) if first else None
            parameters = (
                ReplyParameters(reply_to, allow_sending_without_reply=True)
                if first and reply_to is not None
                else None
            )

            def call(
                piece: str = piece,
                entities: list[MessageEntity] | None = entities,
                parameters: ReplyParameters | None = parameters,
                final: bool = final,
            ) -> Awaitable[Message]:
                return self.bot.send_message(
                    chat_id,
                    piece,
                    entities=entities,
                    reply_parameters=parameters,
                    reply_markup=markup if final else None,
                )

            last = await self._call(chat_id, call)
        return last

    async def _call(self, chat_id: int, make: Callable[[], Awaitable[_T]]) -> _T:
        """One Bot API call to a chat, paced, repeated after 429 once `retry_after` passes."""
        attempt = 0
        while True:
            attempt += 1
            async with self.pacer.slot(chat_id):
                try:
                    return await make()
                except RetryAfter as error:
                    wait = _retry_seconds(error)
                    self.pacer.block(chat_id, wait)
                    if attempt >= self.max_send_attempts:
                        raise
                    log.info("telegram: 429 for chat %s; waiting %.0f s", chat_id, wait)


def _mention_entities(text: str, user: ChatUser | None) -> list[MessageEntity] | None:
    """Make the first occurrence of the user's name a mention, so Telegram notifies them."""
    if user is None or not user.name or not user.id.isdigit():
        return None
    shown = user.name
    at = text.find(shown)
    if at < 0:  # templates neutralise names that hold an @
        shown = neutralize(user.name)
        at = text.find(shown)
    if at < 0:
        return None
    who = User(id=int(user.id), first_name=user.name, is_bot=False)
    return [MessageEntity(MessageEntity.TEXT_MENTION, _utf16(text[:at]), _utf16(shown), user=who)]


def _base_locale(value: str | None) -> str | None:
    if not value:
        return None
    base = value.replace("_", "-").split("-", 1)[0].lower()
    return base if base in TEXTS else None


async def _quietly(call: Awaitable[Any]) -> None:
    try:
        await call
    except TelegramError as error:
        log.info("telegram: answering a button press failed: %s", error)


def _polling_trouble(error: TelegramError) -> None:
    log.warning("telegram: polling failed (%s); retrying", error)

"""The command router: turns chat lines into command calls and every failure into a reply.

Modelled on discord.py's ext.commands and aiogram's Router, but platform-free: a command
is a name, localized aliases, a required role and a handler taking a `Context`. The
router owns everything commands share — prefix and name parsing, per-viewer locale and
cooldowns, role checks, de-duplication and error replies — so handlers stay short and
the bot's loop never sees an exception.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from adapters.base import Button, ChatMessage, ChatUser, Priority, Reply, Role
from bots.chat.claim_words import Claim, ClaimSnapshot, phrases, snapshot
from bots.chat.labels import localize_all
from bots.chat.text import clean, fold
from bots.runtime.events import ClaimWordsChanged, Event, SpotlightChanged
from bots.runtime.services import Services
from commerce import errors
from commerce.errors import CommerceError
from commerce.live_state import ClaimWordsState
from commerce.money import Money
from commerce.views import ProductView, ViewerRef

log = logging.getLogger(__name__)

MAX_INPUT = 500
MAX_QUANTITY = 99
SUPPORTED_LOCALES = ("es", "en", "pt")
_MEMORY = 10_000  # viewers remembered (locale, cooldowns) before the oldest are forgotten
OWNERS_REFRESH = 30.0  # seconds between re-reading claimed owners (another process may add one)

_T = TypeVar("_T")
_K = TypeVar("_K")
_V = TypeVar("_V")

Send = Callable[[Reply], Awaitable[None]]
Handler = Callable[["Context"], Awaitable[None]]
Check = Callable[["Context"], bool]
"""A rule beyond role: False answers `not_allowed` instead of running the command."""


# ---------------------------------------------------------------- errors


class CommandError(Exception):
    """A reason to answer the viewer instead of running the command.

    `key` names the reply template; `params` fill it. Handlers format money and names
    before raising, since only they know the viewer's locale.
    """

    key = "error_generic"
    buttons: tuple[Button, ...] = ()

    def __init__(self, key: str | None = None, **params: object) -> None:
        if key is not None:
            self.key = key
        super().__init__(self.key)
        self.params: dict[str, object] = params

    def with_buttons(self, *buttons: Button) -> CommandError:
        """Offer taps that answer the question; platforms without buttons ignore them."""
        self.buttons = buttons
        return self


class BadArgument(CommandError):
    key = "bad_argument"


class MissingArgument(CommandError):
    key = "missing_argument"


class NotAllowed(CommandError):
    key = "not_allowed"


class OnCooldown(CommandError):
    key = "on_cooldown"


class InputTooLong(CommandError):
    key = "too_long"


def normalize_locale(value: str | None) -> str | None:
    """`pt-BR`, `en_US`, `ES` → a supported base locale, or None."""
    if not value:
        return None
    base = value.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED_LOCALES else None


# ---------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class Command:
    """One command. `names` maps every accepted spelling (folded) to the locale it implies.

    The first name is canonical: it keys the help text (`help_<name>`) and cooldowns.
    A locale of None means the word is shared between languages (`comprar`, `pedido`).
    """

    names: Mapping[str, str | None]
    handler: Handler
    role: Role = Role.VIEWER
    # The cooldown counts each different line on its own: `!comprar taza` then, a second
    # later, `!comprar remera M` is a cart growing, not spam; the same line again still is.
    cooldown_per_line: bool = False
    checks: tuple[Check, ...] = ()
    # A plugin's commands keep their reply templates under its name (`vivo_envios.help_envio`).
    namespace: str | None = None

    @property
    def name(self) -> str:
        return next(iter(self.names))

    def key(self, key: str) -> str:
        """`key` in this command's own templates."""
        return f"{self.namespace}.{key}" if self.namespace else key


class Commands(Protocol):
    """Where a module's `register` adds its commands: the router, or a plugin `Registry`."""

    def add(self, command: Command) -> None: ...


@dataclass(slots=True)
class Context:
    """What a handler sees of one invocation, plus the ways to answer it."""

    message: ChatMessage
    services: Services
    command: Command
    locale: str
    prefix: str
    invoked_with: str
    args: str
    role: Role
    router: Router
    _send: Send
    product_names: dict[str, str] = field(default_factory=dict)  # sku -> name, for errors

    @property
    def author(self) -> ChatUser:
        return self.message.author

    @property
    def viewer(self) -> ViewerRef:
        author = self.message.author
        return ViewerRef(platform=author.platform, user_id=author.id, display_name=author.name)

    def t(self, key: str, **params: object) -> str:
        messages = self.services.messages
        return messages.t(self.locale, key, **localize_all(params, messages, self.locale))

    def example(self, item: object = None) -> str:
        """How the command that was typed is used, in the viewer's language.

        Error replies end with it, so `!stock remera 100` is answered with a `!stock`
        example, not a `!comprar` one. `item` is what the error was about (`remera M`).
        """
        key = self.command.key(f"example_{self.command.name}")
        if not self.services.messages.has(key):
            key = "example_ayuda"
        shown = item if item is not None else self.t("example_item")
        return self.t(key, p=self.prefix, item=shown)

    async def send(self, reply: Reply) -> None:
        await self._send(reply)

    async def reply(self, key: str, /, **params: object) -> None:
        """Answer the author in chat with the localized template `key`."""
        await self.respond(key, params)

    async def respond(
        self,
        key: str,
        params: Mapping[str, object],
        *,
        private: bool = False,
        priority: Priority = Priority.REPLY,
        buttons: tuple[Button, ...] = (),
        receipt: str | None = None,
    ) -> None:
        """Answer the author with `key`, privately and/or ahead of other replies if asked.

        `receipt` comes back to the bot once the platform's adapter took the reply."""
        messages, locale = self.services.messages, self.locale
        if not messages.has(key):
            log.warning("no reply template %r; answering generically", key)
            key = "error_generic"
        # What `t` does, choosing the template once for the `{example}` check and the text.
        filled = localize_all({"p": self.prefix, **params}, messages, locale)
        template = messages.template(locale, key, filled)
        if "example" not in params and "{example}" in template:
            filled["example"] = self.example(params.get("item"))
        text = messages.fill(template, key, locale, filled)
        await self._send(
            Reply(
                channel=self.message.channel,
                text=text,
                mention=self.message.author,
                private=private,
                priority=priority,
                reply_to=self.message,
                buttons=buttons,
                receipt=receipt,
            )
        )

    async def publish(self, event: Event) -> None:
        """Tell the rest of the bot (the overlay, say) what this command changed."""
        if self.services.bus is not None:
            await self.services.bus.publish(event)

    async def run(self, func: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        """Call a sync Store method off the event loop."""
        return await asyncio.to_thread(func, *args, **kwargs)


class _Bounded(Generic[_K, _V]):
    """A dict that forgets its least recently used keys: per-viewer memory for long streams."""

    def __init__(self, limit: int = _MEMORY) -> None:
        self._data: OrderedDict[_K, _V] = OrderedDict()
        self._limit = limit

    def get(self, key: _K) -> _V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def __setitem__(self, key: _K, value: _V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self._limit:
            self._data.popitem(last=False)


class Gate(enum.Enum):
    OPEN = "open"
    WARN = "warn"  # on cooldown: say so, once per window
    SILENT = "silent"  # on cooldown and already told


@dataclass(slots=True)
class _Window:
    until: float
    text: str = ""
    warned: bool = False
    forgiven: bool = False


@dataclass(slots=True)
class Cooldowns:
    """Per viewer and command: one run per window, one warning per window, then silence.

    A run that only earned an error reply is forgiven: the viewer's corrected retry (or
    their tap on a button the error offered) goes through at once; the very same line
    repeated is still spam.
    """

    seconds: float
    clock: Callable[[], float]
    _windows: _Bounded[tuple[str, str, str], _Window] = field(default_factory=_Bounded)

    def check(self, key: tuple[str, str, str], text: str = "") -> tuple[Gate, float]:
        now = self.clock()
        window = self._windows.get(key)
        retry = window is not None and window.forgiven and text != window.text
        if window is not None and now < window.until and not retry:
            if window.warned:
                return Gate.SILENT, window.until - now
            window.warned = True
            return Gate.WARN, window.until - now
        self._windows[key] = _Window(until=now + self.seconds, text=text)
        return Gate.OPEN, 0.0

    def forgive(self, key: tuple[str, str, str]) -> None:
        window = self._windows.get(key)
        if window is not None:
            window.forgiven = True


# ---------------------------------------------------------------- the router


class Router:
    """Dispatches chat lines to commands. `handle` never raises."""

    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], float] = time.monotonic,
        default_commands: bool = True,
    ) -> None:
        self.services = services
        self._commands: dict[str, Command] = {}
        self._locales: _Bounded[tuple[str, str], str] = _Bounded()
        self.cooldowns = Cooldowns(services.settings.cooldown_seconds, clock)
        self._clock = clock
        self._claimed: frozenset[tuple[str, str]] = frozenset()
        self._claimed_read: float | None = None
        prefixes = {services.settings.prefix or "!", "/"}
        self._prefixes = tuple(sorted(prefixes, key=len, reverse=True))
        # A private line without a prefix that answers a question we asked (`/entrega`):
        # the command that asked it takes the line (see `answers`).
        self.answer_command: Command | None = None
        self.on_answer: Handler | None = None
        # Claim words (bots.chat.claim_words): None while off or with nothing spotlighted,
        # the only thing an ordinary line looks at then.
        self._claim: ClaimSnapshot | None = None
        self._spotlight: ProductView | None = None
        self.claim_state = ClaimWordsState()
        self.claim_phrases = phrases(services.claim_words.words)
        self._claimed_at: _Bounded[tuple[str, str, str], float] = _Bounded()
        self._last_probe: tuple[ChatMessage, ClaimSnapshot, Claim | None] | None = None
        self._reading: asyncio.Future[list[ProductView]] | None = None
        if default_commands:
            from bots.commands import register_all  # commands import this module

            register_all(self)

    # -- registration and lookup

    def add(self, command: Command) -> None:
        for name in command.names:
            key = fold(name)
            if key in self._commands:
                raise ValueError(f"command name {name!r} is already taken")
            self._commands[key] = command

    def get(self, name: str) -> Command | None:
        return self._commands.get(fold(name))

    @property
    def commands(self) -> list[Command]:
        """Registered commands, each once, in registration order."""
        unique = {id(command): command for command in self._commands.values()}
        return list(unique.values())  # by identity: a Command's names dict is unhashable

    # -- locale

    def locale_for(self, user: ChatUser) -> str:
        """The viewer's language: what they last used, their platform's, or the store's."""
        return (
            self._locales.get((user.platform, user.id))
            or normalize_locale(user.locale)
            or normalize_locale(self.services.settings.locale)
            or "es"
        )

    def _choose_locale(self, user: ChatUser, hint: str | None) -> str:
        if hint is not None:
            self._locales[(user.platform, user.id)] = hint
            return hint
        return self.locale_for(user)

    def effective_role(self, user: ChatUser) -> Role:
        """Owner by `[bot.owners]` or by a claim recorded in the store; else the platform's."""
        owners = self.services.settings.owner_ids.get(user.platform, frozenset())
        if user.id in owners or (user.platform, user.id) in self._claimed:
            return Role.OWNER
        return user.role

    def add_owner(self, platform: str, user_id: str) -> None:
        """Honour a claim at once (the store has it; the next refresh would find it too)."""
        self._claimed = self._claimed | {(platform, user_id)}

    async def _refresh_owners(self) -> None:
        now = self._clock()
        if self._claimed_read is not None and now - self._claimed_read < OWNERS_REFRESH:
            return
        self._claimed_read = now
        try:
            owners = await asyncio.to_thread(self.services.store.list_owners)
        except Exception:
            log.exception("could not read the store's owners; keeping the ones known")
            return
        self._claimed = frozenset((o.platform, o.user_id) for o in owners)

    async def read_catalog(self) -> list[ProductView]:
        """Every product (inactive too) read afresh, one reading shared by the commands that
        ask while it is under way: when the last reading grows too old in a flash sale,
        every `!comprar` in flight finds it so at once, and each reading its own would queue
        dozens of them on the Store's connection."""
        reading = self._reading
        if reading is None or reading.done():
            store = self.services.store
            reading = asyncio.ensure_future(
                asyncio.to_thread(store.list_products, include_inactive=True)
            )
            self._reading = reading
        return await asyncio.shield(reading)

    # -- claim words (bots.chat.claim_words; the state is the store's, commerce.live_state)

    @property
    def spotlight(self) -> ProductView | None:
        return self._spotlight

    def set_spotlight(self, product: ProductView | None) -> None:
        self._spotlight = product
        self._rebuild_claim()

    def set_claim_words(self, state: ClaimWordsState) -> None:
        self.claim_state = state
        self._rebuild_claim()

    def _rebuild_claim(self) -> None:
        state, words = self.claim_state, self.services.claim_words
        self._claim = snapshot(
            state.enabled, self._spotlight, self.claim_phrases, words.sizes, state.until
        )

    async def load_live_state(self) -> None:
        """Read the spotlight and claim words from the store (at start: another process
        may have set them); the events keep them current from then on."""
        store = self.services.store
        try:
            sku = await asyncio.to_thread(store.spotlight)
            product = None if sku is None else await asyncio.to_thread(store.get_product, sku)
            state = await asyncio.to_thread(store.claim_words)
        except CommerceError:
            product, state = None, await asyncio.to_thread(store.claim_words)
        self._spotlight = product
        self.set_claim_words(state)

    async def on_event(self, event: Event) -> None:
        """The bus's listener (every process): the spotlight and claim words follow."""
        if isinstance(event, SpotlightChanged):
            self.set_spotlight(event.product)
        elif isinstance(event, ClaimWordsChanged):
            self.set_claim_words(ClaimWordsState(event.enabled, event.until))

    def _probe(self, message: ChatMessage) -> Claim | None:
        """`claim_in`, remembered for the message the runtime asks about and then hands
        over (`is_command`, then `handle`): each line is folded once."""
        claim = self._claim
        if claim is None:
            return None
        last = self._last_probe
        if last is not None and last[0] is message and last[1] is claim:
            return last[2]
        found = claim.match(message.text)
        self._last_probe = (message, claim, found)
        return found

    def claim_in(self, message: ChatMessage) -> Claim | None:
        """The claim `message` makes, if claim words are on and it is one."""
        claim = self._claim
        return None if claim is None else claim.match(message.text)

    async def _claim_purchase(self, message: ChatMessage, claim: Claim, send: Send) -> None:
        """`!comprar <sku> [variant]` for a claim word, unless it repeats the viewer's
        claim of the same product within `repeat_seconds`, claim words ran out, or the
        store is closed: then nothing at all is said (no reply spam)."""
        snap = self._claim
        if snap is not None and snap.until is not None and datetime.now(UTC) >= snap.until:
            self.set_claim_words(ClaimWordsState())  # the stream is over
            return
        key = (message.author.platform, message.author.id, claim.sku)
        now = self._clock()
        last = self._claimed_at.get(key)
        if last is not None and now - last < self.services.claim_words.repeat_seconds:
            return
        if not await asyncio.to_thread(self.services.store.is_open):
            return
        self._claimed_at[key] = now
        command = self.get("comprar")
        if command is None:
            return
        prefix = self.services.settings.prefix or "!"
        await self._run(message, send, command, prefix, "comprar", claim.args, claim.locale)

    # -- dispatch

    def _split(self, text: str) -> tuple[str, str, str] | None:
        """(prefix, command word, rest) for a command-looking line, else None."""
        stripped = text.lstrip()
        for prefix in self._prefixes:
            if stripped.startswith(prefix):
                break
        else:
            return None
        body = stripped[len(prefix) :]
        head, _, rest = body.partition(" ")
        name = head.split("@", 1)[0]
        if not name:
            return None
        return prefix, name, rest

    def is_command(self, message: ChatMessage) -> bool:
        """Whether `message` names one of our commands: the prefix check, then the name.

        The runtime claims only these, so chatter leaves no trace in the store.
        """
        text = message.text
        if not text.lstrip().startswith(self._prefixes):
            return self.answers(message) or (
                self._claim is not None and self._probe(message) is not None
            )
        parts = self._split(clean(text[:64] if len(text) > MAX_INPUT else text))
        if parts is None:
            return False
        word = parts[1][:32] if len(text) > MAX_INPUT else parts[1]
        return self.get(word) is not None

    async def handle(self, message: ChatMessage, send: Send) -> bool:
        """Run the command in `message`, if it is one of ours. True when it was.

        Anything but a command costs one prefix check. Errors become replies; nothing
        raised by a handler or by `send` escapes. De-duplication by message id is the
        caller's (the runtime claims each message before handing it over).
        """
        text = message.text
        if not text.lstrip().startswith(self._prefixes):
            if self.answers(message):
                try:
                    await self._answer(message, send)
                except Exception:
                    log.exception("an answer and its error reply failed")
                return True
            if self._claim is None:  # claim words off: the whole cost of chatter
                return False
            claim = self._probe(message)
            if claim is None:
                return False
            try:
                await self._claim_purchase(message, claim, send)
            except Exception:
                log.exception("a claim word's purchase failed: %r", text[:40])
            return True
        try:
            return await self._dispatch(message, send)
        except Exception:
            log.exception("command failed and so did its error reply: %r", message.text[:80])
            return True

    async def _dispatch(self, message: ChatMessage, send: Send) -> bool:
        too_long = len(message.text) > MAX_INPUT
        # A long line is only looked at far enough to know whether it was meant for us.
        parts = self._split(clean(message.text[:64] if too_long else message.text))
        if parts is None:
            return False
        prefix, word, rest = parts
        if too_long:
            word = word[:32]
        command = self.get(word)
        if command is None:
            return False
        args = "" if too_long else rest.strip()
        hint = command.names.get(fold(word))
        await self._run(message, send, command, prefix, word, args, hint, too_long=too_long)
        return True

    async def _run(
        self,
        message: ChatMessage,
        send: Send,
        command: Command,
        prefix: str,
        word: str,
        args: str,
        hint: str | None,
        *,
        too_long: bool = False,
    ) -> None:
        """Run `command` as invoked with `word`: checks, cooldowns, errors as replies."""
        services = self.services
        locale = self._choose_locale(message.author, hint)
        await self._refresh_owners()
        role = self.effective_role(message.author)
        ctx = Context(
            message=message,
            services=services,
            command=command,
            locale=locale,
            prefix=prefix,
            invoked_with=word,
            args=args,
            role=role,
            router=self,
            _send=send,
        )
        started = time.perf_counter()
        outcome = "ok"
        try:
            self._check(ctx)
            if too_long:
                raise InputTooLong(limit=MAX_INPUT)
            await command.handler(ctx)
        except _Silenced:
            outcome = "cooldown"
        except (OnCooldown, NotAllowed) as error:
            outcome = _outcome(error)
            await ctx.respond(error.key, error.params)
        except CommandError as error:
            outcome = _outcome(error)
            self._forgive(ctx)
            await ctx.respond(error.key, error.params, buttons=error.buttons)
        except CommerceError as error:
            outcome = error.code
            self._forgive(ctx)
            key, params = describe_commerce_error(error, ctx)
            await ctx.reply(key, **params)
        except Exception:
            outcome = "crashed"
            log.exception(
                "command %s crashed on %r",
                command.name,
                message.text[:200],
                extra={"platform": message.platform, "message_id": message.id},
            )
            await ctx.reply("unexpected_error")
        finally:
            metrics = services.metrics
            if metrics is not None:
                elapsed = time.perf_counter() - started
                metrics.command(command.name, message.platform, outcome, elapsed)

    def answers(self, message: ChatMessage) -> bool:
        """Whether `message` (no prefix) answers a question a command asked privately."""
        conversations = self.services.conversations
        return (
            self.on_answer is not None
            and conversations is not None
            and conversations.wants(message)
        )

    async def _answer(self, message: ChatMessage, send: Send) -> None:
        assert self.on_answer is not None and self.answer_command is not None
        ctx = Context(
            message=message,
            services=self.services,
            command=self.answer_command,
            locale=self.locale_for(message.author),
            prefix=self.services.settings.prefix or "!",
            invoked_with="",
            args=clean(message.text[:MAX_INPUT]).strip(),
            role=self.effective_role(message.author),
            router=self,
            _send=send,
        )
        try:
            await self.on_answer(ctx)
        except CommandError as error:
            await ctx.respond(error.key, error.params, buttons=error.buttons)
        except CommerceError as error:
            key, params = describe_commerce_error(error, ctx)
            await ctx.reply(key, **params)
        except Exception:
            log.exception("an answer to %s crashed", self.answer_command.name)
            await ctx.reply("unexpected_error")

    def _cooldown_key(self, ctx: Context) -> tuple[str, str, str]:
        name = ctx.command.name
        if ctx.command.cooldown_per_line:
            name = f"{name} {' '.join(ctx.args.casefold().split())}"
        return (ctx.author.platform, ctx.author.id, name)

    def _forgive(self, ctx: Context) -> None:
        self.cooldowns.forgive(self._cooldown_key(ctx))

    def _check(self, ctx: Context) -> None:
        if ctx.role < Role.MODERATOR:
            gate, retry_after = self.cooldowns.check(self._cooldown_key(ctx), ctx.args.casefold())
            if gate is Gate.SILENT:
                raise _Silenced
            if gate is Gate.WARN:
                raise OnCooldown(seconds=max(1, math.ceil(retry_after)))
        if ctx.role < ctx.command.role or not all(check(ctx) for check in ctx.command.checks):
            raise NotAllowed(command=ctx.command.name)


def _outcome(error: CommandError) -> str:
    """The kind of refusal, for `/metrics`: the error's class, not its template (a
    `BadArgument` may use any of a dozen templates)."""
    kind = type(error).key
    return "cooldown" if kind == "on_cooldown" else kind


class _Silenced(Exception):
    """Spam inside a cooldown window that was already warned: no reply at all."""


def describe_commerce_error(error: CommerceError, ctx: Context) -> tuple[str, dict[str, object]]:
    """The reply template and its parameters for a Store refusal."""

    def name(sku: str) -> str:
        return ctx.product_names.get(sku, sku)

    params: dict[str, object] = {}
    key = f"error_{error.code}"
    match error:
        case errors.OutOfStock():
            params = {"product": name(error.sku), "requested": error.requested}
            params["available"] = error.available
            if error.available <= 0:
                key = "error_sold_out"
        case errors.LimitExceeded():
            params = {"product": name(error.sku), "limit": error.limit, "already": error.already}
            if error.already <= 0:
                key = "error_limit_per_viewer"
        case errors.VariantRequired() | errors.VariantNotFound():
            options = ", ".join(variant_label(option) for option in error.options)
            first = variant_label(error.options[0]) if error.options else ""
            item = f"{name(error.sku).lower()} {first}".strip()
            params = {"product": name(error.sku), "options": options, "item": item}
            key = "error_variant_required"
        case errors.ProductNotFound():
            params = {"query": error.query}
        case errors.ProductInactive():
            params = {"product": name(error.sku)}
        case errors.OrderNotFound():
            params = {"code": error.order_code}
        case errors.InvalidQuantity():
            key, params = "bad_quantity", {"max": MAX_QUANTITY}
        case errors.InvalidAmount():
            key = f"amount_{error.reason}" if error.reason else "amount_not_a_number"
            params = {"text": error.text}
        case errors.StockBelowCommitted():
            params = {"product": name(error.sku), "committed": error.committed}
        case errors.InvalidTransition():
            params = {"status": ctx.t(f"status_{error.current}")}
        case errors.InvalidDeliveryDetails():
            params = {"field": ctx.t(f"delivery_field_{error.field}")}
        case errors.CouponInvalid():  # commerce.coupons: the reason is the reply
            key, params = promo_reply("coupon", error.reason, ctx), {"coupon": error.coupon}
            if isinstance(error.minimum, Money):
                params["minimum"] = ctx.services.messages.money(error.minimum, ctx.locale)
        case errors.CouponExists():
            params = {"coupon": error.coupon}
        case errors.FlashSaleInvalid():
            key, params = promo_reply("flash", error.reason, ctx), {"product": name(error.sku)}
    return key, params


def promo_reply(kind: str, reason: str, ctx: Context) -> str:
    """`coupon_expired`, `flash_invalid_percent`…: the reply for a promotion's refusal, or
    its generic one for a reason without its own words."""
    key = f"coupon_{reason}" if kind == "coupon" else f"flash_invalid_{reason}"
    return key if ctx.services.messages.has(key) else f"error_{kind}_invalid"


def variant_label(key: str | None) -> str:
    """`color=negro,talle=M` → `negro M`: how a variant reads in chat."""
    if not key:
        return ""
    return " ".join(part.partition("=")[2] or part for part in key.split(","))

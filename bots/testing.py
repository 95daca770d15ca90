"""The whole bot on the sandbox, for end-to-end tests: one rig instead of one per test file.

An end-to-end test wants what `vivo demo` runs — the example config, a fresh SQLite store,
the real MercadoPago provider pointed at the sandbox's stand-in, real adapters pointed at
their platform stand-ins, the bot's web app receiving the stand-in's webhooks — and then
two verbs: wait until something has happened, and pay an order. `open_stage` builds that,
`Stage.pay` and `until` are the verbs. Nothing here is imported by the running bot; it
ships so that tests and outside checks drive Vivo exactly the way its own suite does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from adapters.base import (
    Adapter,
    ChatMessage,
    ChatUser,
    Inbox,
    PlatformTip,
    Reply,
    Role,
    SendLimits,
)
from bots.config import Config
from bots.plugin import Plugin
from bots.runtime.bot import Bot
from bots.runtime.demo import EXAMPLE, new_sandbox, sandbox_config
from bots.runtime.launch import make_provider, open_store
from bots.runtime.plugins import Loaded, registered
from commerce.store import Store
from sandbox.app import Sandbox, StandIn

T = TypeVar("T")

DEADLINE = 20.0  # seconds; bounds a hung test, never what a passing test waits for
POLL = 0.02

AdapterFactory = Callable[
    [Config, Store, Sandbox], Sequence[Adapter] | Awaitable[Sequence[Adapter]]
]
"""Builds the adapters once the sandbox runs and the store is open.

It gets the config, the store and the sandbox (the argument order of
`bots.runtime.demo.sandbox_adapters`, which fits as it is) because adapters need the stand-ins' URLs
and credentials, and some a locale or the store. It may be async, for adapters whose
credentials come from a stand-in's control API (Twitch tokens, as a person would mint them).
"""


async def until(condition: Callable[[], T], timeout: float = DEADLINE) -> T:
    """The condition's first truthy value, checked every few milliseconds.

    Chat replies, webhooks and thanks all arrive asynchronously; polling for the outcome keeps
    tests free of sleeps. The timeout only turns a hang into a failure with a message.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        if loop.time() > deadline:
            raise AssertionError(f"condition still false after {timeout:g}s")
        await asyncio.sleep(POLL)
    return value


async def pay(
    sandbox: Sandbox, code: str | None = None, status: str = "approved", **extra: Any
) -> dict[str, Any]:
    """Pay an order in the MercadoPago stand-in, as the buyer on its checkout would.

    `code` is the order's external reference; pass `preference_id=...` instead when the test
    only holds the payment link. `extra` goes into the control API's body (`amount`,
    `currency`, ...). Returns the payment the stand-in created; the webhook follows on its own.
    """
    body: dict[str, Any] = {"status": status, **extra}
    if code is not None:
        body["external_reference"] = code
    url = f"{sandbox.url}/_sandbox/mercadopago/pay"
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        if response.status >= 300:
            raise AssertionError(f"sandbox refused to pay: {await response.text()}")
        payment: dict[str, Any] = await response.json()
        return payment


@dataclass
class Stage:
    """A running bot on a running sandbox; `open_stage` makes one and takes it down."""

    sandbox: Sandbox
    bot: Bot
    store: Store
    config: Config
    web_url: str  # the bot's web app: webhooks, overlay, short links

    async def pay(
        self, code: str | None = None, status: str = "approved", **extra: Any
    ) -> dict[str, Any]:
        """See `pay`."""
        return await pay(self.sandbox, code, status, **extra)


class RecordingAdapter:
    """A chat platform that only records what the bot says, for tests of the bot itself.

    `say` speaks as a viewer through the same inbox a real adapter uses; `sent` is every
    reply the outbox delivered, in order.
    """

    limits = SendLimits(max_length=500, messages=1000, per_seconds=1.0)

    def __init__(self, platform: str = "rec", channel: str = "chan") -> None:
        self.platform = platform
        self.channel = channel
        self.sent: list[Reply] = []
        self._inbox: Inbox | None = None
        self._ids = itertools.count(1)

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def send(self, reply: Reply) -> None:
        self.sent.append(reply)

    async def stop(self) -> None:
        self._inbox = None

    async def say(
        self, user: str, text: str, *, role: Role = Role.VIEWER, message_id: str | None = None
    ) -> None:
        """One chat line from `user`; a repeated `message_id` is a platform redelivery."""
        if self._inbox is None:
            raise RuntimeError("the bot has not started this adapter")
        author = ChatUser(self.platform, user, user, role)
        msg_id = message_id or f"m{next(self._ids)}"
        await self._inbox(ChatMessage(self.platform, msg_id, self.channel, author, text))

    async def tip(
        self,
        user: str,
        amount: Decimal,
        currency: str,
        message: str,
        tip_id: str,
        source: str = "bits",
    ) -> None:
        """Money through the platform itself (Bits, a Super Chat)."""
        if self._inbox is None:
            raise RuntimeError("the bot has not started this adapter")
        author = ChatUser(self.platform, user, user)
        await self._inbox(
            PlatformTip(
                self.platform, tip_id, self.channel, author, amount, currency, message, source
            )
        )

    def to(self, user: str) -> list[Reply]:
        """What was said to `user`, in order."""
        return [r for r in self.sent if r.mention is not None and r.mention.id == user]


def replace_stand_in(sandbox: Sandbox, stand_in: StandIn) -> None:
    """Put `stand_in` where the sandbox's own one of the same name was (before it starts).

    For a test that needs a platform configured otherwise than the sandbox's defaults, e.g.
    YouTube with a short polling interval and a required access token.
    """
    for i, current in enumerate(sandbox.stand_ins):
        if current.name == stand_in.name:
            sandbox.stand_ins[i] = stand_in
            setattr(sandbox, stand_in.name, stand_in)
            return
    raise ValueError(f"the sandbox has no {stand_in.name!r} stand-in to replace")


@asynccontextmanager
async def open_stage(
    workdir: Path,
    adapters: AdapterFactory,
    *,
    stand_ins: Sequence[StandIn] = (),
    config_path: Path = EXAMPLE,
    plugins: Sequence[tuple[Plugin[Any], object]] = (),
    listener_timeout: float | None = None,
    payment_provider: str | None = None,
    **bot_options: Any,
) -> AsyncIterator[Stage]:
    """Start the sandbox and the whole bot on it; stop both (and close the store) on exit.

    `plugins` are (plugin, its settings) pairs added to those the config enables, for a
    plugin's own tests before it is installed; `listener_timeout` overrides
    `[plugins] listener_timeout_seconds`; `payment_provider` picks a provider by name, as
    `[payments] provider` does (one a plugin in `plugins` registers, say: its webhook is
    then `<web_url>/webhooks/<name>`).

    `stand_ins` replace the sandbox's default ones by name. `bot_options` go to `Bot`; by
    default the web app takes a free port and payments are also polled, as in `vivo demo`.
    The stand-in's webhooks point at the bot's web app before any adapter starts, so no
    payment can happen before the bot can hear of it.
    """
    bot_options.setdefault("web_port", 0)
    bot_options.setdefault("poll_payments", True)
    async with AsyncExitStack() as stack:
        sandbox = new_sandbox()
        for stand_in in stand_ins:
            replace_stand_in(sandbox, stand_in)
        await sandbox.start()
        stack.push_async_callback(sandbox.stop)
        config = sandbox_config(workdir, sandbox, config_path)
        extra = tuple(Loaded(p, registered(p, settings)) for p, settings in plugins)
        config = dataclasses.replace(
            config,
            plugins=(*config.plugins, *extra),
            listener_timeout=listener_timeout or config.listener_timeout,
            payment_provider=payment_provider or config.payment_provider,
        )
        store = open_store(config)
        stack.callback(store.close)
        chats = adapters(config, store, sandbox)
        if not isinstance(chats, Sequence):
            chats = await chats
        bot = Bot(config, store, make_provider(config), chats, **bot_options)
        stack.push_async_callback(bot.stop)
        endpoints = await bot.start_services()
        sandbox.mercadopago.webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
        await bot.start_adapters()
        yield Stage(sandbox, bot, store, config, endpoints.web_url)

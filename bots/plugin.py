"""Vivo's public API: every name a plugin imports, and nothing else.

A plugin is an installed package whose entry point (group `vivo.plugins`) names a `Plugin`.
Its `register` gets a `Registry` and adds commands, event listeners, chat adapters and
payment providers to it, the same way the built-in parts add theirs (`bots.commands`,
`bots.runtime.launch`). Names imported from anywhere else in Vivo may change; these do
not without a major release (`tests/bots/test_plugin_api.py` keeps the list).
docs/framework.md shows each one in use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from adapters.base import (
    Adapter,
    Button,
    ChatMessage,
    ChatUser,
    Inbox,
    PlatformTip,
    Priority,
    Reply,
    Role,
    SendLimits,
)
from bots.chat.converters import parse_quantity
from bots.chat.router import (
    BadArgument,
    Check,
    Command,
    CommandError,
    Context,
    MissingArgument,
    NotAllowed,
)
from bots.runtime.events import (
    Event,
    OrderExpired,
    OrderPaid,
    OrderRefunded,
    OrderReserved,
    StockChanged,
    TipReceived,
)
from commerce.money import Money
from commerce.payments.base import (
    InvalidSignature,
    LinkRequest,
    Notification,
    PaymentLink,
    PaymentProvider,
    ProviderRejected,
    ProviderUnavailable,
)
from commerce.views import OrderView, PaymentReport, ProductView, TipView

if TYPE_CHECKING:
    from bots.config import Config
    from commerce.store import Store

__all__ = [
    "Adapter",
    "AdapterFactory",
    "BadArgument",
    "Button",
    "ChatMessage",
    "ChatUser",
    "Check",
    "Command",
    "CommandError",
    "Context",
    "Event",
    "Inbox",
    "InvalidSignature",
    "LinkRequest",
    "Listener",
    "MissingArgument",
    "Money",
    "NotAllowed",
    "Notification",
    "OrderExpired",
    "OrderPaid",
    "OrderRefunded",
    "OrderReserved",
    "OrderView",
    "PaymentLink",
    "PaymentProvider",
    "PaymentReport",
    "PlatformTip",
    "Plugin",
    "Priority",
    "ProductView",
    "ProviderFactory",
    "ProviderRejected",
    "ProviderUnavailable",
    "Registry",
    "Reply",
    "Role",
    "SendLimits",
    "StockChanged",
    "TipReceived",
    "TipView",
    "parse_quantity",
]

S = TypeVar("S")

Listener = Callable[[Any], Awaitable[None]]
"""An async function of one event; it runs after the store's transaction, on its own."""

AdapterFactory = Callable[["Config", Mapping[str, Any], "Store | None", "str | None"], Adapter]
"""(config, its `[platforms.<name>]` table, the store, the sandbox URL in `vivo demo`)."""

ProviderFactory = Callable[["Config"], PaymentProvider]
"""Builds the provider `[payments] provider = "<name>"` picks."""


@dataclass(frozen=True, slots=True)
class Plugin(Generic[S]):
    """What an entry point in group `vivo.plugins` names.

    `settings` is a dataclass: `[plugins.<name>]` is read into it by its fields' types
    (str, int, float, bool, Decimal, list[str], dict[str, <one of those>], `X | None`);
    a field without a default is required; `field(metadata={"example": "..."})` is shown
    as the fix when the value is wrong. `locales` is a folder with es.toml, en.toml and
    pt.toml, merged under the plugin's name (`<name>.<key>`).
    """

    name: str
    register: Callable[[Registry[S]], None]
    settings: type[S] | None = None
    locales: Path | None = None
    description: str = ""


@dataclass(eq=False)
class Registry(Generic[S]):
    """What a plugin (or a built-in part) adds, collected at start-up.

    Read `settings` inside handlers and listeners, not in `register`: `vivo plugins list`
    registers plugins without reading the config.
    """

    namespace: str
    _settings: S | None = None
    commands: list[Command] = field(default_factory=list)
    listeners: list[tuple[tuple[type[Any], ...], Listener]] = field(default_factory=list)
    adapters: dict[str, AdapterFactory] = field(default_factory=dict)
    providers: dict[str, ProviderFactory] = field(default_factory=dict)

    @property
    def settings(self) -> S:
        if self._settings is None:
            raise RuntimeError(f"[plugins.{self.namespace}] has not been read")
        return self._settings

    def add(self, command: Command) -> None:
        """A chat command; its reply keys are the plugin's own (`<namespace>.<key>`)."""
        self.commands.append(dataclasses.replace(command, namespace=self.namespace or None))

    def listen(self, listener: Listener, *events: type[Any]) -> None:
        """Call `listener` for each of `events` (every event when none are named)."""
        self.listeners.append((events, listener))

    def adapter(self, platform: str, factory: AdapterFactory) -> None:
        """A chat platform, enabled by `[platforms.<platform>] enabled = true`."""
        self.adapters[platform] = factory

    def provider(self, name: str, factory: ProviderFactory) -> None:
        """A payment provider, chosen by `[payments] provider = "<name>"`."""
        self.providers[name] = factory

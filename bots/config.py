"""Reading and validating config.toml into typed settings.

Every problem is reported with the key it is about and how to fix it, all at once, so an
owner fixes their file in one pass instead of one error per run. Every table's keys are
known, so a misspelled one (`reservaton_minutes`, a product's `stok`) is named with the key
it probably meant instead of being silently ignored. Secret values are never quoted back:
a message about `access_token` says what kind of value it got, not the value.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bots.chat.i18n import flatten, load_catalog, plural_keys
from bots.runtime.plugins import LISTENER_TIMEOUT, Loaded
from bots.runtime.plugins import templates as plugin_templates
from bots.runtime.services import CLAIM_WORDS, AuctionSettings, ClaimWordsSettings, Settings
from commerce.coupons import CouponSpec
from commerce.delivery import METHODS as DELIVERY_METHODS
from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.money import EXPONENTS
from commerce.views import ProductSpec, VariantSpec

LOCALES = ("es", "en", "pt")
PLATFORMS = ("console", "twitch", "youtube", "discord", "telegram")

#: The keys each table may hold; anything else is a typo or a key from another table.
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "": (
        "store",
        "bot",
        "web",
        "payments",
        "platforms",
        "products",
        "messages",
        "panel",
        "delivery",
        "webhooks",
        "plugins",
        "alerts",
        "metrics",
        "logging",
        "coupons",
        "auctions",
        "claim_words",
    ),
    "claim_words": ("es", "en", "pt", "sizes", "repeat_seconds", "hours"),
    "auctions": (
        "min_increment",
        "extend_seconds",
        "pay_minutes",
        "announce_seconds",
        "max_minutes",
    ),
    "metrics": ("token",),
    "logging": ("format",),
    "delivery": (
        "shipping",
        "pickup",
        "keep_personal_data_days",
        "combine_minutes",
        "ask_in_chat",
        "contact",
    ),
    "alerts": (
        "paid",
        "tip",
        "refund_needed",
        "missing_details",
        "missing_details_hours",
        "digest",
        "digest_minutes",
    ),
    "panel": ("link_minutes", "session_days", "low_stock", "stream_gap_minutes", "timezone"),
    "store": (
        "name",
        "currency",
        "locale",
        "reservation_minutes",
        "remind_before_minutes",
        "database_url",
    ),
    "bot": ("prefix", "cooldown_seconds", "tip_min", "tip_max", "owners"),
    "web": ("host", "port", "public_url", "trusted_proxies"),
    "payments": ("provider", "mercadopago"),
    "payments.mercadopago": (
        "access_token",
        "webhook_secret",
        "signature_tolerance_seconds",
        "endpoint",
    ),
    "platforms": PLATFORMS,
}
#: What each adapter reads (bots/runtime/launch.py); `endpoint` points it at the sandbox.
PLATFORM_KEYS: dict[str, tuple[str, ...]] = {
    "console": ("enabled",),
    "twitch": (
        "enabled",
        "channel",
        "client_id",
        "client_secret",
        "tokens",
        "bits_currency",
        "bits_rate",
        "endpoint",
    ),
    "youtube": ("enabled", "video_id", "stream_hours", "daily_budget", "token_file", "endpoint"),
    "discord": ("enabled", "token", "moderator_roles", "endpoint"),
    "telegram": (
        "enabled",
        "token",
        "webhook_url",
        "webhook_secret",
        "webhook_port",
        "endpoint",
    ),
}
#: Keys an enabled platform cannot start without, and where the value comes from.
REQUIRED: dict[str, dict[str, str]] = {
    "twitch": {
        "channel": 'write channel = "your_channel_login"',
        "client_id": 'write client_id = "env:TWITCH_CLIENT_ID" (see docs/platforms/twitch.md)',
        "client_secret": (
            'write client_secret = "env:TWITCH_CLIENT_SECRET" (see docs/platforms/twitch.md)'
        ),
    },
    "discord": {"token": 'write token = "env:DISCORD_TOKEN" (Developer Portal > Bot)'},
    "telegram": {"token": 'write token = "env:TELEGRAM_TOKEN" (from BotFather)'},
}
PRODUCT_KEYS = (
    "sku",
    "name",
    "aliases",
    "description",
    "price",
    "stock",
    "variants",
    "max_per_viewer",
    "active",
    "image_url",
    "digital",
    "delivery",
    "queue",
    "deliver_text",
)
SHIPPING_KEYS = ("id", "name", "price", "provinces", "free_above")
PICKUP_KEYS = ("id", "name", "address", "hours")
#: Keys whose values are credentials, with the variable the example reads them from:
#: never printed by `vivo check`, redacted from every log line.
SECRET_KEYS: dict[str, str] = {
    "payments.mercadopago.access_token": "MP_ACCESS_TOKEN",
    "payments.mercadopago.webhook_secret": "MP_WEBHOOK_SECRET",
    "platforms.twitch.client_secret": "TWITCH_CLIENT_SECRET",
    "platforms.discord.token": "DISCORD_TOKEN",
    "platforms.telegram.token": "TELEGRAM_TOKEN",
    "platforms.telegram.webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "metrics.token": "VIVO_METRICS_TOKEN",
}
WEBHOOK_KEYS = ("name", "url", "events", "secret")
WEBHOOK_SECRET_MIN = 16
_WEBHOOK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
WEBHOOK_NAME = _WEBHOOK_NAME  # the panel checks its webhooks' names the same way
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_YES = ("true", "yes", "si", "sí", "on", "1")
_NO = ("false", "no", "off", "0")


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return (
            f"{self.key}: {self.message} — {self.fix}"
            if self.fix
            else f"{self.key}: {self.message}"
        )


class ConfigError(Exception):
    """One or more problems in a config file; `str()` lists them, one per line."""

    def __init__(self, problems: list[Problem], source: str = "config") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{source} has {count}:\n{lines}")


@dataclass(frozen=True, slots=True)
class MercadoPagoConfig:
    access_token: str
    webhook_secret: str | None
    endpoint: str | None = None
    # How far a webhook's signed `ts` may be from our clock (replays, skew); 0 disables.
    signature_tolerance_seconds: int = 300


@dataclass(frozen=True, slots=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    # Reverse proxies whose X-Forwarded-For / Forwarded headers name the real visitor.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # the same proxy machine


@dataclass(frozen=True, slots=True)
class PanelSettings:
    """`[panel]`: the owner's web panel (docs/panel.md)."""

    link_minutes: int = 15  # how long a printed sign-in link works
    session_days: int = 14  # how long a signed-in browser stays signed in
    low_stock: int = 3  # at or under this many left, the live page warns
    stream_gap_minutes: int = 90  # a pause this long ends a stream (Resumen)
    timezone: str | None = None  # IANA name for dates; None: this machine's

    @property
    def link_ttl(self) -> timedelta:
        return timedelta(minutes=self.link_minutes)

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(days=self.session_days)

    @property
    def stream_gap(self) -> timedelta:
        return timedelta(minutes=self.stream_gap_minutes)


#: Where an owner alert can go besides the panel, which always has it.
ALERT_DESTINATIONS = ("telegram", "discord")
ALERT_EVENTS = ("paid", "tip", "refund_needed", "missing_details")


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """`[alerts]`: which owner alerts go to which private chat (docs/delivery.md).

    `routes` maps each event to the platforms whose owner private chat gets it; the panel's
    notification list gets every alert whatever this says. `digest` batches the chat alerts
    into one message per owner every `digest_minutes`."""

    routes: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {event: ALERT_DESTINATIONS for event in ALERT_EVENTS}
    )
    missing_details_hours: int = 6
    digest: bool = False
    digest_minutes: int = 15

    @property
    def missing_details_after(self) -> timedelta:
        return timedelta(hours=self.missing_details_hours)

    @property
    def digest_every(self) -> timedelta:
        return timedelta(minutes=self.digest_minutes)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """One `[[webhooks]]` entry (docs/webhooks.md): where to send which events, signed how."""

    name: str
    url: str
    events: frozenset[str]
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """`[metrics]`: who besides this machine may read `/metrics` (docs/metrics.md)."""

    token: str | None = None  # `Authorization: Bearer <token>` opens it to other machines


LOG_FORMATS = ("text", "json")


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """`[logging]`: `format = "json"` writes one JSON object a line (docs/metrics.md)."""

    format: str = "text"


@dataclass(frozen=True, slots=True)
class DeliveryChat:
    """How the chat surfaces collect delivery details (`[delivery] ask_in_chat, contact`):
    whether Telegram asks them in the private chat before the payment link, and where a
    buyer from a platform without a private channel (Twitch, YouTube) sends them."""

    ask_in_chat: bool = True
    contact: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    settings: Settings
    database_url: str
    web: WebConfig
    mercadopago: MercadoPagoConfig | None
    products: tuple[ProductSpec, ...]
    platforms: Mapping[str, Mapping[str, Any]]
    messages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    path: Path | None = None
    panel: PanelSettings = field(default_factory=lambda: PanelSettings())
    delivery: DeliveryRules = field(default_factory=lambda: DeliveryRules())
    webhooks: tuple[WebhookConfig, ...] = ()

    def webhook(self, name_or_url: str) -> WebhookConfig | None:
        """The webhook with this name, or with this URL."""
        for hook in self.webhooks:
            if name_or_url in (hook.name, hook.url):
                return hook
        return None

    plugins: tuple[Loaded, ...] = ()  # enabled, with their settings read
    listener_timeout: float = LISTENER_TIMEOUT  # seconds a plugin's listener may take
    payment_provider: str = "mercadopago"  # [payments] provider: ours or a plugin's
    alerts: AlertSettings = field(default_factory=lambda: AlertSettings())
    metrics: MetricsSettings = field(default_factory=lambda: MetricsSettings())
    logging: LoggingSettings = field(default_factory=lambda: LoggingSettings())
    delivery_chat: DeliveryChat = field(default_factory=lambda: DeliveryChat())
    coupons: tuple[CouponSpec, ...] = ()  # [[coupons]]: seeded when new (bots/config.py end)
    auctions: AuctionSettings = field(default_factory=lambda: AuctionSettings())
    claim_words: ClaimWordsSettings = field(default_factory=lambda: ClaimWordsSettings())

    def enabled_platforms(self) -> list[str]:
        return [name for name, section in self.platforms.items() if section.get("enabled")]

    def secrets(self) -> list[str]:
        """Every credential this config resolved, for the log redactor."""
        found: list[str] = []
        if self.mercadopago is not None:
            found += [self.mercadopago.access_token, self.mercadopago.webhook_secret or ""]
        found.append(self.metrics.token or "")
        for key in SECRET_KEYS:
            parts = key.split(".")
            if parts[0] == "platforms":
                value = self.platforms.get(parts[1], {}).get(parts[2])
                if isinstance(value, str) and not value.startswith("env:"):
                    found.append(value)
        found += [hook.secret for hook in self.webhooks]
        return [s for s in found if s]


def _kind(value: Any) -> str:
    """What a value is, in words: how a secret's wrong value is described without showing it."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    options = list(known)
    close = difflib.get_close_matches(key.lower(), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return f"remove it; known keys: {', '.join(options)}"


class _Reader:
    """Collects problems while pulling typed values out of the raw TOML tree."""

    def __init__(self, raw: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self.raw = raw
        self.env = env
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, fix: str) -> None:
        found = Problem(key, message, fix)
        if found not in self.problems:  # a bad table is met by every read of its keys
            self.problems.append(found)

    def shown(self, key: str, value: Any) -> str:
        """`value` as a message may quote it: secrets only by kind."""
        return _kind(value) if key in SECRET_KEYS else repr(value)

    def unknown_keys(self, table: Mapping[str, Any], prefix: str, known: Iterable[str]) -> None:
        known = tuple(known)
        message = f"is not a key of [{prefix}]" if prefix else "is not a known section"
        for name in table:
            if name not in known:
                key = f"{prefix}.{name}" if prefix else name
                self.problem(key, message, _did_you_mean(name, known))

    def section(self, key: str) -> Mapping[str, Any]:
        node: Any = self.raw
        for part in key.split("."):
            if not isinstance(node, Mapping):
                return {}
            node = node.get(part, {})
        if not isinstance(node, Mapping):
            self.problem(key, "must be a table", f"write it as [{key}]")
            return {}
        return node

    def resolve(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("env:"):
            name = value[4:]
            if name not in self.env or not self.env[name]:
                self.problem(key, f"environment variable {name} is not set", f"export {name}=…")
                return None
            return self.env[name]
        return value

    def text(self, key: str, value: Any, default: str | None = None) -> str | None:
        """A string value (after `env:`), or `default` with a problem for anything else."""
        value = self.resolve(key, value)
        if value is None:
            return default
        if not isinstance(value, str):
            name = key.rsplit(".", 1)[-1]
            example = f"env:{SECRET_KEYS[key]}" if key in SECRET_KEYS else "…"
            self.problem(
                key, f"must be text, got {self.shown(key, value)}", f'write {name} = "{example}"'
            )
            return default
        return value

    def string(self, sect: str, name: str, default: str | None = None) -> str | None:
        return self.text(f"{sect}.{name}", self.section(sect).get(name, default), default)

    def whole(
        self, key: str, value: Any, default: int, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        name = key.rsplit(".", 1)[-1]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be a whole number, got {value!r}", f"write {name} = {default}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            if maximum is None:
                message = f"must be at least {minimum}, got {value}"
            else:
                message = f"must be a whole number {bounds}, got {value}"
            self.problem(key, message, f"write {name} = {default}")
            return default
        return value

    def integer(
        self, sect: str, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        value = self.section(sect).get(name, default)
        return self.whole(f"{sect}.{name}", value, default, minimum=minimum, maximum=maximum)

    def boolean(self, key: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            name = key.rsplit(".", 1)[-1]
            said = str(value).strip().lower()
            if said in _YES or said in _NO:
                fix = f"write {name} = {'true' if said in _YES else 'false'} (no quotes)"
            else:
                fix = f"write {name} = true or {name} = false"
            self.problem(key, f"must be true or false, got {value!r}", fix)
            # check the rest as the owner meant it: `enabled = "yes"` still needs its token
            return said in _YES if said in _YES or said in _NO else default
        return value

    def decimal(self, key: str, value: Any, default: Decimal | None = None) -> Decimal | None:
        if value is None:
            return default
        if isinstance(value, float):
            self.problem(
                key,
                f"{value!r} is a float, which cannot hold money exactly",
                f'write it as a string: "{value}"',
            )
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(key, f"{value!r} is not an amount", 'write it like "15000" or "1500.50"')
            return default
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.problem(key, f"{value!r} is not an amount", 'write it like "15000" or "1500.50"')
            return default
        if not amount.is_finite() or amount <= 0:
            self.problem(key, f"{value!r} must be a positive amount", 'write it like "15000"')
            return default
        return amount

    def words(self, key: str, value: Any, example: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            name = key.rsplit(".", 1)[-1]
            self.problem(key, "must be a list of words", f"write {name} = {example}")
            return ()
        return tuple(value)

    def url(self, key: str, value: Any, *, https: bool = False) -> str | None:
        text = self.text(key, value)
        if text is None or text == "":
            return None
        schemes = ("https://",) if https else ("https://", "http://")
        if not text.startswith(schemes):
            name = key.rsplit(".", 1)[-1]
            need = "an https:// address" if https else "an http(s):// address"
            self.problem(key, f"must be {need}, got {text!r}", f'write {name} = "{schemes[0]}…"')
            return None
        return text.rstrip("/")


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    config, problems = read_config(path, env)
    if problems:
        raise ConfigError(problems, str(path))
    return config


def load_store_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """The config for commands that only touch the store: problems in [payments] and
    [platforms] (an unset MP_ACCESS_TOKEN, say) are overlooked, every other one raises."""
    config, problems = read_config(path, env)
    mine = [p for p in problems if not p.key.startswith(("payments", "platforms"))]
    if mine:
        raise ConfigError(mine, str(path))
    return config


def read_config(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[Config, list[Problem]]:
    """The config with defaults where values are wrong, and the problems found.

    `vivo check` uses the partial config to go on checking what `vivo run` would refuse
    next (SDKs, token files), so one run reports everything. Only an unreadable file
    raises.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path), "file not found", "run `vivo init` to create one from the example"
                )
            ],
            str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [Problem(str(path), f"cannot be read ({exc})", "save it as UTF-8 text")], str(path)
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [Problem(str(path), f"is not valid TOML ({exc})", "fix the syntax")], str(path)
        ) from None
    return _parse(raw, env if env is not None else os.environ, path)


def parse_config(
    raw: Mapping[str, Any], env: Mapping[str, str], *, path: Path | None = None
) -> Config:
    config, problems = _parse(raw, env, path)
    if problems:
        raise ConfigError(problems, str(path) if path else "config")
    return config


def _parse(
    raw: Mapping[str, Any], env: Mapping[str, str], path: Path | None
) -> tuple[Config, list[Problem]]:
    r = _Reader(raw, env)
    r.unknown_keys(raw, "", SECTION_KEYS[""])
    plugins, listener_timeout = _plugins(r)
    extra_platforms = [n for p in plugins for n in p.registry.adapters if n not in PLATFORMS]
    extra_providers = [n for p in plugins for n in p.registry.providers]
    for sect in (
        "store",
        "bot",
        "web",
        "payments",
        "payments.mercadopago",
        "panel",
        "delivery",
        "alerts",
        "metrics",
        "logging",
        "auctions",
        "claim_words",
    ):
        r.unknown_keys(r.section(sect), sect, SECTION_KEYS[sect])
    r.unknown_keys(r.section("platforms"), "platforms", (*PLATFORMS, *extra_platforms))

    currency = (r.string("store", "currency", "ARS") or "ARS").upper()
    if currency not in EXPONENTS:
        r.problem(
            "store.currency",
            f"{currency!r} is not supported",
            f"use one of: {', '.join(sorted(EXPONENTS))}",
        )
        currency = "ARS"
    locale = r.string("store", "locale", "es") or "es"
    if locale not in LOCALES:
        r.problem("store.locale", f"{locale!r} is not a reply language", "use es, en or pt")
        locale = "es"
    minutes = r.integer("store", "reservation_minutes", 15, minimum=1)
    remind = r.integer("store", "remind_before_minutes", 5, minimum=0)
    base = path.parent if path else Path.cwd()
    database_url = r.string("store", "database_url", "sqlite:///vivo.db") or "sqlite:///vivo.db"
    database_url = _anchor_sqlite(database_url, base)

    bot = r.section("bot")
    prefix = r.string("bot", "prefix", "!") or "!"
    if len(prefix) != 1 or prefix.isalnum() or prefix.isspace():
        r.problem("bot.prefix", f"{prefix!r} must be one symbol", 'write prefix = "!"')
        prefix = "!"
    cooldown = bot.get("cooldown_seconds", 2)
    if isinstance(cooldown, bool) or not isinstance(cooldown, int | float) or cooldown < 0:
        r.problem(
            "bot.cooldown_seconds",
            f"{cooldown!r} must be a number of seconds >= 0",
            "write cooldown_seconds = 2",
        )
        cooldown = 2
    tip_min = r.decimal("bot.tip_min", bot.get("tip_min"), Decimal("100")) or Decimal("100")
    tip_max = r.decimal("bot.tip_max", bot.get("tip_max"), Decimal("1000000")) or Decimal("1000000")
    if tip_min > tip_max:
        r.problem("bot.tip_min", f"{tip_min} is above tip_max {tip_max}", "lower tip_min")
    owners: dict[str, frozenset[str]] = {}
    for platform, ids in r.section("bot.owners").items():
        if platform not in PLATFORMS:
            close = difflib.get_close_matches(platform.lower(), PLATFORMS, n=1)
            r.problem(
                f"bot.owners.{platform}",
                "is not a platform",
                f"did you mean {close[0]}?" if close else f"use one of: {', '.join(PLATFORMS)}",
            )
        elif not isinstance(ids, list) or not all(isinstance(i, str | int) for i in ids):
            r.problem(
                f"bot.owners.{platform}",
                "must be a list of user ids",
                f'write {platform} = ["123"]',
            )
        else:
            owners[platform] = frozenset(str(i) for i in ids)

    store_name = r.string("store", "name", "Vivo") or "Vivo"
    settings = Settings(
        store_name=store_name,
        currency=currency,
        locale=locale,
        prefix=prefix,
        reservation_ttl=timedelta(minutes=minutes),
        remind_before=timedelta(minutes=remind),
        cooldown_seconds=float(cooldown),
        tip_min=tip_min,
        tip_max=tip_max,
        owner_ids=owners,
    )

    web = _web(r)
    mercadopago = _payments(r, needs_secret=web.public_url is not None, others=extra_providers)
    products = _products(r, raw.get("products", []), currency)
    platforms = {name: _platform(r, name) for name in PLATFORMS}
    platforms.update({name: _plugin_platform(r, name) for name in extra_platforms})

    messages: dict[str, dict[str, str]] = {}
    plugin_keys = {key for found in plugin_templates(plugins).values() for key in found}
    for lang, templates in r.section("messages").items():
        if lang not in LOCALES:
            r.problem(
                f"messages.{lang}", "is not a reply language", "use [messages.es], .en or .pt"
            )
        elif isinstance(templates, Mapping):
            messages[lang] = message_overrides(templates)
            _check_templates(r, lang, messages[lang], plugin_keys)
        else:
            r.problem(f"messages.{lang}", "must be a table", f"write it as [messages.{lang}]")

    panel = _panel(r)
    delivery = _delivery(r, panel)
    webhooks = _webhooks(r, raw.get("webhooks", []))
    alerts = _alerts(r)
    config = Config(
        settings=settings,
        database_url=database_url,
        web=web,
        mercadopago=mercadopago,
        products=tuple(products),
        platforms=platforms,
        messages=messages,
        path=path,
        panel=panel,
        delivery=delivery,
        webhooks=webhooks,
        plugins=tuple(plugins),
        listener_timeout=listener_timeout,
        payment_provider=r.string("payments", "provider", "mercadopago") or "mercadopago",
        alerts=alerts,
        metrics=_metrics(r),
        logging=_logging(r),
        delivery_chat=_delivery_chat(r),
        coupons=tuple(_coupons(r, raw.get("coupons", []), currency)),
        auctions=_auctions(r),
        claim_words=_claim_words(r),
    )
    return config, r.problems


def _delivery(r: _Reader, panel: PanelSettings) -> DeliveryRules:
    """`[delivery]`: shipping options, pickup points, how long personal data is kept."""
    sect = r.section("delivery")
    shipping: list[ShippingOption] = []
    seen: set[str] = set()
    for i, item in enumerate(_tables(r, "delivery.shipping", sect.get("shipping", []))):
        where = f"delivery.shipping[{i}]"
        r.unknown_keys(item, where, SHIPPING_KEYS)
        option_id = _choice_id(r, where, item, seen)
        name = r.text(f"{where}.name", item.get("name"), option_id) or option_id
        price = _amount(r, f"{where}.price", item.get("price"))
        free_above = _amount(r, f"{where}.free_above", item.get("free_above"))
        provinces: dict[str, Decimal] = {}
        table = item.get("provinces", {})
        if not isinstance(table, Mapping):
            r.problem(
                f"{where}.provinces", "must be a table", 'write provinces = { CABA = "1500" }'
            )
            table = {}
        for province, value in table.items():
            amount = _amount(r, f"{where}.provinces.{province}", value)
            if amount is not None:
                provinces[str(province)] = amount
        if price is None and not provinces:
            r.problem(
                f"{where}.price",
                "is missing (and no provinces are priced)",
                'write price = "3500", or provinces = { CABA = "1500" }',
            )
            continue
        shipping.append(ShippingOption(option_id, name, price, provinces, free_above))
    pickup: list[PickupPoint] = []
    for i, item in enumerate(_tables(r, "delivery.pickup", sect.get("pickup", []))):
        where = f"delivery.pickup[{i}]"
        r.unknown_keys(item, where, PICKUP_KEYS)
        point_id = _choice_id(r, where, item, seen)
        name = r.text(f"{where}.name", item.get("name"), point_id) or point_id
        address = r.text(f"{where}.address", item.get("address"), "") or ""
        if not address:
            r.problem(f"{where}.address", "is missing", 'write address = "Honduras 4000, CABA"')
        hours = r.text(f"{where}.hours", item.get("hours"), "") or ""
        pickup.append(PickupPoint(point_id, name, address, hours))
    combine = r.integer("delivery", "combine_minutes", panel.stream_gap_minutes, minimum=1)
    return DeliveryRules(
        shipping=tuple(shipping),
        pickup=tuple(pickup),
        keep_personal_data_days=r.integer("delivery", "keep_personal_data_days", 90, minimum=1),
        combine_gap=timedelta(minutes=combine),
    )


def _delivery_chat(r: _Reader) -> DeliveryChat:
    sect = r.section("delivery")
    ask = sect.get("ask_in_chat", True)
    if not isinstance(ask, bool):
        r.problem("delivery.ask_in_chat", "must be true or false", "write ask_in_chat = true")
        ask = True
    contact = r.text("delivery.contact", sect.get("contact"), "") or ""
    return DeliveryChat(ask_in_chat=ask, contact=contact)


def _auctions(r: _Reader) -> AuctionSettings:
    """`[auctions]` (bots.commands.auctions); every key optional."""
    sect = r.section("auctions")
    default = AuctionSettings()
    announce = sect.get("announce_seconds", default.announce_seconds)
    if isinstance(announce, bool) or not isinstance(announce, int | float) or announce < 0:
        r.problem(
            "auctions.announce_seconds",
            f"must be a number of seconds, got {announce!r}",
            "write announce_seconds = 3",
        )
        announce = default.announce_seconds
    return AuctionSettings(
        min_increment=r.decimal("auctions.min_increment", sect.get("min_increment")),
        extend_seconds=r.integer("auctions", "extend_seconds", 15, maximum=600),
        pay_minutes=r.integer("auctions", "pay_minutes", 10, minimum=1, maximum=1440),
        announce_seconds=float(announce),
        max_minutes=r.integer("auctions", "max_minutes", 60, minimum=1, maximum=1440),
    )


def _claim_words(r: _Reader) -> ClaimWordsSettings:
    """`[claim_words]` (bots.chat.claim_words): the words per language replace the default
    list of that language; every key optional."""
    sect = r.section("claim_words")
    default = ClaimWordsSettings()
    words = dict(default.words)
    for locale in LOCALES:
        if locale not in sect:
            continue
        example = '["' + '", "'.join(CLAIM_WORDS[locale][:3]) + '"]'
        said = r.words(f"claim_words.{locale}", sect[locale], example)
        empty = [w for w in said if not w.strip() or len(w) > 24 or len(w.split()) > 3]
        if empty:
            r.problem(
                f"claim_words.{locale}",
                f"{empty[0]!r} is not a claim word (1 to 3 words, at most 24 characters)",
                f"write {locale} = {example}",
            )
            said = tuple(w for w in said if w not in empty)
        words[locale] = said
    return ClaimWordsSettings(
        words=words,
        sizes=r.boolean("claim_words.sizes", sect.get("sizes"), default.sizes),
        repeat_seconds=r.integer("claim_words", "repeat_seconds", 15, maximum=3600),
        hours=r.integer("claim_words", "hours", 6, minimum=1, maximum=48),
    )


def _tables(r: _Reader, key: str, value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        r.problem(key, "must be a list of tables", f"write each one as [[{key}]]")
        return []
    return list(value)


def _choice_id(r: _Reader, where: str, item: Mapping[str, Any], seen: set[str]) -> str:
    option_id = r.text(f"{where}.id", item.get("id"), "") or ""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", option_id):
        r.problem(f"{where}.id", f"{option_id!r} is not a short id", 'write id = "correo"')
    elif option_id in seen:
        r.problem(f"{where}.id", f"{option_id!r} is used twice", "give each option its own id")
    seen.add(option_id)
    return option_id


def _amount(r: _Reader, key: str, value: Any) -> Decimal | None:
    amount = r.decimal(key, value)
    if amount is not None and amount < 0:
        r.problem(key, f"{amount} is negative", 'write "0" for free')
        return None
    return amount


def _webhooks(r: _Reader, items: Any) -> tuple[WebhookConfig, ...]:
    """`[[webhooks]]`: each needs a URL, the events it wants and a secret to sign with.

    The secret is never quoted back, only described; a name defaults to the URL's host, so
    two webhooks on one host must be named."""
    from urllib.parse import urlsplit

    from bots.runtime.webhook_payloads import EVENT_TYPES

    if not isinstance(items, list):
        r.problem(
            "webhooks", "must be a list of [[webhooks]] tables", "write each one as [[webhooks]]"
        )
        return ()
    hooks: list[WebhookConfig] = []
    names: set[str] = set()
    known = ", ".join(EVENT_TYPES)
    for i, item in enumerate(items):
        where = f"webhooks[{i}]"
        if not isinstance(item, Mapping):
            r.problem(where, "must be a table", "write it as [[webhooks]]")
            continue
        for key in item:
            if key not in WEBHOOK_KEYS:
                r.problem(
                    f"{where}.{key}", "is not a webhook key", _did_you_mean(key, WEBHOOK_KEYS)
                )
        ok = True
        url = r.text(f"{where}.url", item.get("url"))
        parts = urlsplit(url) if url else None
        if url is None:
            if "url" not in item:
                r.problem(
                    f"{where}.url",
                    "is missing",
                    'write url = "https://hooks.zapier.com/…" (the address your tool gave you)',
                )
            ok = False
        elif parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            r.problem(
                f"{where}.url",
                f"must be an http(s):// address, got {url!r}",
                'write url = "https://…" (the address your tool gave you)',
            )
            ok = False
        elif parts.username or parts.password:
            r.problem(
                f"{where}.url",
                "must not carry a user name or password",
                "remove the part before @; the secret proves deliveries are yours",
            )
            ok = False
        name = item.get("name")
        if name is None:
            name = parts.hostname if parts is not None and parts.hostname else f"webhook{i + 1}"
        if not isinstance(name, str) or not _WEBHOOK_NAME.fullmatch(name):
            r.problem(
                f"{where}.name",
                f"must be a short word (letters, digits, . _ -), got {name!r}",
                'write name = "zapier"',
            )
            ok = False
        elif name in names:
            r.problem(
                f"{where}.name",
                f"{name!r} names two webhooks",
                'give each its own name = "…" (a webhook is named after its host otherwise)',
            )
            ok = False
        names.add(str(name))
        events = item.get("events")
        wanted: set[str] = set()
        if events is None:
            r.problem(
                f"{where}.events", "is missing", f'write events = ["order.paid"]; known: {known}'
            )
            ok = False
        elif (
            not isinstance(events, list)
            or not events
            or not all(isinstance(e, str) for e in events)
        ):
            r.problem(
                f"{where}.events",
                "must be a list of event names",
                f'write events = ["order.paid"]; known: {known}',
            )
            ok = False
        else:
            for event in events:
                if event == "*":
                    wanted |= set(EVENT_TYPES)
                elif event not in EVENT_TYPES:
                    close = difflib.get_close_matches(event, EVENT_TYPES, n=1, cutoff=0.6)
                    fix = (
                        f"did you mean {close[0]}?" if close else f'known: {known}, or "*" for all'
                    )
                    r.problem(f"{where}.events", f"{event!r} is not an event", fix)
                    ok = False
                else:
                    wanted.add(event)
        secret_fix = (
            'write secret = "env:VIVO_WEBHOOK_SECRET" and export a long random value '
            "(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
        raw_secret = item.get("secret")
        secret = r.resolve(f"{where}.secret", raw_secret)
        if raw_secret is None:
            r.problem(f"{where}.secret", "is missing", secret_fix)
            ok = False
        elif secret is None:
            ok = False  # an unset env: variable, already reported
        elif not isinstance(secret, str):
            r.problem(f"{where}.secret", f"must be text, got {_kind(secret)}", secret_fix)
            ok = False
        elif len(secret) < WEBHOOK_SECRET_MIN:
            r.problem(
                f"{where}.secret",
                f"is too short ({len(secret)} characters; at least {WEBHOOK_SECRET_MIN})",
                secret_fix,
            )
            ok = False
        if ok and url is not None and isinstance(secret, str):
            hooks.append(WebhookConfig(str(name), url, frozenset(wanted), secret))
    return tuple(hooks)


def _plugins(r: _Reader) -> tuple[list[Loaded], float]:
    """`[plugins]`: the enabled ones, each installed and with its own table read."""
    from bots.runtime.plugins import load

    section = r.section("plugins")
    enabled = section.get("enabled", [])
    if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
        r.problem(
            "plugins.enabled", "must be a list of plugin names", 'write enabled = ["vivo_envios"]'
        )
        enabled = []
    timeout = section.get("listener_timeout_seconds", LISTENER_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        r.problem(
            "plugins.listener_timeout_seconds",
            f"{timeout!r} must be a number of seconds above 0",
            f"write listener_timeout_seconds = {LISTENER_TIMEOUT:g}",
        )
        timeout = LISTENER_TIMEOUT
    known = ("enabled", "listener_timeout_seconds", *enabled)
    for name in section:
        if name not in known:
            value = section[name]
            fix = (
                f'add "{name}" to [plugins] enabled, or remove [plugins.{name}]'
                if isinstance(value, Mapping)
                else _did_you_mean(name, known)
            )
            r.problem(f"plugins.{name}", "is not a key of [plugins]", fix)
    loaded, issues = load(enabled, {n: section.get(n, {}) for n in enabled})
    for issue in issues:
        r.problem(issue.key, issue.message, issue.fix)
    return loaded, float(timeout)


def _plugin_platform(r: _Reader, name: str) -> dict[str, Any]:
    """A plugin's platform table: `enabled` is checked here, the rest by its adapter."""
    prefix = f"platforms.{name}"
    raw = r.section(prefix)
    enabled = r.boolean(f"{prefix}.enabled", raw.get("enabled"), False)
    section: dict[str, Any] = {"enabled": enabled}
    for key, value in raw.items():
        if key != "enabled":
            section[key] = r.resolve(f"{prefix}.{key}", value) if enabled else value
    return section


def _alerts(r: _Reader) -> AlertSettings:
    """`[alerts]`, every key optional: each event names its destinations."""
    section = r.section("alerts")
    default = AlertSettings()
    routes: dict[str, tuple[str, ...]] = {}
    example = '["telegram", "discord"]'
    for event in ALERT_EVENTS:
        key = f"alerts.{event}"
        value = section.get(event)
        if value is None:
            routes[event] = default.routes[event]
            continue
        chosen: list[str] = []
        for word in r.words(key, value, example):
            name = word.strip().lower()
            if name == "panel":  # always there; saying so is harmless
                continue
            if name not in ALERT_DESTINATIONS:
                close = difflib.get_close_matches(name, ALERT_DESTINATIONS, n=1)
                hint = f"did you mean {close[0]}?" if close else "use telegram and/or discord"
                r.problem(
                    key,
                    f"{word!r} is not a place for alerts (the panel always gets them)",
                    hint,
                )
            elif name not in chosen:
                chosen.append(name)
        routes[event] = tuple(chosen)
    return AlertSettings(
        routes=routes,
        missing_details_hours=r.integer(
            "alerts", "missing_details_hours", 6, minimum=1, maximum=24 * 30
        ),
        digest=r.boolean("alerts.digest", section.get("digest"), False),
        digest_minutes=r.integer("alerts", "digest_minutes", 15, minimum=1, maximum=24 * 60),
    )


#: Shorter tokens can be guessed by anyone who can reach the port.
MIN_METRICS_TOKEN = 16


def _metrics(r: _Reader) -> MetricsSettings:
    """`[metrics]`: an optional token, long enough not to be guessed."""
    token = r.string("metrics", "token", "") or None
    if token is not None and len(token.strip()) < MIN_METRICS_TOKEN:
        r.problem(
            "metrics.token",
            f"is shorter than {MIN_METRICS_TOKEN} characters",
            'write token = "env:VIVO_METRICS_TOKEN" with e.g. `openssl rand -hex 24`',
        )
        token = None
    return MetricsSettings(token=token.strip() if token else None)


def _logging(r: _Reader) -> LoggingSettings:
    """`[logging]`: the format of log lines."""
    chosen = (r.string("logging", "format", "text") or "text").strip().lower()
    if chosen not in LOG_FORMATS:
        r.problem("logging.format", f"{chosen!r} is not a log format", 'write format = "json"')
        chosen = "text"
    return LoggingSettings(format=chosen)


def _panel(r: _Reader) -> PanelSettings:
    """`[panel]`, every key optional."""
    zone = r.string("panel", "timezone", "") or None
    if zone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            r.problem("panel.timezone", f"{zone!r} is not a time zone", 'e.g. "America/Lima"')
            zone = None
    return PanelSettings(
        link_minutes=r.integer("panel", "link_minutes", 15, minimum=1),
        session_days=r.integer("panel", "session_days", 14, minimum=1),
        low_stock=r.integer("panel", "low_stock", 3, minimum=0),
        stream_gap_minutes=r.integer("panel", "stream_gap_minutes", 90, minimum=5),
        timezone=zone,
    )


def _web(r: _Reader) -> WebConfig:
    public_url = (r.string("web", "public_url", "") or "").rstrip("/") or None
    if public_url and not public_url.startswith("https://"):
        r.problem(
            "web.public_url",
            "MercadoPago only notifies https addresses",
            'write public_url = "https://…" or leave it empty to poll (docs/public-url.md)',
        )
    given = r.section("web").get("trusted_proxies")
    fix = 'write trusted_proxies = ["127.0.0.1"] (your reverse proxy\'s address or network)'
    proxies: tuple[str, ...] = WebConfig().trusted_proxies
    if given is not None:
        if not isinstance(given, list) or not all(isinstance(a, str) for a in given):
            r.problem("web.trusted_proxies", "must be a list of addresses", fix)
        else:
            proxies = tuple(a.strip() for a in given)
            for address in proxies:
                try:
                    ipaddress.ip_network(address, strict=False)
                except ValueError:
                    r.problem(
                        "web.trusted_proxies", f"{address!r} is not an IP address or network", fix
                    )
    return WebConfig(
        host=r.string("web", "host", "127.0.0.1") or "127.0.0.1",
        port=r.integer("web", "port", 8080, minimum=0, maximum=65535),
        public_url=public_url,
        trusted_proxies=proxies,
    )


PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other", "count")


def _check_templates(
    r: _Reader, lang: str, templates: Mapping[str, str], plugin_keys: Iterable[str] = ()
) -> None:
    """Flattened overrides: shipped keys (ours and the enabled plugins'), a counting key
    plain or by plural category, and any option or value word (`option.talle`)."""
    known = {**load_catalog("es"), **dict.fromkeys(plugin_keys, "")}
    counting = plural_keys(known)
    allowed = set(known) | counting
    for key in templates:
        base, _, last = key.rpartition(".")
        if key in allowed or key.startswith(("option.", "value.")):
            continue
        if base in counting and last in PLURAL_CATEGORIES:
            continue
        r.problem(f"messages.{lang}.{key}", "is not a reply key", _did_you_mean(key, allowed))


def message_overrides(templates: Mapping[str, Any]) -> dict[str, str]:
    """An owner's `[messages.<lang>]`: plain keys, plural forms (`error_out_of_stock.one`)
    and option words (`option.talle`, `value.negro`), flattened as bots.chat.i18n reads them."""
    return flatten(templates)


def _platform(r: _Reader, name: str) -> dict[str, Any]:
    """A platform's table, typed and checked; `env:` secrets are resolved (and required)
    only when the platform is enabled, so a disabled one needs nothing in the environment."""
    prefix = f"platforms.{name}"
    raw = r.section(prefix)
    r.unknown_keys(raw, prefix, PLATFORM_KEYS[name])
    enabled = r.boolean(f"{prefix}.enabled", raw.get("enabled"), False)
    section: dict[str, Any] = dict(raw)
    section["enabled"] = enabled
    if enabled:
        for key, value in raw.items():
            section[key] = r.resolve(f"{prefix}.{key}", value) if key != "enabled" else enabled
    for key, fix in REQUIRED.get(name, {}).items():
        if not enabled:
            continue
        if key not in raw:
            r.problem(f"{prefix}.{key}", "is missing", fix)
        elif section[key] == "" or (isinstance(section[key], str) and not section[key].strip()):
            r.problem(f"{prefix}.{key}", "is empty", fix)

    def given(key: str) -> Any:
        """The value to type-check: None when absent, or an unresolved `env:` of a disabled
        platform (checked once it is enabled)."""
        value = section.get(key)
        return None if isinstance(value, str) and value.startswith("env:") else value

    for key in ("channel", "client_id", "client_secret", "token", "tokens", "token_file"):
        if key in PLATFORM_KEYS[name] and given(key) is not None:
            r.text(f"{prefix}.{key}", given(key))
    if given("video_id") is not None:
        r.text(f"{prefix}.video_id", given("video_id"))
    if given("endpoint") is not None:
        r.url(f"{prefix}.endpoint", given("endpoint"))
    if name == "twitch":
        currency = given("bits_currency")
        if currency is not None and (
            not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency)
        ):
            r.problem(
                f"{prefix}.bits_currency",
                f"{currency!r} is not a currency code",
                'write bits_currency = "USD" (or your store\'s, e.g. "ARS")',
            )
        r.decimal(f"{prefix}.bits_rate", given("bits_rate"))
    if name == "youtube":
        hours = given("stream_hours")
        if hours is not None and (
            isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24
        ):
            r.problem(
                f"{prefix}.stream_hours",
                f"must be a number of hours from 1 to 24, got {hours!r}",
                "write stream_hours = 3",
            )
        if given("daily_budget") is not None:
            r.whole(f"{prefix}.daily_budget", given("daily_budget"), 10_000, minimum=1)
    if name == "discord":
        r.words(f"{prefix}.moderator_roles", given("moderator_roles"), '["Moderador"]')
    if name == "telegram":
        r.url(f"{prefix}.webhook_url", given("webhook_url"), https=True)
        if given("webhook_port") is not None:
            r.whole(f"{prefix}.webhook_port", given("webhook_port"), 8443, minimum=1, maximum=65535)
        secret = given("webhook_secret")
        if secret is not None and (
            not isinstance(secret, str) or not _TELEGRAM_SECRET.fullmatch(secret)
        ):
            r.problem(
                f"{prefix}.webhook_secret",
                "must be 1–256 of A-Z a-z 0-9 _ - (Telegram's rule)",
                'write webhook_secret = "env:TELEGRAM_WEBHOOK_SECRET" with such a value',
            )
        if enabled and section.get("webhook_url") and "webhook_secret" not in raw:
            r.problem(
                f"{prefix}.webhook_secret",
                "is missing: the webhook is used only with a secret",
                'write webhook_secret = "env:TELEGRAM_WEBHOOK_SECRET"',
            )
        if (
            enabled
            and raw.get("webhook_secret")
            and not (raw.get("webhook_url") or raw.get("endpoint"))
        ):
            r.problem(
                f"{prefix}.webhook_url",
                "is missing: Telegram needs the public https address of the webhook",
                'write webhook_url = "https://…/telegram/webhook" (docs/public-url.md), '
                "or remove webhook_secret to poll",
            )
    return section


def _anchor_sqlite(url: str, base: Path) -> str:
    """A relative SQLite path means 'next to the config file', not 'wherever you ran vivo'."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def _payments(
    r: _Reader, *, needs_secret: bool, others: Iterable[str] = ()
) -> MercadoPagoConfig | None:
    """MercadoPago's settings. The webhook secret matters only where webhooks can arrive:
    at home (no public URL) payments are polled, so an unset secret is no error there.
    A plugin's provider (`others`) reads its settings from its own [plugins.<name>]."""
    provider = r.string("payments", "provider", "mercadopago")
    others = tuple(others)
    if provider in others and not r.section("payments.mercadopago"):
        return None
    if provider != "mercadopago" and provider not in others:
        choices = ", ".join(f'"{n}"' for n in ("mercadopago", *others))
        r.problem(
            "payments.provider",
            f"{provider!r} is not supported",
            f"write provider = one of {choices} (a plugin's provider needs it enabled)",
        )
        return None
    section = r.section("payments.mercadopago")
    if not section:
        r.problem(
            "payments.mercadopago",
            "is missing",
            "add [payments.mercadopago] with access_token (see config.example.toml)",
        )
        return None
    token = r.string("payments.mercadopago", "access_token")
    endpoint = r.url("payments.mercadopago.endpoint", section.get("endpoint"))
    tolerance = r.integer("payments.mercadopago", "signature_tolerance_seconds", 300, minimum=0)
    if not token:
        if "access_token" not in section:
            r.problem(
                "payments.mercadopago.access_token",
                "is missing",
                'write access_token = "env:MP_ACCESS_TOKEN" and export it',
            )
        elif token == "":
            r.problem(
                "payments.mercadopago.access_token",
                "is empty",
                'write access_token = "env:MP_ACCESS_TOKEN" and export it',
            )
        return None
    raw_secret = section.get("webhook_secret")
    if not needs_secret and isinstance(raw_secret, str) and raw_secret.startswith("env:"):
        secret = r.env.get(raw_secret[4:]) or None
    else:
        secret = r.string("payments.mercadopago", "webhook_secret")
        if needs_secret and not secret and "webhook_secret" not in section:
            r.problem(
                "payments.mercadopago.webhook_secret",
                "is needed to check MercadoPago's notifications at web.public_url",
                'write webhook_secret = "env:MP_WEBHOOK_SECRET" (Tus integraciones > Webhooks)',
            )
    return MercadoPagoConfig(
        access_token=token,
        webhook_secret=secret or None,
        endpoint=endpoint,
        signature_tolerance_seconds=tolerance,
    )


def _products(r: _Reader, items: Any, currency: str) -> list[ProductSpec]:
    if not isinstance(items, list):
        r.problem(
            "products", "must be a list of [[products]] tables", "write each one as [[products]]"
        )
        return []
    specs: list[ProductSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"products[{i}]"
        if not isinstance(item, Mapping):
            r.problem(where, "must be a table", "write it as [[products]]")
            continue
        sku = item.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            r.problem(f"{where}.sku", "is missing", 'give it a short code: sku = "REM-01"')
            continue
        where = f"products[{sku}]"
        for key in item:
            if key not in PRODUCT_KEYS:
                r.problem(
                    f"{where}.{key}",
                    "is not a product key",
                    _did_you_mean(key, PRODUCT_KEYS),
                )
        if sku.upper() in seen:
            r.problem(f"{where}.sku", "is used twice", "give each product its own sku")
        seen.add(sku.upper())
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            r.problem(f"{where}.name", "is missing", 'write name = "Remera Vivo"')
            name = sku
        price = r.decimal(f"{where}.price", item.get("price"))
        if price is None:
            if "price" not in item:
                r.problem(f"{where}.price", "is missing", 'write price = "15000"')
            continue
        if price != price.quantize(Decimal(1).scaleb(-EXPONENTS[currency])):
            r.problem(
                f"{where}.price", f"{price} has more decimals than {currency} allows", "round it"
            )
        aliases = r.words(f"{where}.aliases", item.get("aliases", []), '["remera"]')
        max_per = item.get("max_per_viewer")
        if max_per is not None and (
            isinstance(max_per, bool) or not isinstance(max_per, int) or max_per < 1
        ):
            r.problem(
                f"{where}.max_per_viewer",
                f"{max_per!r} must be a whole number >= 1",
                "remove it for no limit",
            )
            max_per = None
        variants = _variants(r, where, item.get("variants", []))
        stock = item.get("stock", 0)
        if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
            r.problem(
                f"{where}.stock", f"{stock!r} must be a whole number >= 0", "write stock = 10"
            )
            stock = 0
        if variants:
            stock = sum(v.stock for v in variants)
        description = r.text(f"{where}.description", item.get("description", ""), "") or ""
        image_url = r.text(f"{where}.image_url", item.get("image_url")) or None
        digital = r.boolean(f"{where}.digital", item.get("digital"), False)
        method = r.text(f"{where}.delivery", item.get("delivery")) or None
        if method is not None and method not in DELIVERY_METHODS:
            r.problem(
                f"{where}.delivery", f"{method!r} is not a method", "use ship, pickup or digital"
            )
            method = None
        if digital and method not in (None, "digital"):
            r.problem(f"{where}.delivery", f"{method} contradicts digital = true", "remove one")
        if method == "digital":
            digital = True
        is_digital = (method or ("digital" if digital else "ship")) == "digital"
        if not is_digital and (item.get("queue") or item.get("deliver_text")):
            r.problem(
                f"{where}.queue",
                "only digital products have a queue or a deliver_text",
                'write delivery = "digital"',
            )
        specs.append(
            ProductSpec(
                sku=sku,
                name=name,
                price=price,
                currency=currency,
                stock=stock,
                aliases=aliases,
                description=description,
                active=r.boolean(f"{where}.active", item.get("active"), True),
                max_per_viewer=max_per,
                image_url=image_url,
                digital=digital,
                variants=tuple(variants),
                delivery=method,
                queue=r.boolean(f"{where}.queue", item.get("queue"), False),
                deliver_text=r.text(f"{where}.deliver_text", item.get("deliver_text")) or None,
            )
        )
    return specs


def _variants(r: _Reader, where: str, items: Any) -> list[VariantSpec]:
    if not isinstance(items, list):
        r.problem(
            f"{where}.variants", "must be a list", 'write variants = [{ talle = "M", stock = 5 }]'
        )
        return []
    out: list[VariantSpec] = []
    for j, item in enumerate(items):
        key = f"{where}.variants[{j}]"
        if not isinstance(item, Mapping):
            r.problem(key, "must be a table", 'write { talle = "M", stock = 5 }')
            continue
        for name in item:  # other keys are options (talle, color); these look like typos
            close = difflib.get_close_matches(name.lower(), ("stock", "price"), n=1, cutoff=0.75)
            if close and name != close[0]:
                r.problem(f"{key}.{name}", f"looks like {close[0]}", f"did you mean {close[0]}?")
        stock = item.get("stock")
        if "stock" not in item:
            r.problem(f"{key}.stock", "is missing", 'write { talle = "M", stock = 5 }')
            continue
        if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
            r.problem(f"{key}.stock", f"{stock!r} must be a whole number >= 0", "write stock = 5")
            continue
        price = r.decimal(f"{key}.price", item.get("price"))
        options = {str(k): str(v) for k, v in item.items() if k not in ("stock", "price")}
        if not options:
            r.problem(key, "names no option", 'write { talle = "M", stock = 5 }')
            continue
        out.append(VariantSpec(options=options, stock=stock, price=price))
    return out


# --- promotions: [[coupons]] (commerce.coupons) --------------------------------------------

COUPON_KEYS = (
    "code",
    "percent",
    "amount",
    "min_total",
    "max_uses",
    "once_per_viewer",
    "live_only",
    "expires",
    "active",
)


def _coupons(r: _Reader, items: Any, currency: str) -> list[CouponSpec]:
    """`[[coupons]]`: a code and exactly one of percent (1..100) or amount, then optional
    limits. Seeded into the store when the code is new; the panel owns it after that."""
    if not isinstance(items, list):
        r.problem(
            "coupons", "must be a list of [[coupons]] tables", "write each one as [[coupons]]"
        )
        return []
    specs: list[CouponSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"coupons[{i}]"
        if not isinstance(item, Mapping):
            r.problem(where, "must be a table", "write it as [[coupons]]")
            continue
        code = item.get("code")
        if not isinstance(code, str) or not _COUPON_CODE.match(code.strip()):
            r.problem(
                f"{where}.code",
                "is missing" if code is None else f"{code!r} is not a code",
                'write code = "CUPON10" (letters, digits, - or _, 3 to 32 characters)',
            )
            continue
        code = code.strip().upper()
        where = f"coupons[{code}]"
        for key in item:
            if key not in COUPON_KEYS:
                r.problem(f"{where}.{key}", "is not a coupon key", _did_you_mean(key, COUPON_KEYS))
        if code in seen:
            r.problem(f"{where}.code", "is used twice", "give each coupon its own code")
            continue
        seen.add(code)
        percent, amount = item.get("percent"), item.get("amount")
        if (percent is None) == (amount is None):
            r.problem(where, "needs percent or amount (one of them)", "write percent = 10")
            continue
        if percent is not None and (
            isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100
        ):
            r.problem(f"{where}.percent", f"{percent!r} must be 1..100", "write percent = 10")
            continue
        money = None
        if amount is not None:
            money = r.decimal(f"{where}.amount", amount)
            if money is None or money <= 0:
                if money is not None:
                    r.problem(f"{where}.amount", "must be above zero", 'write amount = "1000"')
                continue
        minimum = r.decimal(f"{where}.min_total", item.get("min_total"), Decimal(0))
        uses = item.get("max_uses")
        if uses is not None and (isinstance(uses, bool) or not isinstance(uses, int) or uses < 0):
            r.problem(
                f"{where}.max_uses",
                f"{uses!r} must be a whole number >= 0",
                "remove it for no limit",
            )
            uses = None
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = datetime.fromisoformat(expires)
            except ValueError:
                expires = "bad"
        if expires is not None and (
            not isinstance(expires, datetime) or expires.utcoffset() is None
        ):
            r.problem(
                f"{where}.expires",
                f"{item.get('expires')!r} is not a date and time with its offset",
                "write expires = 2026-12-24T23:59:00-03:00",
            )
            expires = None
        specs.append(
            CouponSpec(
                code=code,
                kind="percent" if percent is not None else "amount",
                currency=currency,
                percent=percent,
                amount=money,
                min_total=minimum or Decimal(0),
                max_uses=uses,
                once_per_viewer=r.boolean(
                    f"{where}.once_per_viewer", item.get("once_per_viewer"), True
                ),
                live_only=r.boolean(f"{where}.live_only", item.get("live_only"), False),
                expires_at=expires,
                active=r.boolean(f"{where}.active", item.get("active"), True),
            )
        )
    return specs


_COUPON_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,30}[A-Za-z0-9]$")

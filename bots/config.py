"""Reading and validating config.toml into typed settings.

Every problem is reported with the key it is about and how to fix it, all at once, so an
owner fixes their file in one pass instead of one error per run.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bots.services import Settings
from commerce.money import EXPONENTS
from commerce.views import ProductSpec, VariantSpec

LOCALES = ("es", "en", "pt")
PLATFORMS = ("console", "twitch", "youtube", "discord", "telegram")


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message} — {self.fix}"


class ConfigError(Exception):
    """One or more problems in a config file; `str()` lists them, one per line."""

    def __init__(self, problems: list[Problem], source: str = "config") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")


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

    def enabled_platforms(self) -> list[str]:
        return [name for name, section in self.platforms.items() if section.get("enabled")]


class _Reader:
    """Collects problems while pulling typed values out of the raw TOML tree."""

    def __init__(self, raw: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self.raw = raw
        self.env = env
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(key, message, fix))

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

    def string(self, sect: str, name: str, default: str | None = None) -> str | None:
        key = f"{sect}.{name}"
        value = self.resolve(key, self.section(sect).get(name, default))
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, f"must be text, got {value!r}", f'write {name} = "…"')
            return default
        return value

    def integer(self, sect: str, name: str, default: int, *, minimum: int = 0) -> int:
        key = f"{sect}.{name}"
        value = self.section(sect).get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be a whole number, got {value!r}", f"write {name} = {default}")
            return default
        if value < minimum:
            self.problem(
                key, f"must be at least {minimum}, got {value}", f"write {name} = {default}"
            )
            return default
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
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.problem(key, f"{value!r} is not an amount", 'write it like "15000" or "1500.50"')
            return default
        if not amount.is_finite() or amount <= 0:
            self.problem(key, f"{value!r} must be a positive amount", 'write it like "15000"')
            return default
        return amount


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
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
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [Problem(str(path), f"is not valid TOML ({exc})", "fix the syntax")], str(path)
        ) from None
    return parse_config(raw, env if env is not None else os.environ, path=path)


def parse_config(
    raw: Mapping[str, Any], env: Mapping[str, str], *, path: Path | None = None
) -> Config:
    r = _Reader(raw, env)
    known = {"store", "bot", "web", "payments", "platforms", "products", "messages", "panel"}
    for key in raw:
        if key not in known:
            r.problem(key, "is not a known section", f"use one of: {', '.join(sorted(known))}")

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
            r.problem(
                f"bot.owners.{platform}", "is not a platform", f"use one of: {', '.join(PLATFORMS)}"
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
        cooldown_seconds=float(cooldown),
        tip_min=tip_min,
        tip_max=tip_max,
        owner_ids=owners,
    )

    web = WebConfig(
        host=r.string("web", "host", "127.0.0.1") or "127.0.0.1",
        port=r.integer("web", "port", 8080, minimum=0),
        public_url=(r.string("web", "public_url", "") or "").rstrip("/") or None,
    )
    if web.public_url and not web.public_url.startswith("https://"):
        r.problem(
            "web.public_url",
            "MercadoPago only notifies https addresses",
            'write public_url = "https://…" or leave it empty to poll',
        )

    mercadopago = _payments(r, needs_secret=web.public_url is not None)
    products = _products(r, raw.get("products", []), currency)
    platforms = {name: _platform(r, name) for name in PLATFORMS}
    for name in r.section("platforms"):
        if name not in PLATFORMS:
            r.problem(
                f"platforms.{name}", "is not a platform", f"use one of: {', '.join(PLATFORMS)}"
            )

    messages: dict[str, dict[str, str]] = {}
    for lang, templates in r.section("messages").items():
        if lang not in LOCALES:
            r.problem(
                f"messages.{lang}", "is not a reply language", "use [messages.es], .en or .pt"
            )
        elif isinstance(templates, Mapping):
            messages[lang] = {str(k): str(v) for k, v in templates.items()}

    panel = _panel(r)
    if r.problems:
        raise ConfigError(r.problems, str(path) if path else "config")
    return Config(
        settings=settings,
        database_url=database_url,
        web=web,
        mercadopago=mercadopago,
        products=tuple(products),
        platforms=platforms,
        messages=messages,
        path=path,
        panel=panel,
    )


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


def _platform(r: _Reader, name: str) -> dict[str, Any]:
    """A platform's table, with `env:` secrets resolved only when the platform is enabled."""
    section = dict(r.section(f"platforms.{name}"))
    if section.get("enabled"):
        for key, value in section.items():
            section[key] = r.resolve(f"platforms.{name}.{key}", value)
    return section


def _anchor_sqlite(url: str, base: Path) -> str:
    """A relative SQLite path means 'next to the config file', not 'wherever you ran vivo'."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def _payments(r: _Reader, *, needs_secret: bool) -> MercadoPagoConfig | None:
    """MercadoPago's settings. The webhook secret matters only where webhooks can arrive:
    at home (no public URL) payments are polled, so an unset secret is no error there."""
    provider = r.string("payments", "provider", "mercadopago")
    if provider != "mercadopago":
        r.problem(
            "payments.provider", f"{provider!r} is not supported", 'write provider = "mercadopago"'
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
    if not token:
        if "access_token" not in section:
            r.problem(
                "payments.mercadopago.access_token",
                "is missing",
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
    endpoint = r.string("payments.mercadopago", "endpoint")
    tolerance = r.integer("payments.mercadopago", "signature_tolerance_seconds", 300, minimum=0)
    return MercadoPagoConfig(
        access_token=token,
        webhook_secret=secret or None,
        endpoint=endpoint.rstrip("/") if endpoint else None,
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
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            r.problem(f"{where}.aliases", "must be a list of words", 'write aliases = ["remera"]')
            aliases = []
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
        specs.append(
            ProductSpec(
                sku=sku,
                name=name,
                price=price,
                currency=currency,
                stock=stock,
                aliases=tuple(aliases),
                description=str(item.get("description", "")),
                active=bool(item.get("active", True)),
                max_per_viewer=max_per,
                image_url=item.get("image_url"),
                digital=bool(item.get("digital", False)),
                variants=tuple(variants),
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
        stock = item.get("stock")
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

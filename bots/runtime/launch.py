"""Building a bot from a Config: the store, the payment provider and the enabled adapters."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import fcntl
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

from adapters.base import Adapter
from adapters.console import ConsoleAdapter
from bots.chat.claims import startup_lines
from bots.chat.suggest import make_suggest
from bots.config import Config, ConfigError, Problem, read_config
from bots.plugin import AdapterFactory, ProviderFactory, Registry
from bots.runtime.bot import Bot, Endpoints
from commerce.db import is_sqlite
from commerce.payments.base import PaymentProvider
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store

log = logging.getLogger(__name__)


def make_provider(config: Config) -> PaymentProvider:
    """The provider `[payments] provider` names: ours, or one an enabled plugin registered."""
    factory = provider_factories(config).get(config.payment_provider, _mercadopago)
    return factory(config)


def _mercadopago(config: Config) -> MercadoPagoProvider:
    mp = config.mercadopago
    if mp is None:
        raise ConfigError(
            [
                Problem(
                    "payments.mercadopago",
                    "is missing",
                    "add [payments.mercadopago] (see config.example.toml)",
                )
            ]
        )
    seconds = mp.signature_tolerance_seconds
    return MercadoPagoProvider(
        mp.access_token,
        mp.webhook_secret,
        endpoint=mp.endpoint,
        signature_tolerance=timedelta(seconds=seconds) if seconds else None,
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """What one `vivo run` process runs: which chat platforms (None: every one the config
    enables) and whether the web app (webhooks, overlay, panel, buy pages)."""

    only: tuple[str, ...] | None = None
    web: bool = True

    def platforms(self, config: Config) -> list[str]:
        enabled = config.enabled_platforms()
        if self.only is None:
            return enabled
        unknown = [name for name in self.only if name not in enabled]
        listed = ", ".join(enabled) or "none"
        if unknown:
            raise ConfigError(
                [
                    Problem(
                        f"platforms.{name}",
                        f"is named by --only but not enabled (enabled: {listed})",
                        f"set enabled = true in [platforms.{name}], or leave it out of --only",
                    )
                    for name in unknown
                ],
                str(config.path) if config.path else "config",
            )
        return [name for name in enabled if name in self.only]


def make_adapters(
    config: Config,
    store: Store | None = None,
    *,
    sandbox_url: str | None = None,
    scope: Scope | None = None,
) -> list[Adapter]:
    """The adapters `[platforms.*]` enables (those `scope` keeps), pointed at the real
    platforms."""
    adapters: list[Adapter] = []
    problems: list[Problem] = []
    factories = adapter_factories(config)
    for name in (scope or Scope()).platforms(config):
        section = config.platforms[name]
        try:
            adapters.append(factories[name](config, section, store, sandbox_url))
        except KeyError as exc:  # bots.config requires these; kept for hand-built configs
            problems.append(
                Problem(f"platforms.{name}.{exc.args[0]}", "is missing", _FIXES.get(name, ""))
            )
        except ImportError as exc:
            problems.append(
                Problem(
                    f"platforms.{name}.enabled",
                    f"needs its SDK ({exc.name} is not installed)",
                    f'pip install "vivo[{name}]"',
                )
            )
        except Exception as exc:  # the adapter's own refusal: a missing token file, say
            # its message already says what to run (`vivo auth twitch`); add only the guide
            problems.append(Problem(f"platforms.{name}", str(exc), _GUIDES.get(name, "")))
    if problems:
        raise ConfigError(problems, str(config.path) if config.path else "config")
    return adapters


def check_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Everything `vivo run` would refuse before connecting, in one ConfigError: the file's
    problems, then what each cleanly configured platform lacks (its SDK, its token file)."""
    config, problems = read_config(path, env)
    broken = {p.key.split(".")[1] for p in problems if p.key.startswith("platforms.")}
    clean = {name: s for name, s in config.platforms.items() if name not in broken}
    try:
        make_adapters(dataclasses.replace(config, platforms=clean))
    except ConfigError as exc:
        problems = [*problems, *exc.problems]
    if problems:
        raise ConfigError(problems, str(path))
    return config


TWITCH_TOKENS = ".vivo/twitch-tokens.json"
YOUTUBE_TOKENS = ".vivo/youtube-token.json"

_FIXES = {
    "telegram": 'write token = "env:TELEGRAM_TOKEN" (from BotFather)',
    "discord": 'write token = "env:DISCORD_TOKEN" (Developer Portal > Bot)',
    "twitch": "see docs/platforms/twitch.md, then run `vivo auth twitch`",
    "youtube": "see docs/platforms/youtube.md, then run `vivo auth youtube`",
}
_GUIDES = {name: f"see docs/platforms/{name}.md" for name in _FIXES}


def _console(
    config: Config, section: Mapping[str, Any], store: Store | None, sandbox_url: str | None
) -> Adapter:
    return ConsoleAdapter(sandbox_url=sandbox_url)


def _telegram(
    config: Config, section: Mapping[str, Any], store: Store | None, sandbox_url: str | None
) -> Adapter:
    from adapters.telegram import TelegramAdapter, TelegramWebhook

    webhook = None
    if section.get("webhook_secret"):
        webhook = TelegramWebhook(
            secret_token=str(section["webhook_secret"]),
            url=section.get("webhook_url"),
            port=int(section.get("webhook_port", 8443)),
        )
    return TelegramAdapter(
        str(section["token"]),
        endpoint=section.get("endpoint"),
        owner_ids=config.settings.owner_ids.get("telegram", ()),
        webhook=webhook,
        locale=config.settings.locale,
    )


def _discord(
    config: Config, section: Mapping[str, Any], store: Store | None, sandbox_url: str | None
) -> Adapter:
    from adapters.discord import DiscordAdapter

    return DiscordAdapter(
        str(section["token"]),
        endpoint=section.get("endpoint"),
        moderator_roles=tuple(section.get("moderator_roles", ())),
        suggest=make_suggest(store) if store is not None else None,
    )


def _twitch(
    config: Config, section: Mapping[str, Any], store: Store | None, sandbox_url: str | None
) -> Adapter:
    from adapters.twitch import BitsValue, TwitchAdapter

    base = config.path.parent if config.path else Path.cwd()
    tokens = base / Path(str(section.get("tokens", TWITCH_TOKENS))).expanduser()
    bits = BitsValue(
        currency=str(section.get("bits_currency", "USD")),
        rate=Decimal(str(section.get("bits_rate", "1"))),
    )
    return TwitchAdapter.from_token_file(
        str(section["client_id"]),
        str(section["client_secret"]),
        tokens,
        channel=str(section["channel"]),
        endpoint=section.get("endpoint"),
        bits_value=bits,
    )


def _youtube(
    config: Config, section: Mapping[str, Any], store: Store | None, sandbox_url: str | None
) -> Adapter:
    from adapters.youtube import YouTubeAdapter
    from adapters.youtube_auth import credentials_for

    base = config.path.parent if config.path else Path.cwd()
    token_file = base / Path(str(section.get("token_file", YOUTUBE_TOKENS))).expanduser()
    return YouTubeAdapter(
        credentials_for(token_file),
        video_id=section.get("video_id") or None,
        endpoint=section.get("endpoint"),
        daily_budget=int(section.get("daily_budget", 10_000)),
        stream_hours=float(section.get("stream_hours", 3)),
        # the day's units spent, next to the token: a restart does not plan with a fresh 10,000
        quota_file=token_file.with_name("youtube-quota.json"),
    )


def register(registry: Registry[None]) -> None:
    """Vivo's own platforms and provider, added the way a plugin adds its own."""
    registry.adapter("console", _console)
    registry.adapter("telegram", _telegram)
    registry.adapter("discord", _discord)
    registry.adapter("twitch", _twitch)
    registry.adapter("youtube", _youtube)
    registry.provider("mercadopago", _mercadopago)


BUILTIN: Registry[None] = Registry("")
register(BUILTIN)


def adapter_factories(config: Config) -> dict[str, AdapterFactory]:
    """Every platform this config can enable: ours, then the enabled plugins'."""
    found = dict(BUILTIN.adapters)
    for loaded in config.plugins:
        found.update(loaded.registry.adapters)
    return found


def provider_factories(config: Config) -> dict[str, ProviderFactory]:
    found = dict(BUILTIN.providers)
    for loaded in config.plugins:
        found.update(loaded.registry.providers)
    return found


def stored_secrets(config: Config) -> list[str]:
    """Tokens that `vivo auth` saved for the enabled platforms (the log redactor hides them
    too). Tokens a platform refreshes later are not known here."""
    base = config.path.parent if config.path else Path.cwd()
    files = {
        "twitch": ("tokens", TWITCH_TOKENS),
        "youtube": ("token_file", YOUTUBE_TOKENS),
    }
    found: list[str] = []
    for name, (key, default) in files.items():
        if name not in config.enabled_platforms():
            continue
        path = base / Path(str(config.platforms[name].get(key, default))).expanduser()
        with contextlib.suppress(OSError, ValueError):
            found += _secret_strings(json.loads(path.read_text(encoding="utf-8")))
    return found


def _secret_strings(node: object, key: str = "") -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _secret_strings(v, str(k))]
    if isinstance(node, list):
        return [s for v in node for s in _secret_strings(v, key)]
    if isinstance(node, str) and ("token" in key or "secret" in key):
        return [node]
    return []


def open_store(config: Config) -> Store:
    """The migrated store, seeded with the config's products that it has never seen.

    The database owns the catalog after the first start: a restart never changes stock,
    price or active (docs/configuration.md). `vivo products import` is the explicit way to
    make a file win."""
    store = Store(config.database_url)
    store.migrate(apart=True)
    store.seed_catalog(list(config.products))
    store.seed_coupons(list(config.coupons))  # new codes only: the panel owns the rest
    return store


def catalog_drift(store: Store, config: Config) -> list[str]:
    """SKUs whose row in the store differs from the config's [[products]] (owner's edits)."""
    from commerce.imports import ChangeKind

    plan = store.import_catalog(list(config.products), apply=False)
    return [p.sku for p in plan.products if p.kind is ChangeKind.CHANGED]


async def run_bot(
    config: Config, *, log_file: Path | None = None, scope: Scope | None = None
) -> int:
    scope = scope or Scope()
    guard = single_process_guard(config)
    try:
        return await _run_bot(config, log_file, scope)
    finally:
        if guard is not None:
            guard.close()


async def _run_bot(config: Config, log_file: Path | None, scope: Scope) -> int:
    chats = scope.platforms(config)
    store = open_store(config)
    adapters = make_adapters(config, store, scope=scope)
    bot = Bot(config, store, make_provider(config), adapters, serve_web=scope.web)
    where = str(config.path) if config.path else "config.toml"
    endpoints = await start_web(
        bot, where, f"set [web] port in {where} to a free port, or stop the other program"
    )
    summary = startup_summary(config, endpoints, log_file=log_file, chats=chats)
    print(summary, file=sys.stderr, flush=True)
    if scope.web:
        print(f"Panel sign-in link (one use): {bot.panel_link()}", file=sys.stderr)
    print(startup_lines(bot.claims, bot.adapters), file=sys.stderr, flush=True)
    drift = catalog_drift(store, config)
    if drift:
        source = config.path.name if config.path else "the config"
        print(
            f"note: the store keeps its own stock and prices for {', '.join(drift)} "
            f"(they differ from {source}); to apply the file: vivo products import {source}",
            file=sys.stderr,
        )
    await bot.start_adapters()
    await wait_for_exit(bot)
    return 0


async def start_web(bot: Bot, source: str, fix: str) -> Endpoints:
    """The bot's services, with a port someone else holds said as the setting to change
    instead of `OSError: [Errno 98]`."""
    try:
        return await bot.start_services()
    except OSError as exc:
        address = f"{bot.config.web.host}:{bot.web_port}"
        if exc.errno == errno.EADDRINUSE:
            message = f"{address} is already in use (another Vivo, or another program)"
        elif exc.errno == errno.EACCES:
            message = f"{address} needs privileges (ports below 1024 do)"
        else:
            raise
        await bot.stop()
        await asyncio.to_thread(bot.store.close)
        raise ConfigError([Problem("web.port", message, fix)], source) from None


def single_process_guard(config: Config) -> IO[str] | None:
    """Refuse a second `vivo run` on one SQLite store, in words. SQLite serves one process:
    two would each expire, poll and thank on their own. The lock is a file next to the
    database, held while the process lives (the system lets go of it on any exit, even
    `kill -9`). PostgreSQL stores need none: their processes share the work."""
    if not is_sqlite(config.database_url):
        return None
    database = make_url(config.database_url).database
    if database in (None, "", ":memory:"):
        return None
    path = Path(database).with_name(Path(database).name + ".lock")
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise ConfigError(
            [
                Problem(
                    "store.database_url",
                    f"{database} is already served by another `vivo run` (pid {holder}); "
                    "a SQLite store serves one process",
                    "stop the other one, or move the store to PostgreSQL "
                    '(database_url = "postgresql://…") to run several: docs/deploy.md',
                )
            ],
            str(config.path) if config.path else "config",
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def startup_summary(
    config: Config,
    endpoints: Endpoints,
    *,
    log_file: Path | None,
    payments: str | None = None,
    chats: Sequence[str] | None = None,
) -> str:
    """What an owner opens once the bot runs, in a few lines: the web app, the overlay for
    OBS, where the QR codes lead, and how payments arrive."""
    web = endpoints.web_url or "not served by this process (--no-web)"
    public = config.web.public_url
    if public:
        buy = f"{public}/c/<sku>"
        hook = f"{public}/webhooks/{config.payment_provider}"
        how = f"webhook at {hook} (and a slow poll as a safety net)"
    else:
        buy = f"{web}/c/<sku>  (phones reach it with [web] public_url: docs/public-url.md)"
        named = "MercadoPago" if config.payment_provider == "mercadopago" else None
        source = named or config.payment_provider
        how = f"polled from {source} every few seconds (no [web] public_url)"
    payments = payments or how
    lines = [
        f"Vivo is running for {config.settings.store_name}.",
        f"  Web app:        {web}",
        f"  Overlay (OBS):  {web}/overlay   try ?layout=side&theme=neon&preview=1"
        " (docs/overlay.md)",
        f"  QR buy pages:   {buy}",
        f"  Payments:       {payments}",
        f"  Chat:           {', '.join(chats or config.enabled_platforms()) or 'none'}",
    ]
    if log_file is not None:
        lines.append(f"  Log:            {log_file}")
    lines.append("  Ctrl-C to stop.")
    return "\n".join(lines)


async def wait_for_exit(bot: Bot) -> None:
    """Until Ctrl-C, SIGTERM or (for the console) the end of input; then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.ensure_future(stop.wait())]
    console = bot.adapters.get("console")
    if isinstance(console, ConsoleAdapter):
        waiters.append(asyncio.ensure_future(console.eof.wait()))
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    if isinstance(console, ConsoleAdapter) and console.eof.is_set() and not stop.is_set():
        await bot.wait_idle()
    for w in waiters:
        w.cancel()
    await bot.stop()
    store = bot.store
    await asyncio.to_thread(store.close)

"""The `vivo` command: demo, run, init, check, products, orders, panel, db, webhooks.

Every subcommand that touches the store reads the same config file, so the owner's
terminal and the running bot always agree on which database they mean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from bots.cli import delivery as cli_delivery
from bots.cli import giveaways as cli_giveaways
from bots.cli import owners as cli_owners
from bots.cli import webhooks as cli_webhooks
from bots.config import Config, ConfigError, Problem, load_config, load_store_config
from commerce.errors import CommerceError, InvalidAmount
from commerce.money import Money, format_money, parse_amount
from commerce.store import Store
from commerce.views import OrderStatus, OrderView, ProductSpec, ProductView

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # SDK chatter a streamer can do nothing about (voice support, optional web adapters).
        for name in ("discord", "twitchio", "telegram", "httpx", "googleapiclient"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        result: int = args.func(args)
        sys.stdout.flush()  # inside the try: a reader that went away is answered below
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except CommerceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `vivo orders export --csv - | head`: the reader has what it wanted; say nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return result


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vivo", description="Chat commerce for live streams.")
    p.add_argument("-v", "--verbose", action="store_true", help="log everything")
    sub = p.add_subparsers(metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the bot on the sandbox, no credentials needed")
    demo.add_argument("--web-port", type=int, default=0)
    demo.add_argument("--sandbox-port", type=int, default=0)
    demo.add_argument(
        "--config", "-c", type=Path, default=None, help="default: config.example.toml"
    )
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="run the bot with your config")
    _config_arg(run)
    what = run.add_mutually_exclusive_group()
    what.add_argument(
        "--only",
        metavar="PLATFORMS",
        help="run only these chat platforms, comma-separated (twitch,discord); "
        "other processes on the same PostgreSQL store run the rest",
    )
    what.add_argument(
        "--web-only",
        action="store_true",
        help="run the web app (webhooks, overlay, panel), no chat",
    )
    run.add_argument("--no-web", action="store_true", help="run no web app in this process")
    run.set_defaults(func=_run)

    init = sub.add_parser("init", help="write config.toml from the example")
    init.add_argument("path", nargs="?", default="config.toml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=_init)

    check = sub.add_parser("check", help="validate the config and say what to fix")
    _config_arg(check)
    check.set_defaults(func=_check)

    plugins = _group(sub, "plugins", "installed plugins and what they add")
    plugins_list = plugins.add_parser("list", help="installed, enabled, and what each adds")
    _config_arg(plugins_list)
    plugins_list.set_defaults(func=_plugins_list)

    products = _group(sub, "products", "list and edit merchandise")
    plist = products.add_parser("list", help="products with price and available/stock")
    _config_arg(plist)
    plist.add_argument("--all", action="store_true", help="include products not on sale")
    plist.set_defaults(func=_products_list)
    padd = products.add_parser("add", help="add a new product (--update to change one)")
    _config_arg(padd)
    padd.add_argument("sku")
    padd.add_argument("name")
    padd.add_argument("price", help="as in chat: 15000, 15.000 or 1500,50")
    padd.add_argument("--stock", type=int, default=0)
    padd.add_argument("--alias", action="append", default=[])
    padd.add_argument(
        "--update", action="store_true", help="the SKU exists: replace its name, price and stock"
    )
    padd.set_defaults(func=_products_add)
    pstock = products.add_parser("set-stock", help="set a product's (or variant's) stock")
    _config_arg(pstock)
    pstock.add_argument("sku")
    pstock.add_argument("stock", type=int)
    pstock.add_argument("--variant", help='e.g. "talle=M"')
    pstock.set_defaults(func=_products_set_stock)
    pimport = products.add_parser(
        "import",
        help="make the store match a file: [[products]] TOML or a CSV; shows the changes",
    )
    _config_arg(pimport)
    pimport.add_argument("file")
    pimport.add_argument(
        "--dry-run", action="store_true", help="show what would change and change nothing"
    )
    pimport.set_defaults(func=_products_import)

    orders = _group(sub, "orders", "see, export and refund orders")
    olist = orders.add_parser("list", help="latest orders, newest first")
    _config_arg(olist)
    olist.add_argument("--status", choices=[s.value for s in OrderStatus])
    olist.set_defaults(func=_orders_list)
    oshow = orders.add_parser("show", help="one order's lines and payment link")
    _config_arg(oshow)
    oshow.add_argument("code")
    oshow.set_defaults(func=_orders_show)
    oexport = orders.add_parser("export", help="every order line as CSV")
    _config_arg(oexport)
    oexport.add_argument("--csv", dest="csv_path", default="-", help="file, or - for stdout")
    oexport.set_defaults(func=_orders_export)
    orefund = orders.add_parser("refund", help="give the money back through MercadoPago")
    _config_arg(orefund)
    orefund.add_argument("code")
    orefund.add_argument("--amount", help="a partial refund; default: all of it")
    orefund.set_defaults(func=_orders_refund)
    cli_delivery.add_order_actions(orders, _config_arg, _store_of)
    buyers = _group(sub, "buyers", "buyers' personal data")
    cli_delivery.add_buyer_actions(buyers, _config_arg, _store_of)

    payments = _group(sub, "payments", "MercadoPago payments")
    psync = payments.add_parser("sync", help="ask MercadoPago about every pending order now")
    _config_arg(psync)
    psync.set_defaults(func=_payments_sync)
    pinbox = payments.add_parser(
        "inbox", help="notifications refused, given up on or still failing (--all: every one)"
    )
    _config_arg(pinbox)
    pinbox.add_argument("--all", action="store_true", help="also those processed normally")
    pinbox.add_argument("--limit", type=int, default=50, help="default: 50, newest first")
    pinbox.set_defaults(func=_payments_inbox)

    auth = _group(sub, "auth", "sign the bot in to a platform", metavar="PLATFORM")
    twitch = auth.add_parser("twitch", help="device-code sign-in for the bot and the broadcaster")
    _config_arg(twitch)
    twitch.add_argument("--only", choices=["bot", "broadcaster"], help="sign in just one account")
    twitch.set_defaults(func=_auth_twitch)
    youtube = auth.add_parser("youtube", help="Google sign-in (installed-app flow, loopback)")
    _config_arg(youtube)
    youtube.add_argument(
        "--client-secrets", required=True, help="the OAuth client JSON from Google Cloud"
    )
    youtube.set_defaults(func=_auth_youtube)

    panel = sub.add_parser(
        "panel",
        help="a one-time sign-in link to the owner's panel",
        description="Print a one-time sign-in link to the owner's panel (vivo panel), "
        "invite a helper (vivo panel invite --staff), or sign every browser out "
        "(vivo panel logout --all).",
    )
    _config_arg(panel)
    panel.set_defaults(func=_panel_link)
    panel_actions = panel.add_subparsers(metavar="ACTION", title="actions")
    pinvite = panel_actions.add_parser("invite", help="a sign-in link for a helper")
    _config_arg(pinvite)
    pinvite.add_argument(
        "--staff", action="store_true", required=True, help="sees and fulfils orders only"
    )
    pinvite.set_defaults(func=_panel_invite)
    plogout = panel_actions.add_parser("logout", help="sign browsers out of the panel")
    _config_arg(plogout)
    plogout.add_argument("--all", action="store_true", required=True, help="every browser")
    plogout.set_defaults(func=_panel_logout)

    db = _group(sub, "db", "database schema")
    upgrade = db.add_parser("upgrade", help="create or migrate the schema")
    _config_arg(upgrade)
    upgrade.set_defaults(func=_db_upgrade)
    cli_owners.register(sub)
    cli_giveaways.register(sub)
    cli_webhooks.register(sub)
    return p


def _group(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help: str,
    *,
    metavar: str = "ACTION",
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command with actions (`vivo products list`); alone, it prints its own help."""
    parser = sub.add_parser(name, help=help, description=help)
    actions = parser.add_subparsers(metavar=metavar, title="actions")

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)
    return actions


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", default="config.toml", help="default: ./config.toml")


def _load(args: argparse.Namespace, *, everything: bool = False) -> Config:
    """The config, checked whole for commands that run the bot or talk to MercadoPago
    (`everything`). Commands that only touch the store (`vivo products list`) overlook
    problems in [payments] and [platforms]: an owner editing stock between streams needs
    no MercadoPago token in the environment. `vivo check` still reports them."""
    return load_config(args.config) if everything else load_store_config(args.config)


def _store_of(args: argparse.Namespace) -> Store:
    return _store(_load(args))


def _store(config: Config) -> Store:
    store = Store(config.database_url)
    store.migrate()
    return store


def _demo(args: argparse.Namespace) -> int:
    from bots.runtime.demo import run_demo

    where = {"config_path": args.config} if args.config is not None else {}
    return asyncio.run(run_demo(web_port=args.web_port, sandbox_port=args.sandbox_port, **where))


def _run(args: argparse.Namespace) -> int:
    from bots.runtime.launch import Scope, run_bot, stored_secrets
    from bots.runtime.logs import install_redactor, route_to_file, use_json

    if args.web_only and args.no_web:
        print("--web-only and --no-web leave this process nothing to do", file=sys.stderr)
        return 2
    only: tuple[str, ...] | None = None
    if args.web_only:
        only = ()
    elif args.only is not None:
        only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    scope = Scope(only=only, web=not args.no_web)
    config = _load(args, everything=True)
    log_file = None
    if "console" in scope.platforms(config):
        # the chat is in this terminal: log lines would bury it
        base = config.path.parent if config.path else Path.cwd()
        log_file = (base / ".vivo" / "vivo.log").resolve()
        route_to_file(log_file)
    if config.logging.format == "json":
        use_json()
    install_redactor([*config.secrets(), *stored_secrets(config)])
    return asyncio.run(run_bot(config, log_file=log_file, scope=scope))


def _init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.exists() and not args.force:
        print(f"{target} already exists; use --force to overwrite it", file=sys.stderr)
        return 1
    shutil.copyfile(EXAMPLE, target)
    print(f"wrote {target}. Next: edit the [[products]], then `vivo check`.")
    return 0


def _plugins_list(args: argparse.Namespace) -> int:
    from bots.cli.plugins_report import report

    print(report(Path(args.config)))
    return 0


def _check(args: argparse.Namespace) -> int:
    from bots.runtime.launch import check_config

    # the file's problems and what `vivo run` needs next (SDKs, token files), in one list
    config = check_config(args.config)
    print(
        f"{args.config} is valid: {len(config.products)} products, "
        f"platforms: {', '.join(config.enabled_platforms()) or 'none'}"
    )
    if config.web.public_url is None:
        print(
            "note: no web.public_url, so payments are found by polling MercadoPago "
            "every few seconds (fine at home)."
        )
    if "telegram" in config.enabled_platforms():
        print(
            "note: in Telegram groups the bot only sees !comprar with privacy mode off "
            "(BotFather > /setprivacy); /comprar always works."
        )
    return 0


def _products_list(args: argparse.Namespace) -> int:
    config = _load(args)
    for product in _store(config).list_products(include_inactive=args.all):
        _print_product(product, config.settings.locale, sys.stdout)
    return 0


def _print_product(p: ProductView, locale: str, out: TextIO) -> None:
    state = "" if p.active else "  (pausado)"
    out.write(
        f"{p.sku:<12} {p.name:<28} {format_money(p.price, locale):>14}  "
        f"{p.available}/{p.stock}{state}\n"
    )
    for v in p.variants:
        out.write(
            f"{'':<12}   {v.key:<25} {format_money(v.price, locale):>14}  {v.available}/{v.stock}\n"
        )


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise SystemExit(f"{what}: {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise SystemExit(f"{what}: must be positive")
    return value


def _price(text: str, config: Config) -> Decimal:
    """A price as the owner would type it in chat (`15.000`, `1500,50`), never a float."""
    try:
        return parse_amount(text, config.settings.currency, config.settings.locale)
    except InvalidAmount:
        raise SystemExit(
            f"price: {text!r} is not a price in {config.settings.currency} "
            "(write it like 15000, 15.000 or 1500,50)"
        ) from None


def _products_add(args: argparse.Namespace) -> int:
    config = _load(args)
    spec = ProductSpec(
        sku=args.sku,
        name=args.name,
        price=_price(args.price, config),
        currency=config.settings.currency,
        stock=args.stock,
        aliases=tuple(args.alias),
    )
    store = _store(config)
    if args.update:
        products = store.sync_catalog([spec])
    elif store.seed_catalog([spec]):
        products = [store.get_product(args.sku)]
    else:
        existing = store.get_product(args.sku)
        print(
            f"error: {existing.sku} already exists ({existing.name}, "
            f"{format_money(existing.price, config.settings.locale)}, stock {existing.stock}); "
            "nothing changed. Use --update to replace it, or `vivo products set-stock`.",
            file=sys.stderr,
        )
        return 1
    for product in products:
        _print_product(product, config.settings.locale, sys.stdout)
    return 0


def _products_set_stock(args: argparse.Namespace) -> int:
    config = _load(args)
    product = _store(config).set_stock(args.sku, args.stock, args.variant)
    _print_product(product, config.settings.locale, sys.stdout)
    return 0


def _products_import(args: argparse.Namespace) -> int:
    from bots.cli.catalog_files import ProductFileError, read_products
    from commerce.imports import ChangeKind

    config = _load(args)
    path = Path(args.file)
    try:
        specs = read_products(path, config.settings.currency, config.settings.locale)
    except ProductFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    plan = _store(config).import_catalog(specs, apply=not args.dry_run)
    marks = {ChangeKind.NEW: "+", ChangeKind.CHANGED: "~", ChangeKind.UNCHANGED: "="}
    for change in plan.products:
        detail = "; ".join(f"{f.field} {f.before} → {f.after}" for f in change.fields)
        if change.kind is ChangeKind.NEW:
            detail = "new product"
        print(f"  {marks[change.kind]} {change.sku:<14} {detail or 'unchanged'}")
    summary = (
        f"{plan.count(ChangeKind.NEW)} new, {plan.count(ChangeKind.CHANGED)} changed, "
        f"{plan.count(ChangeKind.UNCHANGED)} unchanged"
    )
    if plan.problems:
        for problem in plan.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"refused: nothing was changed ({summary} in {path.name})", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"dry run: {summary}; nothing was changed. Run it without --dry-run to apply.")
    else:
        print(f"imported {path.name}: {summary}. Products not in the file were left as they are.")
    return 0


def _orders_list(args: argparse.Namespace) -> int:
    config = _load(args)
    status = OrderStatus(args.status) if args.status else None
    for order in _store(config).list_orders(status):
        _print_order(order, config.settings.locale)
    return 0


def _print_order(o: OrderView, locale: str) -> None:
    flag = "  REFUND NEEDED" if o.needs_refund else ""
    print(
        f"{o.code}  {o.status.value:<9} {format_money(o.total, locale):>14}  "
        f"{o.platform}:{o.viewer.display_name}  {o.created_at:%Y-%m-%d %H:%M}{flag}"
    )


def _orders_show(args: argparse.Namespace) -> int:
    config = _load(args)
    order = _store(config).get_order(args.code)
    _print_order(order, config.settings.locale)
    for line in order.lines:
        variant = f" ({line.variant_key})" if line.variant_key else ""
        print(
            f"    {line.quantity} × {line.product_name}{variant}  "
            f"{format_money(line.unit_price, config.settings.locale)}"
        )
    if order.payment_url:
        print(f"    pago: {order.payment_url}")
    return 0


def _orders_refund(args: argparse.Namespace) -> int:
    from bots.runtime.launch import make_provider
    from bots.runtime.refunds import RefundProblem, refund_order
    from commerce.payments.base import PaymentError

    config = _load(args, everything=True)
    amount = _decimal(args.amount, "--amount") if args.amount else None
    locale = config.settings.locale
    try:
        result = refund_order(_store(config), make_provider(config), args.code, amount)
    except (RefundProblem, PaymentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if result.partial:
        money = format_money(Money(result.refunded, result.order.total.currency), locale)
        print(
            f"refunded {money} of payment {result.payment_id}, partial ({result.provider_status})"
        )
    else:
        print(f"refunded payment {result.payment_id} in full ({result.provider_status})")
    _print_order(result.order, locale)
    return 0


def _payments_sync(args: argparse.Namespace) -> int:
    from bots.runtime.events import EventBus
    from bots.runtime.launch import make_provider
    from bots.runtime.payments import PaymentRecorder, Reconciler
    from commerce.payments.base import PaymentError

    config = _load(args, everything=True)
    store, provider = _store(config), make_provider(config)
    reconciler = Reconciler(store, provider, PaymentRecorder(store, provider, EventBus()))
    try:
        outcomes = asyncio.run(reconciler.sync_once())
    except PaymentError as exc:
        print(f"error: MercadoPago: {exc}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        view = outcome.order or outcome.tip
        code = view.code if view is not None else "-"
        detail = f" ({outcome.detail})" if outcome.detail else ""
        print(f"{code}  {outcome.kind.value}{detail}")
    print(f"{len(outcomes)} change(s)")
    return 0


def _payments_inbox(args: argparse.Namespace) -> int:
    from bots.cli.inbox_report import lines

    rows = _store(_load(args)).recent_notifications(args.limit, problems=not args.all)
    for line in lines(rows):
        print(line)
    if not rows:
        print("no notifications" if args.all else "no notification needs a look")
    return 0


def _orders_export(args: argparse.Namespace) -> int:
    from bots import orders_csv

    store = _store(_load(args))
    with (
        open(args.csv_path, "w", newline="", encoding="utf-8")
        if args.csv_path != "-"
        else contextlib.nullcontext(sys.stdout)
    ) as out:
        out.write(orders_csv.text([orders_csv.COLUMNS]))
        for lines in orders_csv.batches(store):
            given = orders_csv.details(store, lines)
            out.write(orders_csv.text(orders_csv.row(line, given[line.code]) for line in lines))
    return 0


def _auth_twitch(args: argparse.Namespace) -> int:
    from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, device_login, save_tokens
    from bots.runtime.launch import TWITCH_TOKENS

    config = _load(args)
    section = config.platforms["twitch"]
    client_id = _secret(section.get("client_id"), "platforms.twitch.client_id")
    base = config.path.parent if config.path else Path.cwd()
    tokens = base / Path(str(section.get("tokens", TWITCH_TOKENS))).expanduser()
    endpoint = section.get("endpoint")
    roles = [("bot", BOT_SCOPES), ("broadcaster", BROADCASTER_SCOPES)]
    for role, scopes in roles:
        if args.only and args.only != role:
            continue
        who = "the BOT account" if role == "bot" else "the BROADCASTER (channel owner)"
        print(f"Sign in as {who}:")
        got = asyncio.run(device_login(client_id, scopes, endpoint))
        save_tokens(tokens, role, got)
        print(f"saved {role} tokens to {tokens}")
    return 0


def _auth_youtube(args: argparse.Namespace) -> int:
    from adapters.youtube_auth import authorize
    from bots.runtime.launch import YOUTUBE_TOKENS

    config = _load(args)
    section = config.platforms["youtube"]
    base = config.path.parent if config.path else Path.cwd()
    token_file = base / Path(str(section.get("token_file", YOUTUBE_TOKENS))).expanduser()
    authorize(args.client_secrets, token_file)
    print(f"saved the YouTube token to {token_file}")
    return 0


def _secret(value: object, key: str) -> str:
    """A config value that may be "env:NAME", read even while its platform is disabled."""
    text = str(value or "")
    if text.startswith("env:"):
        text = os.environ.get(text[4:], "")
    if not text:
        raise ConfigError([Problem(key, "is missing", "set it in config.toml or the environment")])
    return text


def _panel_base(config: Config) -> str:
    host = config.web.host if config.web.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return config.web.public_url or f"http://{host}:{config.web.port}"


def _panel_link(args: argparse.Namespace, role: str = "owner") -> int:
    from bots.web.panel.auth import sign_in_link
    from commerce.sessions import PanelRole

    config = _load(args)
    link = sign_in_link(_store(config), _panel_base(config), config.panel.link_ttl, PanelRole(role))
    minutes = config.panel.link_minutes
    who = "a helper (staff: sees and fulfils orders)" if role == "staff" else "you"
    print(f"Sign-in link for {who}, works once within {minutes} min (while vivo run is up):")
    print(link)
    return 0


def _panel_invite(args: argparse.Namespace) -> int:
    return _panel_link(args, "staff")


def _panel_logout(args: argparse.Namespace) -> int:
    config = _load(args)
    ended = _store(config).panel_sign_out_all()
    print(f"signed out {ended} browser(s); unused sign-in links no longer work")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    config = _load(args)
    Store(config.database_url).migrate()
    print("database is up to date")
    return 0

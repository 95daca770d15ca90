"""`vivo webhooks list|log|test`: where events go, how the last deliveries went, a test now.

`log` reads the same table the bot's sender writes, so it shows a running bot's retries as
they happen. `test` sends one signed `webhook.test` event at once, outside the retry loop
(it is recorded too, and never retried): the owner sees the receiver's answer right away.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterable

from bots.config import Config, WebhookConfig, load_store_config
from commerce.store import Store
from commerce.webhooks import AttemptView, DeliveryView

_STATES = {"pending": "retrying", "delivered": "delivered", "gave_up": "GAVE UP"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `webhooks` to the top-level `vivo` subcommands."""
    hooks = sub.add_parser(
        "webhooks", help="outgoing webhooks: list, delivery log, send a test event"
    )

    def usage(_args: argparse.Namespace) -> int:
        hooks.print_help()
        return 2

    hooks.set_defaults(func=usage)
    actions = hooks.add_subparsers(metavar="ACTION")
    listing = actions.add_parser("list", help="the [[webhooks]] of the config and their events")
    _config_arg(listing)
    listing.set_defaults(func=_with_store(_list))
    log = actions.add_parser("log", help="the latest deliveries and every attempt, newest first")
    _config_arg(log)
    log.add_argument("--limit", type=int, default=20, help="default: 20 deliveries")
    log.add_argument("--webhook", help="only this webhook (its name)")
    log.set_defaults(func=_with_store(_log))
    test = actions.add_parser("test", help="send a signed test event to a webhook now")
    _config_arg(test)
    test.add_argument("webhook", help="a webhook's name or URL ([[webhooks]] or the panel)")
    test.set_defaults(func=_with_store(_test))


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", default="config.toml", help="default: ./config.toml")


def _with_store(
    action: Callable[[argparse.Namespace, Config, Store], int],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        config = load_store_config(args.config)
        store = Store(config.database_url)
        try:
            store.migrate()
            return action(args, config, store)
        finally:
            store.close()

    return run


def _list(args: argparse.Namespace, config: Config, store: Store) -> int:
    panel = [e for e in store.webhook_endpoints() if config.webhook(e.name) is None]
    if not config.webhooks and not panel:
        print(f"No [[webhooks]] in {args.config} nor in the panel (see docs/webhooks.md).")
    for hook in config.webhooks:
        print(f"{hook.name}  {hook.url}  events: {', '.join(sorted(hook.events))}")
    for e in panel:
        state = "panel" if e.enabled else "panel, paused"
        print(f"{e.name}  {e.url}  events: {', '.join(sorted(e.events))}  ({state})")
    return 0


def _find(config: Config, store: Store, wanted: str) -> WebhookConfig | None:
    """A config webhook by name or URL, else a panel one (paused ones too)."""
    hook = config.webhook(wanted)
    if hook is not None:
        return hook
    for e in store.webhook_endpoints():
        if wanted in (e.name, e.url):
            return WebhookConfig(e.name, e.url, e.events, e.secret)
    return None


def _log(args: argparse.Namespace, config: Config, store: Store) -> int:
    found = store.recent_webhooks(args.limit, args.webhook)
    for line in lines(found):
        print(line)
    if not found:
        print("no webhook deliveries yet")
    return 0


def _test(args: argparse.Namespace, config: Config, store: Store) -> int:
    from bots.runtime.webhooks import WebhookSender

    hook = _find(config, store, args.webhook)
    if hook is None:
        every = [h.name for h in config.webhooks] + [e.name for e in store.webhook_endpoints()]
        names = ", ".join(every) or "none yet"
        print(
            f"error: {args.webhook!r} is not a webhook of {args.config} (webhooks: {names});"
            " add it as [[webhooks]] with url, events and secret (docs/webhooks.md)",
            file=sys.stderr,
        )
        return 1
    sender = WebhookSender(store, [hook], store_name=config.settings.store_name)
    delivery, attempt = asyncio.run(sender.send_test(hook))
    print(f"{_describe(hook)}: {_attempt(attempt)}  event {delivery.event_id}")
    return 0 if attempt.error is None else 1


def _describe(hook: WebhookConfig) -> str:
    return f"{hook.name} ({hook.url})"


def _attempt(a: AttemptView) -> str:
    answer = f"HTTP {a.status_code}" if a.status_code is not None else "no answer"
    problem = f" ({a.error})" if a.error and a.status_code is None else ""
    return f"{answer}{problem} in {a.duration_ms} ms"


def lines(found: Iterable[tuple[DeliveryView, list[AttemptView]]]) -> list[str]:
    """A delivery per line, then one indented line per attempt."""
    out: list[str] = []
    for d, attempts in found:
        state = _STATES.get(d.state, d.state)
        if d.state == "pending" and d.attempts:
            state += f" at {d.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"
        elif d.state == "pending":
            state = "waiting"
        out.append(
            f"{d.created_at:%Y-%m-%d %H:%M:%S}Z  {d.endpoint}  {d.event_type}  {d.event_id}"
            f"  {state}  attempts: {d.attempts}"
        )
        for a in attempts:
            out.append(f"    {a.at:%Y-%m-%d %H:%M:%S}Z  {_attempt(a)}")
    return out

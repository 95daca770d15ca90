"""`vivo owners list|remove`: the accounts that claimed the store with `!soy-dueño CODE`.

Kept apart from bots.cli.main so the owner's commands are one small module; bots.cli.main only
registers them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bots.config import Config, load_store_config
from commerce.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `owners` to the top-level `vivo` subcommands."""
    owners = sub.add_parser("owners", help="accounts that claimed the store with a code")

    def usage(_args: argparse.Namespace) -> int:
        owners.print_help()
        return 2

    owners.set_defaults(func=usage)
    actions = owners.add_subparsers(metavar="ACTION")
    listing = actions.add_parser("list", help="every owner recorded by `!soy-dueño CODE`")
    _config_arg(listing)
    listing.set_defaults(func=_with_store(_list))
    remove = actions.add_parser("remove", help="forget an owner: vivo owners remove telegram 42")
    remove.add_argument("platform")
    remove.add_argument("user_id")
    _config_arg(remove)
    remove.set_defaults(func=_with_store(_remove))


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
    recorded = store.list_owners()
    for owner in recorded:
        when = owner.claimed_at.strftime("%Y-%m-%d %H:%M UTC")
        print(f"{owner.platform:<9} {owner.user_id:<20} {owner.display_name}  (since {when})")
    in_config = sum(len(ids) for ids in config.settings.owner_ids.values())
    if not recorded:
        print("No owner has claimed the store with a code yet (vivo run prints the codes).")
    if in_config:
        print(f"Also {in_config} owner id(s) in [bot.owners] of {args.config}.")
    return 0


def _remove(args: argparse.Namespace, config: Config, store: Store) -> int:
    if store.remove_owner(args.platform, args.user_id):
        print(f"{args.platform} {args.user_id} is no longer an owner.")
        return 0
    print(
        f"error: no owner {args.user_id!r} on {args.platform!r} was recorded by code"
        " (see `vivo owners list`; [bot.owners] is edited in the config file)",
        file=sys.stderr,
    )
    return 1

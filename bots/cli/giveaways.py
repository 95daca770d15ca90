"""`vivo giveaways list|show <id>`: past giveaways, and one draw checked by hand.

`show` prints what anyone needs to recompute a draw: the commitment published at the start,
the seed revealed at the draw (and whether it matches), the entry list exactly as hashed
(`platform:user_id`, one a line, in the order recorded) and the winner recomputed from them
with the recipe in commerce.giveaways (docs/live-selling.md, Giveaways).
"""

from __future__ import annotations

import argparse
import sys

from bots.cli.owners import _config_arg, _with_store
from bots.config import Config
from commerce import giveaways
from commerce.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `giveaways` to the top-level `vivo` subcommands."""
    parser = sub.add_parser("giveaways", help="giveaways (!sorteo) and their verifiable draws")

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)
    actions = parser.add_subparsers(metavar="ACTION")
    show = actions.add_parser(
        "show", help="seed, commitment, entries and the winner recomputed", aliases=["verify"]
    )
    show.add_argument("id", type=int, help="the giveaway's number (said in chat at the draw)")
    _config_arg(show)
    show.set_defaults(func=_with_store(_show))


def _show(args: argparse.Namespace, config: Config, store: Store) -> int:
    try:
        proof = store.giveaway_proof(args.id)
    except giveaways.GiveawayNotFound:
        print(f"error: no giveaway {args.id}", file=sys.stderr)
        return 1
    shown = proof.giveaway
    print(f"giveaway {shown.id}: {shown.product} ({shown.sku}), {shown.status}")
    print(f"opened     {shown.started_at:%Y-%m-%d %H:%M:%S} UTC")
    print(f"commitment {shown.commitment}")
    if proof.seed_hex is None:
        print("seed       (secret until the draw)")
    else:
        verdict = "matches the commitment" if proof.commitment_ok else "DOES NOT MATCH"
        print(f"seed       {proof.seed_hex}  ({verdict})")
    print(f"entries    {len(proof.entries)}")
    for entry in proof.entries:
        print(f"  {entry.number:>4}  {entry.platform}:{entry.user_id}  {entry.name}")
    if proof.recomputed is not None:
        chosen = proof.entries[proof.recomputed]
        recorded = shown.winner
        same = recorded is not None and recorded.number == chosen.number
        print(
            f"recomputed winner: #{chosen.number} {chosen.platform}:{chosen.user_id}"
            f" ({chosen.name}) — {'the recorded winner' if same else 'NOT the recorded winner'}"
        )
        if not same or not proof.commitment_ok:
            return 1
    return 0

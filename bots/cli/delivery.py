"""`vivo orders ship|delivered|ready|picked-up|packing-list` and `vivo buyers forget`.

Fulfilment from the terminal, on the store only (no MercadoPago token needed). Each step is
idempotent: marking an order shipped twice says so and changes nothing. The CLI runs apart
from the bot, so it tells no buyer; the steps land in each order's history (order_events),
where the panel shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from commerce.fulfilment import Transition
from commerce.store import Store
from commerce.views import DeliveryDetails

Register = Callable[[argparse.ArgumentParser], None]
Open = Callable[[argparse.Namespace], Store]


def add_order_actions(
    orders: argparse._SubParsersAction[argparse.ArgumentParser],
    config_arg: Register,
    open_store: Open,
) -> None:
    ship = orders.add_parser("ship", help="mark paid orders shipped (optional carrier, tracking)")
    config_arg(ship)
    ship.add_argument("codes", nargs="+", metavar="CODE")
    ship.add_argument("--carrier", help="who carries it, e.g. Correo Argentino")
    ship.add_argument("--tracking", help="the tracking number")
    ship.set_defaults(
        func=lambda a: _report(
            open_store(a).mark_shipped(a.codes, a.carrier, a.tracking, actor="cli"), "shipped"
        )
    )
    for name, what, method in (
        ("delivered", "a shipped (or digital) order reached its buyer", "mark_delivered"),
        ("ready", "a pickup order is ready to be picked up", "mark_ready_for_pickup"),
        ("picked-up", "a pickup order was picked up", "mark_picked_up"),
    ):
        step = orders.add_parser(name, help=what)
        config_arg(step)
        step.add_argument("codes", nargs="+", metavar="CODE")
        step.set_defaults(func=_step(open_store, method, name))
    packing = orders.add_parser("packing-list", help="paid orders to pack, by buyer and address")
    config_arg(packing)
    packing.set_defaults(func=lambda a: _packing_list(open_store(a)))


def add_buyer_actions(
    buyers: argparse._SubParsersAction[argparse.ArgumentParser],
    config_arg: Register,
    open_store: Open,
) -> None:
    forget = buyers.add_parser(
        "forget", help="erase one buyer's personal data (orders and amounts are kept)"
    )
    config_arg(forget)
    forget.add_argument("platform", help="twitch, youtube, discord, telegram, web…")
    forget.add_argument("user", help="the buyer's user id on that platform")
    forget.set_defaults(func=lambda a: _forget(open_store(a), a.platform, a.user))


def _step(open_store: Open, method: str, word: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        store = open_store(args)
        done = [getattr(store, method)(code, actor="cli") for code in args.codes]
        return _report(done, word)

    return run


def _report(done: list[Transition], word: str) -> int:
    for t in done:
        o = t.order
        tracking = " ".join(p for p in (o.carrier, o.tracking) if p)
        state = f"{word}" if t.changed else f"already {o.fulfilment}"
        print(f"{o.code}  {state}{'  ' + tracking if tracking else ''}")
    return 0


def _address(d: DeliveryDetails | None) -> str:
    if d is None:
        return "(no delivery details yet)"
    parts = [d.street, d.city, d.province, d.postal_code]
    return ", ".join(p for p in parts if p) or "(no address)"


def _packing_list(store: Store) -> int:
    groups = store.packing_list()
    if not groups:
        print("nothing to pack")
        return 0
    for g in groups:
        who = g.details.name if g.details and g.details.name else g.buyer.display_name
        contact = g.details.contact if g.details else ""
        where = _address(g.details) if g.method == "ship" else f"pickup at {g.destination or '?'}"
        print(f"{who} ({g.buyer.platform}) {contact}".rstrip())
        print(f"  {where}")
        if g.details and g.details.notes:
            print(f"  notes: {g.details.notes}")
        print(f"  orders: {', '.join(g.orders)}")
        for line in g.lines:
            variant = f" ({line.variant_key})" if line.variant_key else ""
            print(f"    {line.quantity} × {line.name}{variant}  [{line.sku}]")
        print()
    return 0


def _forget(store: Store, platform: str, user: str) -> int:
    if store.forget_buyer(platform, user):
        print(f"erased the personal data of {platform}:{user}; orders and payments are kept")
        return 0
    print(f"no buyer {platform}:{user} in this store")
    return 1

"""Buyers' personal data: what is erased, when, and what is never stored.

Personal data is the buyer's name, contact and address (delivery_details), the name they
are greeted by (viewers.display_name), their platform user id, the payer data a provider
sends with a payment, and what they wrote: tip and shout-out messages (free text that can
name them), kept also inside alerts, held alerts and outbox events. The accounting
stays: orders, lines, amounts and payment rows (id, status, amount, currency) are kept,
because the owner must be able to account for every sale.

- `scrub_payment_raw` keeps a provider payment's JSON without its payer, card holder and
  shipping address before it is stored (commerce.ledger), so payments.raw never holds them.
- `erase_expired` deletes the delivery details of orders finished (delivered, picked up,
  refunded, cancelled or expired) before a cutoff: `[delivery] keep_personal_data_days`
  after the end, run by the bot's periodic duties.
- `forget` erases everything personal about one buyer at once (`vivo buyers forget`): the
  viewer row keeps its id (orders point to it) but its user id and name become a
  placeholder, so a later purchase from the same account starts a new, unrelated viewer.
  Every other copy of their name, user id or words goes too (see `forget`).

Not personal, so left as they are: webhook bodies (a buyer is a keyed `ref` there, never a
name or id: bots.runtime.webhook_payloads), provider notifications (a payment id and the
seller's account), order history notes (the owner's carrier and tracking), panel sessions
and owner settings (the owner's own). Giveaway entries lose the name but keep the user id
(commerce.giveaways: the draw must stay checkable).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from commerce import rows
from commerce.alerts import AlertKind
from commerce.models import (
    AUCTION_BIDS,
    DELIVERY_DETAILS,
    EVENTS_OUTBOX,
    GIVEAWAY_ENTRIES,
    HELD_ALERTS,
    ORDERS,
    OWNER_ALERTS,
    OWNERS,
    PAYMENTS,
    TIPS,
    VIEWERS,
    WAITLIST_ENTRIES,
)
from commerce.views import OrderStatus

#: Keys of a MercadoPago payment that describe a person, dropped before storing it.
PERSONAL_PAYMENT_KEYS = frozenset(
    {"payer", "card", "additional_info", "shipments", "receiver_address"}
)
FORGOTTEN = "(borrado)"


def scrub_payment_raw(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The payment without who paid (see the module doc); everything else kept."""
    return {k: v for k, v in raw.items() if k not in PERSONAL_PAYMENT_KEYS}


def forget(s: Session, platform: str, user_id: str) -> bool:
    """Erase one buyer's personal data, keeping the accounting; False when unknown.

    The buyer is their viewer row and, for someone who only bid, their auction bids. What
    goes, table by table (amounts, codes, statuses and times all stay):

    - viewers: the user id becomes `forgotten-<id>` (the pseudonym used everywhere below)
      and the name `FORGOTTEN`; delivery_details: deleted; payments.raw: the payer dropped.
    - tips.message and orders.shoutout_message: emptied (a shout-out still to do stays in
      the queue, as the streamer would do one bought without a message).
    - orders, tips, waitlist_entries, auction_bids `channel_id`: the pseudonym where it is
      the user id (a Telegram private chat's id is the buyer's own).
    - owner_alerts.buyer of their orders and tips: `FORGOTTEN` (deliveries still due read the
      row when they are sent, so they go out with the placeholder).
    - held_alerts of their orders and tips: the payload is rewritten, never deleted. It is
      the queue the owner decides on and the record widgets read to leave rejected alerts
      out; an alert approved later plays with the placeholder and no message.
    - auction_bids: user id and name as the viewer's. An auction still running can still
      offer the unit to that bid; the offer goes to the forgotten viewer, nobody pays, and
      the unit goes on to the next bidder after the pay window.
    - events_outbox: every event naming them is rewritten in place, delivered or not, never
      deleted: rows are read by id against each role's cursor and each process's in-memory
      position, which the store cannot see, so deleting one could lose an event not yet
      delivered, while a rewritten one still decodes (same shape, only strings change) and
      reaches everyone once, with the placeholder. The rest go with the outbox's pruning.
    """
    viewer_id = s.execute(
        select(VIEWERS.c.id).where(
            VIEWERS.c.platform == platform, VIEWERS.c.platform_user_id == user_id
        )
    ).scalar_one_or_none()
    # Giveaway entries keep the platform user id (a draw's entry list must still hash to
    # what was drawn, commerce.giveaways); the name goes.
    entered = rows.rowcount(
        s,
        update(GIVEAWAY_ENTRIES)
        .where(GIVEAWAY_ENTRIES.c.platform == platform, GIVEAWAY_ENTRIES.c.user_id == user_id)
        .values(display_name=FORGOTTEN),
    )
    # Details typed in a private chat for an order bought elsewhere (a Telegram deep link
    # after a Twitch payment, commerce.delivery.link) are this person's too.
    linked = rows.rowcount(
        s, delete(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.linked_to == f"{platform}:{user_id}")
    )
    if viewer_id is None:  # never bought or tipped: perhaps only bid or entered a giveaway
        bids = AUCTION_BIDS.c.platform == platform, AUCTION_BIDS.c.user_id == user_id
        bid = s.execute(select(AUCTION_BIDS.c.id).where(*bids).limit(1)).first() is not None
        if not (bid or entered or linked):
            return False
        who = _Buyer.of(s, platform, user_id, None)
        _forget_bids(s, platform, user_id, who.pseudonym)
        _forget_events(s, who)
        return True
    who = _Buyer.of(s, platform, user_id, int(viewer_id))
    s.execute(delete(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.viewer_id == viewer_id))
    order_ids = select(ORDERS.c.id).where(ORDERS.c.viewer_id == viewer_id)
    tip_ids = select(TIPS.c.id).where(TIPS.c.viewer_id == viewer_id)
    _scrub_payments(s, PAYMENTS.c.order_id.in_(order_ids) | PAYMENTS.c.tip_id.in_(tip_ids))
    s.execute(update(TIPS).where(TIPS.c.viewer_id == viewer_id).values(message=""))
    s.execute(update(ORDERS).where(ORDERS.c.viewer_id == viewer_id).values(shoutout_message=None))
    for table in (ORDERS, TIPS, WAITLIST_ENTRIES):
        s.execute(
            update(table)
            .where(table.c.viewer_id == viewer_id, table.c.channel_id == user_id)
            .values(channel_id=who.pseudonym)
        )
    _forget_bids(s, platform, user_id, who.pseudonym)
    _forget_alerts(s, who)
    _forget_held(s, who)
    _forget_events(s, who)
    s.execute(
        update(VIEWERS)
        .where(VIEWERS.c.id == viewer_id)
        .values(platform_user_id=who.pseudonym, display_name=FORGOTTEN)
    )
    s.execute(
        update(OWNERS)
        .where(OWNERS.c.platform == platform, OWNERS.c.user_id == user_id)
        .values(display_name="")
    )
    return True


@dataclass(frozen=True, slots=True)
class _Buyer:
    """What identifies one buyer's rows and words, read before anything is erased."""

    platform: str
    user_id: str
    pseudonym: str
    names: frozenset[str]  # display names (the viewer's, their bids')
    words: frozenset[str]  # what they wrote: tip and shout-out messages
    order_codes: frozenset[str]
    tip_codes: frozenset[str]

    @classmethod
    def of(cls, s: Session, platform: str, user_id: str, viewer_id: int | None) -> _Buyer:
        """The buyer's identifiers; with no viewer row (`viewer_id` None), their bids'."""
        name = s.execute(
            select(VIEWERS.c.display_name).where(VIEWERS.c.id == viewer_id)
        ).scalar_one_or_none()
        bid_names = s.scalars(
            select(AUCTION_BIDS.c.display_name).where(
                AUCTION_BIDS.c.platform == platform, AUCTION_BIDS.c.user_id == user_id
            )
        )
        orders = s.execute(
            select(ORDERS.c.code, ORDERS.c.shoutout_message).where(ORDERS.c.viewer_id == viewer_id)
        ).all()
        tips = s.execute(
            select(TIPS.c.code, TIPS.c.message).where(TIPS.c.viewer_id == viewer_id)
        ).all()
        words = [o.shoutout_message for o in orders] + [t.message for t in tips]
        return cls(
            platform=platform,
            user_id=user_id,
            pseudonym="forgotten" if viewer_id is None else f"forgotten-{viewer_id}",
            names=frozenset(n for n in (name, *bid_names) if n and n != FORGOTTEN),
            words=frozenset(w.strip() for w in words if w and w.strip()),
            order_codes=frozenset(o.code for o in orders),
            tip_codes=frozenset(t.code for t in tips),
        )

    def scrub_text(self, text: str, *, inside: bool = False) -> str:
        """`text` without the buyer: a name becomes `FORGOTTEN`, a message "", the user id
        the pseudonym. Whole strings only, unless `inside` (a sentence made about them,
        like a held alert's headline): a short name could be part of a product's."""
        swaps = [(w, "") for w in self.words] + [(n, FORGOTTEN) for n in self.names]
        swaps.append((self.user_id, self.pseudonym))
        if not inside:
            return dict(swaps).get(text.strip(), text)
        for found, instead in sorted(swaps, key=lambda p: -len(p[0])):
            text = text.replace(found, instead)
        return text

    def scrub(self, value: Any, *, theirs: bool = False) -> Any:
        """A JSON value with the buyer taken out: a viewer or bid object of theirs
        (`platform` and `user_id` match) gets the pseudonym and the placeholder name, and
        so does everything inside an object holding one (a tip's message); elsewhere
        strings lose the buyer's names and words."""
        if isinstance(value, list):
            return [self.scrub(v, theirs=theirs) for v in value]
        if isinstance(value, dict):
            if value.get("platform") == self.platform and value.get("user_id") == self.user_id:
                swap = {"user_id": self.pseudonym, "display_name": FORGOTTEN, "name": FORGOTTEN}
                value = {k: swap.get(k, v) for k, v in value.items()}
            theirs = theirs or any(self._is_ref(v) for v in value.values())
            return {k: self._field(k, v, theirs) for k, v in value.items()}
        if isinstance(value, str):
            return self.scrub_text(value)
        return value

    def _is_ref(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and value.get("platform") == self.platform
            and value.get("user_id") in (self.user_id, self.pseudonym)
        )

    def _field(self, key: str, value: Any, theirs: bool) -> Any:
        if theirs and key in ("message", "shoutout_message") and isinstance(value, str):
            return ""
        return self.scrub(value, theirs=theirs)


def _forget_bids(s: Session, platform: str, user_id: str, pseudonym: str) -> None:
    where = AUCTION_BIDS.c.platform == platform, AUCTION_BIDS.c.user_id == user_id
    s.execute(
        update(AUCTION_BIDS)
        .where(*where, AUCTION_BIDS.c.channel_id == user_id)
        .values(channel_id=pseudonym)
    )
    s.execute(update(AUCTION_BIDS).where(*where).values(user_id=pseudonym, display_name=FORGOTTEN))


def _about(who: _Buyer, table: Any, order_kinds: tuple[str, ...], tip_kind: str) -> Any:
    """Rows of `table` (kind, code) about one of the buyer's orders or tips; None: none."""
    parts: list[ColumnElement[bool]] = []
    if who.order_codes:
        codes = sorted(who.order_codes)
        parts.append(table.c.kind.in_(order_kinds) & table.c.code.in_(codes))
    if who.tip_codes:
        parts.append((table.c.kind == tip_kind) & table.c.code.in_(sorted(who.tip_codes)))
    return or_(*parts) if parts else None


def _forget_alerts(s: Session, who: _Buyer) -> None:
    kinds = tuple(k.value for k in AlertKind if k is not AlertKind.TIP)
    where = _about(who, OWNER_ALERTS, kinds, AlertKind.TIP.value)
    if where is not None:
        s.execute(update(OWNER_ALERTS).where(where).values(buyer=FORGOTTEN))


def _forget_held(s: Session, who: _Buyer) -> None:
    """Rewrite the held alerts of the buyer's orders and tips (see `forget`)."""
    where = _about(who, HELD_ALERTS, ("order",), "tip")
    if where is None:
        return
    for held_id, payload in s.execute(
        select(HELD_ALERTS.c.id, HELD_ALERTS.c.payload).where(where)
    ).all():
        try:
            data = json.loads(payload)
        except ValueError:
            data = None
        if isinstance(data, dict):
            alert = data.get("alert")
            if isinstance(alert, dict):
                headline = alert.get("headline")
                if isinstance(headline, str):
                    alert["headline"] = who.scrub_text(headline, inside=True)
                alert.update(buyer=FORGOTTEN, message="", speak=None, speech_url=None)
            data.update(name=FORGOTTEN, message="", matched=[])
            clean = json.dumps(who.scrub(data), ensure_ascii=False)
        else:
            clean = json.dumps({"alert": {}, "name": FORGOTTEN, "message": "", "matched": []})
        if clean != payload:
            s.execute(update(HELD_ALERTS).where(HELD_ALERTS.c.id == held_id).values(payload=clean))


def _forget_events(s: Session, who: _Buyer) -> None:
    """Rewrite, in place, every outbox event that names the buyer (see `forget`)."""
    needles = {json.dumps(who.user_id), json.dumps(who.user_id, ensure_ascii=False)}
    found = s.execute(
        select(EVENTS_OUTBOX.c.id, EVENTS_OUTBOX.c.body).where(
            or_(*(EVENTS_OUTBOX.c.body.contains(n, autoescape=True) for n in needles))
        )
    ).all()
    for event_id, body in found:
        try:
            data = json.loads(body)
        except ValueError:
            continue  # not the codec's JSON: nobody can read it, nor deliver it
        clean = json.dumps(who.scrub(data), separators=(",", ":"))
        if clean != body:
            row = EVENTS_OUTBOX.c.id == event_id
            s.execute(update(EVENTS_OUTBOX).where(row).values(body=clean))


def _scrub_payments(s: Session, where: Any) -> None:
    for payment_id, raw in s.execute(select(PAYMENTS.c.id, PAYMENTS.c.raw).where(where)).all():
        clean = scrub_payment_raw(raw or {})
        if clean != (raw or {}):
            s.execute(update(PAYMENTS).where(PAYMENTS.c.id == payment_id).values(raw=clean))


def erase_expired(s: Session, before: datetime) -> int:
    """Delete the delivery details of orders that ended before `before`; how many went."""
    refunded_at = (
        select(func.max(PAYMENTS.c.updated_at))
        .where(PAYMENTS.c.order_id == ORDERS.c.id)
        .scalar_subquery()
    )
    ended = (
        ((ORDERS.c.status == OrderStatus.FULFILLED.value) & (ORDERS.c.fulfilled_at < before))
        | (
            ORDERS.c.status.in_((OrderStatus.CANCELLED.value, OrderStatus.EXPIRED.value))
            & (ORDERS.c.expires_at < before)
        )
        | ((ORDERS.c.status == OrderStatus.REFUNDED.value) & (refunded_at < before))
    )
    ids = [
        int(i)
        for i in s.scalars(
            select(ORDERS.c.id)
            .where(ended)
            .where(ORDERS.c.id.in_(select(DELIVERY_DETAILS.c.order_id)))
        )
    ]
    if not ids:
        return 0
    s.execute(delete(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.order_id.in_(ids)))
    _scrub_payments(s, PAYMENTS.c.order_id.in_(ids))
    return len(ids)


__all__ = ["FORGOTTEN", "PERSONAL_PAYMENT_KEYS", "erase_expired", "forget", "scrub_payment_raw"]

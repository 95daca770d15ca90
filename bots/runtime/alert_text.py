"""How an owner alert reads: one line per alert, or one digest for many.

The same words serve the owner's private chat and the panel's notification list. They
carry the order code, the products, the amount (in the store's money format), the platform
and the buyer's display name at most: never a contact or an address, since a chat message
can be read over the owner's shoulder and stays on the platform's servers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bots.chat.i18n import Messages
from commerce.alerts import AlertKind, AlertView
from commerce.money import Money

REASONS = ("out_of_stock", "already_paid", "superseded")
#: A missing-details alert's reason when the order's deep link locked (commerce.payer_proof).
LINK_LOCKED = "link_locked"
MAX_CODES = 10  # a digest names at most this many codes per kind, then "…"


def platform_name(messages: Messages, locale: str, platform: str) -> str:
    key = f"panel_platform_{platform}"
    return messages.t(locale, key) if messages.has(key) else platform


def reason_text(messages: Messages, locale: str, reason: str) -> str:
    return messages.t(locale, f"alert_reason_{reason if reason in REASONS else 'other'}")


def alert_line(messages: Messages, locale: str, alert: AlertView, missing_after: timedelta) -> str:
    """One alert, in `locale`."""
    amount = messages.money(alert.amount, locale) if alert.amount is not None else ""
    common = {
        "code": alert.code,
        "product": alert.summary,
        "amount": amount,
        "buyer": alert.buyer,
        "platform": platform_name(messages, locale, alert.platform),
    }
    if alert.kind is AlertKind.PAID:
        return messages.t(locale, "alert_paid", **common)
    if alert.kind is AlertKind.TIP:
        return messages.t(
            locale,
            "alert_tip",
            buyer=alert.buyer,
            amount=amount,
            platform=common["platform"],
            code=alert.code,
        )
    if alert.kind is AlertKind.REFUND_NEEDED:
        reason = reason_text(messages, locale, alert.reason)
        return messages.t(
            locale, "alert_refund_needed", code=alert.code, amount=amount, reason=reason
        )
    if alert.reason == LINK_LOCKED:
        return messages.t(locale, "alert_link_locked", code=alert.code, product=alert.summary)
    hours = max(1, int(missing_after.total_seconds() // 3600))
    return messages.t(
        locale, "alert_missing_details", code=alert.code, product=alert.summary, hours=hours
    )


def digest(messages: Messages, locale: str, alerts: Sequence[AlertView], every: timedelta) -> str:
    """Many alerts as one quiet message: "5 pedidos pagados ($ 45.000), 2 propinas …"."""
    parts: list[str] = []
    for kind in AlertKind:
        mine = [a for a in alerts if a.kind is kind]
        if not mine:
            continue
        key = f"alert_digest_{kind.value}"
        if kind in (AlertKind.PAID, AlertKind.TIP):
            amount = _total(messages, locale, mine)
            parts.append(messages.t(locale, key, count=len(mine), amount=amount))
        else:
            codes = [a.code for a in mine]
            shown = ", ".join(dict.fromkeys(codes[:MAX_CODES])) + (
                ", …" if len(codes) > MAX_CODES else ""
            )
            parts.append(messages.t(locale, key, count=len(mine), codes=shown))
    minutes = max(1, int(every.total_seconds() // 60))
    return messages.t(locale, "alert_digest", minutes=minutes, items="; ".join(parts))


def _total(messages: Messages, locale: str, alerts: Sequence[AlertView]) -> str:
    """The alerts' money added up per currency (a store sells in one; a mix stays apart)."""
    sums: dict[str, Money] = {}
    for alert in alerts:
        if alert.amount is None:
            continue
        currency = alert.amount.currency
        sums[currency] = sums.get(currency, Money.zero(currency)) + alert.amount
    return " + ".join(messages.money(m, locale) for m in sums.values())

"""The public API a plugin imports (bots/plugin.py) only grows: a name that disappears
breaks every plugin that used it, so removing one must be a decision, made here."""

from __future__ import annotations

import bots.plugin

PUBLIC = {
    "Adapter",
    "AdapterFactory",
    "BadArgument",
    "Button",
    "ChatMessage",
    "ChatUser",
    "Check",
    "Command",
    "CommandError",
    "Context",
    "Event",
    "Inbox",
    "InvalidSignature",
    "LinkRequest",
    "Listener",
    "MissingArgument",
    "Money",
    "NotAllowed",
    "Notification",
    "OrderExpired",
    "OrderPaid",
    "OrderRefunded",
    "OrderReserved",
    "OrderView",
    "PaymentLink",
    "PaymentProvider",
    "PaymentReport",
    "PlatformTip",
    "Plugin",
    "Priority",
    "ProductView",
    "ProviderFactory",
    "ProviderRejected",
    "ProviderUnavailable",
    "Registry",
    "Reply",
    "Role",
    "SendLimits",
    "StockChanged",
    "TipReceived",
    "TipView",
    "parse_quantity",
}


def test_no_public_name_disappears() -> None:
    missing = PUBLIC - set(bots.plugin.__all__)
    assert not missing, f"removed from bots.plugin: {sorted(missing)}"
    for name in PUBLIC:
        assert getattr(bots.plugin, name) is not None


def test_every_public_name_is_recorded_here() -> None:
    added = set(bots.plugin.__all__) - PUBLIC
    assert not added, f"add to PUBLIC (and docs/framework.md): {sorted(added)}"


def test_registry_methods_keep_their_names() -> None:
    for method in ("add", "listen", "adapter", "provider", "settings"):
        assert hasattr(bots.plugin.Registry, method)

"""Every text the panel shows comes from bots/locales: no template or handler asks for a
`panel_` key that a language lacks (Messages would show the bare key)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from bots.chat.i18n import LOCALES, load_catalog
from commerce.sessions import PanelRole
from commerce.views import OrderStatus

PANEL = Path(__file__).resolve().parents[3] / "bots" / "web" / "panel"
FAMILIES = {
    "status_": [s.value for s in OrderStatus],
    "role_": [r.value for r in PanelRole],
    "history_": [
        "created",
        "payment",
        "paid",
        "expired",
        "cancelled",
        "fulfilled",
        "refunded",
        "refund_requested",
        "link_resent",
    ],
    "actor_": ["buyer", "provider", "store", "owner", "staff"],
    "conn_": ["live", "running", "waiting", "stopped"],
    "feed_": ["paid", "expired", "refunded", "refund_needed", "tip"],
    "signin_": ["bad_link", "too_many"],
    "alerts_event_": ["paid", "tip", "refund_needed", "missing_details"],
    "platform_": ["twitch", "youtube", "discord", "telegram", "console", "web"],
    "setting_": [
        "store_name",
        "currency",
        "locale",
        "prefix",
        "reservation",
        "tips",
        "low_stock",
        "stream_gap",
        "timezone",
    ],
    "alert_type_": ["sale", "tip", "bits", "superchat"],
    "anim_": ["slide", "fade", "zoom", "bounce", "flip"],
    "layout_": ["image_left", "image_top", "text_only"],
    "engine_": ["browser", "server"],
    "error_": [
        "alert_template_long",
        "alert_placeholder",
        "alert_image",
        "alert_sound",
        "alert_css_long",
        "alert_css",
        "alert_volume",
        "alert_duration",
        "alert_max_chars",
        "alert_enter",
        "alert_exit",
        "alert_layout",
        "alert_engine",
        "alert_amount",
        "alert_variations",
        "media_type",
        "media_size",
    ],
    "ok_": [
        "opened",
        "closed",
        "spotlight",
        "spotlight_off",
        "goal",
        "goal_off",
        "fulfilled",
        "cancelled",
        "refunded",
        "resent",
        "saved",
        "added",
        "stock",
        "approved",
        "rejected",
        "taken",
        "webhook_test",
        "webhook_test_failed",
    ],
    "mod_action_": ["hide", "replace", "hold"],
    "mod_hold_": ["off", "messages", "above"],
    "mod_reason_": ["words", "messages", "amount"],
    "mod_status_": ["approved", "rejected"],
    "mod_word_": ["block", "allow"],
    "webhook_state_": ["pending", "delivered", "gave_up"],
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    templates = resources.files("bots.web.panel") / "templates"
    for path in templates.iterdir():
        text = path.read_text("utf-8")
        keys |= set(re.findall(r"""\bt\(["']([a-z0-9_]+)["']""", text))
    for path in PANEL.glob("*.py"):
        text = path.read_text("utf-8")
        keys |= set(re.findall(r"""fmt\.t\(\s*["']([a-z0-9_]+)["']""", text))
        keys |= {f"error_{k}" for k in re.findall(r"""_problem\(\s*request,\s*["'](\w+)""", text)}
        keys |= {f"error_{k}" for k in re.findall(r"""FormProblem\(["'](\w+)""", text)}
        keys |= {f"ok_{k}" for k in re.findall(r"""_back\(request,\s*["'](\w+)""", text)}
        keys |= {f"ok_{k}" for k in re.findall(r"""\{"ok":\s*["'](\w+)""", text)}
    for prefix, names in FAMILIES.items():
        keys |= {prefix + name for name in names}
    return {k for k in keys if not k.endswith("_")}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_the_panel_uses_exists(locale: str) -> None:
    catalog = load_catalog(locale)
    missing = sorted(
        k
        for k in used_keys()
        if f"panel_{k}" not in catalog and f"panel_{k}.other" not in catalog  # plural forms
    )
    assert missing == []


def test_the_scan_finds_the_panels_keys() -> None:
    found = used_keys()
    assert {"nav_live", "error_stock_below", "ok_stock", "history_fulfilled"} <= found
    assert len(found) > 150

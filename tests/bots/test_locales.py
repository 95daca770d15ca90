"""The three shipped languages must stay in step: same keys, same placeholders per key."""

from __future__ import annotations

import string

import pytest

from bots.i18n import LOCALES, load_catalog

ANNOUNCER_KEYS = {
    "order_paid_thanks": {"name", "product", "code"},
    "tip_thanks": {"name", "amount", "message"},
    "order_expired": {"name", "code"},
    "link_ready": {"name", "url", "code", "minutes"},
    "link_delayed": {"name"},
    "refund_needed_owner": {"code", "name", "amount"},
    "order_late_paid": {"name", "code"},
    "refund_needed_superseded_owner": {"code", "name", "amount", "total"},
    "order_superseded_paid": {"name", "code", "amount", "total"},
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_locale_has_the_same_keys() -> None:
    keys = {locale: set(load_catalog(locale)) for locale in LOCALES}
    assert keys["es"], "es.toml is empty"
    for locale in LOCALES:
        assert keys[locale] == keys["es"], (locale, keys[locale] ^ keys["es"])


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "es"])
def test_every_key_has_the_same_placeholders(locale: str) -> None:
    spanish = load_catalog("es")
    other = load_catalog(locale)
    mismatched = {
        key: (placeholders(spanish[key]), placeholders(other[key]))
        for key in spanish
        if key in other and placeholders(spanish[key]) != placeholders(other[key])
    }
    assert mismatched == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_announcer_keys_carry_their_placeholders(locale: str) -> None:
    catalog = load_catalog(locale)
    for key, names in ANNOUNCER_KEYS.items():
        assert placeholders(catalog[key]) == names, (locale, key)


@pytest.mark.parametrize("locale", LOCALES)
def test_templates_are_short_enough_for_youtube(locale: str) -> None:
    long = {k: len(v) for k, v in load_catalog(locale).items() if len(v) > 160}
    assert long == {}

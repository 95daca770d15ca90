"""Reply templates in es, en and pt, overridable by the channel owner from config.

A chat reply must never fail because a template is odd: a missing placeholder is left as
written, a broken template is sent as is, and a missing key falls back to Spanish (the
project's first language) and then to the key itself.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from importlib import resources

from adapters.base import neutralize
from commerce.money import Money, format_money

log = logging.getLogger(__name__)

LOCALES = ("es", "en", "pt")
FALLBACK = "es"


class Verbatim(str):
    """A template parameter the bot made itself (a payment link): left as it is."""


class _Keep(dict[str, object]):
    """format_map mapping that leaves unknown placeholders as `{name}`."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def load_catalog(locale: str) -> dict[str, str]:
    """The shipped templates for one locale."""
    text = (resources.files("bots.locales") / f"{locale}.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def _base(locale: str) -> str:
    return locale.replace("_", "-").split("-", 1)[0].lower()


class Messages:
    """Looks up and fills reply templates."""

    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._catalogs: dict[str, dict[str, str]] = {loc: load_catalog(loc) for loc in LOCALES}
        for locale, templates in (overrides or {}).items():
            catalog = self._catalogs.setdefault(_base(locale), {})
            catalog.update({str(k): str(v) for k, v in templates.items()})

    def has(self, key: str) -> bool:
        return any(key in catalog for catalog in self._catalogs.values())

    def template(self, locale: str, key: str) -> str:
        for candidate in (_base(locale), FALLBACK):
            found = self._catalogs.get(candidate, {}).get(key)
            if found is not None:
                return found
        return key

    def t(self, locale: str, key: str, **params: object) -> str:
        """The template filled in. Text parameters are neutralised (see
        `adapters.base.neutralize`): what a viewer typed, a display name or a Super Chat
        comment quoted back can never ping someone else. `Verbatim` ones are kept."""
        template = self.template(locale, key)
        safe = {
            k: neutralize(v) if isinstance(v, str) and not isinstance(v, Verbatim) else v
            for k, v in params.items()
        }
        try:
            return template.format_map(_Keep(safe))
        except (ValueError, IndexError, AttributeError, KeyError, TypeError):
            log.warning("reply template %r (%s) is malformed; sent unfilled", key, locale)
            return template

    def money(self, money: Money, locale: str) -> str:
        return format_money(money, _base(locale))

"""Reply templates in es, en and pt, overridable by the channel owner from config.

A chat reply must never fail because a template is odd: a missing placeholder is left as
written, a broken template is sent as is, and a missing key falls back to Spanish (the
project's first language) and then to the key itself.

A template that counts something has plural forms, chosen by Babel's (CLDR) rules for the
viewer's language, since "Solo quedan 1" reads wrong and Spanish and Portuguese disagree
about zero (pt says "0 unidade", es "0 unidades"). In the TOML files they are dotted keys:

    error_out_of_stock.count = "available"      # the placeholder that picks the form
    error_out_of_stock.one = "Solo queda {available} de {product}."
    error_out_of_stock.other = "Solo quedan {available} de {product}."

A category the file does not give ("many", "few") falls back to `other`.

Two lookup tables ride along in the same files: `option.<name>` and `value.<value>` say how
an owner's variant option names and values (`talle`, `negro`) read in each language, so a
Portuguese viewer sees "tamanho: P, M" rather than the Spanish words the owner typed.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Mapping
from importlib import resources

from babel import Locale, UnknownLocaleError

from adapters.base import neutralize
from commerce.money import Money, format_money

log = logging.getLogger(__name__)

LOCALES = ("es", "en", "pt")
FALLBACK = "es"
_REMEMBERED = 4096  # lookups a Messages keeps (see Messages.has)
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
# Placeholders that hold a number of things: a template using one must have plural forms
# (tests/bots/chat/test_locales.py holds the few exceptions, where no noun is counted).
COUNT_PLACEHOLDERS = frozenset(
    {"available", "requested", "limit", "already", "max", "minutes", "seconds", "committed",
     "stock", "count"}
)  # fmt: skip


class Verbatim(str):
    """A template parameter the bot made itself (a payment link): left as it is."""


class _Keep(dict[str, object]):
    """format_map mapping that leaves unknown placeholders as `{name}`."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def flatten(templates: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Nested tables (`a.b = "x"` in TOML) → flat dotted keys (`{"a.b": "x"}`).

    Used for the shipped files and for an owner's `[messages.<lang>]` alike, so an owner can
    override `error_out_of_stock.one` or `option.talle` exactly as the shipped files spell it.
    """
    flat: dict[str, str] = {}
    for key, value in templates.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def load_catalog(locale: str) -> dict[str, str]:
    """The shipped templates for one locale, as flat dotted keys."""
    text = (resources.files("bots.locales") / f"{locale}.toml").read_text("utf-8")
    return flatten(tomllib.loads(text))


def plural_keys(catalog: Mapping[str, str]) -> set[str]:
    """The keys in `catalog` that have plural forms (`key.other` exists)."""
    return {k.rsplit(".", 1)[0] for k in catalog if k.endswith(".other")}


def plural_category(locale: str, count: object) -> str:
    """CLDR's category for `count` in `locale`: 'one', 'other', and so on."""
    try:
        return _category(_base(locale), abs(int(str(count))))
    except (ValueError, TypeError, ArithmeticError, UnknownLocaleError):
        return "other"


@functools.lru_cache(maxsize=4096)
def _category(base: str, number: int) -> str:
    """Babel evaluates the CLDR rule text on every call; a reply counts a handful of
    different numbers (minutes, units left), so each answer is kept."""
    return str(_locale(base).plural_form(number))


@functools.cache
def _locale(base: str) -> Locale:
    return Locale.parse(base)


@functools.lru_cache(maxsize=256)
def _base(locale: str) -> str:
    return locale.replace("_", "-").split("-", 1)[0].lower()


class Messages:
    """Looks up and fills reply templates."""

    def __init__(self, overrides: Mapping[str, Mapping[str, object]] | None = None) -> None:
        self._catalogs: dict[str, dict[str, str]] = {loc: load_catalog(loc) for loc in LOCALES}
        for locale, templates in (overrides or {}).items():
            catalog = self._catalogs.setdefault(_base(locale), {})
            given = flatten(templates)
            for key in given:
                # An owner's plain template replaces shipped plural forms, and the reverse.
                stem, _, form = key.rpartition(".")
                if form in PLURAL_FORMS:
                    catalog.pop(stem, None)
                else:
                    for plural in PLURAL_FORMS:
                        catalog.pop(f"{key}.{plural}", None)
            catalog.update(given)
        self._synonyms: dict[str, frozenset[str]] = {}
        for catalog in self._catalogs.values():
            for key, word in catalog.items():
                if key.startswith("value."):
                    value = key.removeprefix("value.")
                    self._synonyms[value] = self._synonyms.get(value, frozenset()) | {word}
        # Answers of `has` and `_lookup`, which every reply asks: the catalogs change only
        # here and in `extend`, which forgets them.
        self._has: dict[str, bool] = {}
        self._found: dict[tuple[str, str], tuple[str, dict[str, str], bool] | None] = {}

    def extend(self, templates: Mapping[str, Mapping[str, str]]) -> None:
        """Add a plugin's templates (flat keys by locale); an owner's own spelling wins."""
        for locale, given in templates.items():
            catalog = self._catalogs.setdefault(_base(locale), {})
            for key, text in given.items():
                catalog.setdefault(key, text)
        self._has.clear()
        self._found.clear()

    def has(self, key: str) -> bool:
        known = self._has.get(key)
        if known is None:
            if len(self._has) >= _REMEMBERED:
                self._has.clear()
            known = self._has[key] = any(
                key in catalog or f"{key}.other" in catalog for catalog in self._catalogs.values()
            )
        return known

    def _lookup(self, locale: str, key: str) -> tuple[str, dict[str, str], bool] | None:
        """The language and catalog holding `key` for `locale` (or the fallback), and whether
        it is plural there (the forms follow that language's rules)."""
        base = _base(locale)
        try:
            return self._found[(base, key)]
        except KeyError:
            if len(self._found) >= _REMEMBERED:
                self._found.clear()  # odd locales or keys from outside: stay bounded
            found = self._found[(base, key)] = self._search(base, key)
            return found

    def _search(self, base: str, key: str) -> tuple[str, dict[str, str], bool] | None:
        for candidate in (base, FALLBACK):
            catalog = self._catalogs.get(candidate, {})
            if key in catalog:
                return candidate, catalog, False
            if f"{key}.other" in catalog:
                return candidate, catalog, True
        return None

    def template(self, locale: str, key: str, params: Mapping[str, object] | None = None) -> str:
        """The template for `key`; for plural keys, the form `params`' count asks for."""
        found = self._lookup(locale, key)
        if found is None:
            return key
        language, catalog, plural = found
        if not plural:
            return catalog[key]
        count_name = catalog.get(f"{key}.count") or self._catalogs[FALLBACK].get(
            f"{key}.count", "count"
        )
        count = (params or {}).get(count_name)
        category = plural_category(language, count) if count is not None else "other"
        return catalog.get(f"{key}.{category}") or catalog[f"{key}.other"]

    def t(self, locale: str, key: str, **params: object) -> str:
        """The template filled in (for plural keys, the form `params`' count asks for). Text
        parameters are neutralised (see `adapters.base.neutralize`): what a viewer typed, a
        display name or a Super Chat comment quoted back can never ping someone else.
        `Verbatim` ones are kept."""
        return self.fill(self.template(locale, key, params), key, locale, params)

    def fill(self, template: str, key: str, locale: str, params: Mapping[str, object]) -> str:
        """`template` (as `template` chose it for `key`) filled in, exactly as `t` does."""
        safe = {
            k: neutralize(v) if isinstance(v, str) and not isinstance(v, Verbatim) else v
            for k, v in params.items()
        }
        try:
            return template.format_map(_Keep(safe))
        except (ValueError, IndexError, AttributeError, KeyError, TypeError):
            log.warning("reply template %r (%s) is malformed; sent unfilled", key, locale)
            return template

    def option_name(self, locale: str, name: str) -> str:
        """How a variant option's name (`talle`) reads in `locale` (`tamanho`)."""
        return self._word(locale, "option", name)

    def option_value(self, locale: str, value: str) -> str:
        """How a variant option's value (`negro`) reads in `locale` (`preto`)."""
        return self._word(locale, "value", value)

    def synonyms(self) -> Mapping[str, frozenset[str]]:
        """Each option value's translations in every language: what a viewer may type for it."""
        return self._synonyms

    def _word(self, locale: str, table: str, word: str) -> str:
        catalog = self._catalogs.get(_base(locale), {})
        return catalog.get(f"{table}.{word.casefold()}", word)

    def money(self, money: Money, locale: str) -> str:
        return format_money(money, _base(locale))

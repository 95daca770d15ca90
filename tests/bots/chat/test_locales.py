"""The three shipped languages must stay in step: same keys, same placeholders per key,
plural forms wherever a template counts something, and a template for every store refusal."""

from __future__ import annotations

import inspect
import string

import pytest
from babel import Locale

from bots.chat.i18n import COUNT_PLACEHOLDERS, LOCALES, Messages, load_catalog, plural_keys
from bots.chat.router import Router
from bots.runtime.services import Services, Settings
from commerce import errors

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
    "shoutout_thanks": {"name", "code"},
}

# Templates whose number counts no noun, so no form of theirs changes with it:
# "de 1 a {max}" is a range, "Stock de Taza: {stock}" a bare figure, a tip's {max} money.
UNCOUNTED = {"bad_quantity", "bad_stock", "stock_set", "tip_too_large"}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def templates(locale: str) -> dict[str, str]:
    """Reply templates only: the option/value word tables differ per language on purpose."""
    return {
        k: v
        for k, v in load_catalog(locale).items()
        if not k.startswith(("option.", "value.")) and not k.endswith(".count")
    }


def template_keys(locale: str) -> dict[str, set[str]]:
    """Each logical key (plural forms folded together) and the placeholders of all forms."""
    found: dict[str, set[str]] = {}
    plural = plural_keys(load_catalog(locale))
    for key, text in templates(locale).items():
        stem = key.rsplit(".", 1)[0] if key.rsplit(".", 1)[0] in plural else key
        found.setdefault(stem, set()).update(placeholders(text))
    return found


def test_every_locale_has_the_same_keys() -> None:
    keys = {locale: set(templates(locale)) for locale in LOCALES}
    assert keys["es"], "es.toml is empty"
    for locale in LOCALES:
        assert keys[locale] == keys["es"], (locale, keys[locale] ^ keys["es"])


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "es"])
def test_every_key_has_the_same_placeholders(locale: str) -> None:
    spanish = templates("es")
    other = templates(locale)
    mismatched = {
        key: (placeholders(spanish[key]), placeholders(other[key]))
        for key in spanish
        if key in other and placeholders(spanish[key]) != placeholders(other[key])
    }
    assert mismatched == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_announcer_keys_carry_their_placeholders(locale: str) -> None:
    catalog = template_keys(locale)
    for key, names in ANNOUNCER_KEYS.items():
        assert catalog[key] == names, (locale, key)


@pytest.mark.parametrize("locale", LOCALES)
def test_templates_are_short_enough_for_youtube(locale: str) -> None:
    long = {k: len(v) for k, v in templates(locale).items() if len(v) > 160}
    assert long == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_that_counts_has_plural_forms(locale: str) -> None:
    catalog = load_catalog(locale)
    plural = plural_keys(catalog)
    counting = {
        key
        for key, names in template_keys(locale).items()
        if names & COUNT_PLACEHOLDERS and key not in UNCOUNTED
    }
    assert counting - plural == set(), "give these .one/.other forms"
    for key in plural:
        count = catalog.get(f"{key}.count")
        assert count is not None, (locale, key, "names no .count placeholder")
        for form in ("one", "other"):
            assert count in placeholders(catalog[f"{key}.{form}"]), (locale, key, form)


def test_plural_forms_follow_each_languages_rules() -> None:
    """Babel's rules, not ours: Portuguese counts 0 as "one", Spanish and English as "other"."""
    assert Locale.parse("pt").plural_form(0) == "one"
    assert Locale.parse("es").plural_form(0) == "other"
    messages = Messages()
    params = {"product": "Taza", "requested": 3}
    assert messages.t("es", "error_out_of_stock", available=1, **params).startswith("Solo queda 1")
    assert messages.t("es", "error_out_of_stock", available=2, **params).startswith("Solo quedan 2")
    assert messages.t("es", "error_out_of_stock", available=0, **params).startswith("Solo quedan 0")
    assert messages.t("pt", "error_out_of_stock", available=0, **params).startswith("Só resta 0")
    assert messages.t("pt", "error_out_of_stock", available=1, **params).startswith("Só resta 1")
    assert messages.t("pt", "error_out_of_stock", available=5, **params).startswith("Só restam 5")
    # Babel calls a million "many" in es and pt; the files give no such form, so "other".
    assert "quedan 1000000" in messages.t("es", "overlay_stock", available=1_000_000)


def test_an_owner_override_may_be_plain_or_plural() -> None:
    plain = Messages({"es": {"overlay_stock": "¡últimas {available}!"}})
    assert plain.t("es", "overlay_stock", available=1) == "¡últimas 1!"
    plural = Messages({"pt": {"overlay_stock": {"one": "só {available}!"}}})
    assert plural.t("pt", "overlay_stock", available=1) == "só 1!"
    assert plural.t("pt", "overlay_stock", available=4) == "restam 4"


def _commerce_errors() -> list[type[errors.CommerceError]]:
    found = []
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.CommerceError) and cls is not errors.CommerceError:
            found.append(cls)
    return found


def _example(cls: type[errors.CommerceError]) -> errors.CommerceError:
    """One instance of `cls`, with every constructor argument filled from its name."""
    samples: dict[str, object] = {
        "sku": "TAZA",
        "query": "tazza",
        "options": ["talle=M", "talle=L"],
        "variant": "XXL",
        "quantity": 0,
        "requested": 3,
        "available": 1,
        "limit": 2,
        "already": 1,
        "code": "AB12CD",
        "what": "order",
        "current": "paid",
        "target": "cancelled",
        "text": "abc",
        "reason": "negative",
        "committed": 4,
        "field": "contact",
        "coupon": "CUPON10",
        "minimum": None,
    }
    params = list(inspect.signature(cls).parameters)
    return cls(**{name: samples[name] for name in params})


@pytest.mark.parametrize("cls", _commerce_errors(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_commerce_error_has_a_template_it_fills(
    cls: type[errors.CommerceError], locale: str
) -> None:
    """A store refusal must never quietly become "No pude hacer eso": each resolves to a
    template of its own, and the router fills every placeholder that template has."""
    from adapters.base import ChatMessage, ChatUser
    from bots.chat.router import Context, describe_commerce_error

    messages = Messages()
    services = Services(store=None, links=None, settings=Settings(), messages=messages)  # type: ignore[arg-type]
    router = Router(services)
    command = router.get("comprar")
    assert command is not None
    message = ChatMessage("test", "1", "canal", ChatUser("test", "v1", "ana"), "!comprar")

    async def nowhere(reply: object) -> None:
        raise AssertionError(reply)

    ctx = Context(
        message=message,
        services=services,
        command=command,
        locale=locale,
        prefix="!",
        invoked_with="comprar",
        args="",
        role=message.author.role,
        router=router,
        _send=nowhere,
    )
    key, params = describe_commerce_error(_example(cls), ctx)
    assert key != "error_generic" and messages.has(key), (cls.__name__, key)
    given = {"p", "example", *params}
    catalog = template_keys(locale)
    assert catalog[key] <= given, (cls.__name__, key, catalog[key] - given)

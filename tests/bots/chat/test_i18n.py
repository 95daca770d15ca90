"""Messages: lookup with fallbacks, owner overrides, and templates that can never crash."""

from __future__ import annotations

from decimal import Decimal

from bots.chat.i18n import Messages
from commerce.money import Money


def test_looks_up_per_locale_and_fills_placeholders() -> None:
    messages = Messages()
    assert messages.t("es", "bad_quantity", max=99) == "La cantidad tiene que ser de 1 a 99."
    assert "between 1 and 99" in messages.t("en", "bad_quantity", max=99)
    assert "de 1 a 99" in messages.t("pt-BR", "bad_quantity", max=99)


def test_falls_back_to_spanish_then_to_the_key() -> None:
    messages = Messages({"es": {"only_es": "solo en español"}})
    assert messages.t("en", "only_es") == "solo en español"
    assert messages.t("fr", "bad_quantity", max=3) == messages.t("es", "bad_quantity", max=3)
    assert messages.t("en", "no_such_key") == "no_such_key"
    assert messages.has("only_es") and not messages.has("no_such_key")


def test_owner_overrides_win_only_where_given() -> None:
    messages = Messages(
        {"es": {"order_paid_thanks": "¡Gracias {name}! Tu {product} ya es tuyo 🎉"}}
    )
    text = messages.t("es", "order_paid_thanks", name="ana", product="Remera", code="X")
    assert text == "¡Gracias ana! Tu Remera ya es tuyo 🎉"
    assert messages.t("en", "order_paid_thanks", name="ana", product="Remera", code="X") == (
        Messages().t("en", "order_paid_thanks", name="ana", product="Remera", code="X")
    )


def test_odd_templates_never_raise() -> None:
    messages = Messages(
        {
            "es": {
                "missing": "hola {name} {nope}",
                "positional": "hola {0}",
                "broken": "hola {name",
                "attr": "hola {name.upper}",
            }
        }
    )
    assert messages.t("es", "missing", name="ana") == "hola ana {nope}"
    assert messages.t("es", "positional", name="ana") == "hola {0}"
    assert messages.t("es", "broken", name="ana") == "hola {name"
    assert isinstance(messages.t("es", "attr"), str)


def test_money_is_formatted_for_the_locale() -> None:
    messages = Messages()
    money = Money(Decimal("1500"), "ARS")
    assert messages.money(money, "es") == "$ 1.500,00"
    assert messages.money(money, "es") != messages.money(money, "en")

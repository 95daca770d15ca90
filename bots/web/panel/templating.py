"""One autoescaping Jinja2 environment for the panel, and `render()`.

As Starlette's `Jinja2Templates` does, the response keeps the template's name and its
context, so a test can assert on what the page was given rather than grep its HTML.
Every text comes from bots/locales (`t("nav_live")` reads `panel_nav_live`), money goes
through commerce.money and dates through Babel, in the panel's language and time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

import jinja2
from aiohttp import web
from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal

from bots.chat.i18n import Messages
from commerce.money import Money

# Babel locales for dates and numbers (money picks its own territory by currency).
DATE_LOCALES = {"es": "es", "en": "en_US", "pt": "pt_BR"}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bots.web.panel", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class TemplateResponse(web.Response):
    """An HTML response that remembers what rendered it (for tests)."""

    def __init__(self, template: str, context: Mapping[str, Any], text: str, status: int) -> None:
        super().__init__(text=text, status=status, content_type="text/html", charset="utf-8")
        self.template = template
        self.context = dict(context)


class Formatter:
    """Language-aware helpers handed to every template."""

    def __init__(self, messages: Messages, locale: str, zone: tzinfo) -> None:
        self.messages = messages
        self.locale = locale
        self.zone = zone
        self.babel = Locale.parse(DATE_LOCALES.get(locale, locale))

    def t(self, key: str, **params: object) -> str:
        return self.messages.t(self.locale, f"panel_{key}", **params)

    def platform(self, name: str) -> str:
        key = f"panel_platform_{name}"
        return self.messages.t(self.locale, key) if self.messages.has(key) else name

    def money(self, money: Money) -> str:
        try:
            return self.messages.money(money, self.locale)
        except Exception:  # a currency Babel does not know (Bits)
            return f"{money.amount} {money.currency}"

    def amount(self, amount: Decimal, currency: str) -> str:
        """A provider's reported amount (any currency it names) as money."""
        try:
            return self.money(Money(amount, currency))
        except Exception:
            return f"{amount} {currency}"

    def number(self, value: int | Decimal) -> str:
        return str(format_decimal(value, locale=self.babel))

    def when(self, value: datetime | None, style: str = "short") -> str:
        if value is None:
            return ""
        return str(format_datetime(value, style, tzinfo=self.zone, locale=self.babel))

    def day(self, iso: str) -> str:
        """A YYYY-MM-DD day from a filter, as the language writes dates."""
        try:
            return str(format_date(date.fromisoformat(iso), "medium", locale=self.babel))
        except ValueError:
            return iso

    def clock(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return str(format_time(value, "short", tzinfo=self.zone, locale=self.babel))

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    base: Mapping[str, Any] | None = None,
) -> TemplateResponse:
    full = {**(base or {}), **context}
    text = environment().get_template(template).render(full)
    return TemplateResponse(template, full, text, status)

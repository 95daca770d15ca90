"""Variant options as viewers read them: in the viewer's language, not the owner's.

The owner names options in their own words (`talle = "M"`, `color = "negro"`). A converter
cannot know who will read its error, so it hands the router a `Localized` value; the
router renders it with the viewer's locale when it fills the template (see `Context.t`).
Each value also reads as the owner wrote it (`str()`), for logs and for the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bots.chat.i18n import Messages
from commerce.views import OrderLineView, VariantView

Word = Callable[[str], str]


def _same(word: str) -> str:
    return word


@runtime_checkable
class Localized(Protocol):
    """A reply parameter that reads differently per language."""

    def localize(self, messages: Messages, locale: str) -> str: ...


def option_summary(variants: Sequence[VariantView], name: Word = _same, value: Word = _same) -> str:
    """`talle: S, M, L · color: negro, blanco` — the choices left among `variants`."""
    names: dict[str, list[str]] = {}
    for variant in variants:
        for option, choice in sorted(variant.options.items()):
            values = names.setdefault(option, [])
            if choice not in values:
                values.append(choice)
    shown = {n: v for n, v in names.items() if len(v) > 1} or names
    return " · ".join(
        f"{name(option)}: {', '.join(value(v) for v in values)}" for option, values in shown.items()
    )


def options_label(options: Mapping[str, str], value: Word = _same) -> str:
    """`{"color": "negro", "talle": "M"}` → `negro M`, options in name order."""
    return " ".join(value(options[k]) for k in sorted(options))


def key_options(key: str | None) -> dict[str, str]:
    """`color=negro,talle=M` → `{"color": "negro", "talle": "M"}`."""
    if not key:
        return {}
    pairs = (part.partition("=") for part in key.split(","))
    return {name: choice or name for name, _, choice in pairs}


@dataclass(frozen=True, slots=True)
class Options:
    """The choices among `variants`: `tamanho: P, M · cor: preto, branco` for pt."""

    variants: tuple[VariantView, ...]

    def localize(self, messages: Messages, locale: str) -> str:
        return option_summary(
            self.variants,
            lambda n: messages.option_name(locale, n),
            lambda v: messages.option_value(locale, v),
        )

    def __str__(self) -> str:
        return option_summary(self.variants)


@dataclass(frozen=True, slots=True)
class VariantLabel:
    """One variant's values, `negro M` (es) or `preto M` (pt)."""

    options: Mapping[str, str]

    def localize(self, messages: Messages, locale: str) -> str:
        return options_label(self.options, lambda v: messages.option_value(locale, v))

    def __str__(self) -> str:
        return options_label(self.options)


@dataclass(frozen=True, slots=True)
class Lines:
    """An order's lines, `2× Remera (negro M) + 1× Taza`, variant values translated."""

    lines: tuple[OrderLineView, ...]

    def localize(self, messages: Messages, locale: str) -> str:
        return self._text(lambda v: messages.option_value(locale, v))

    def _text(self, value: Word) -> str:
        parts = []
        for line in self.lines:
            label = options_label(key_options(line.variant_key), value)
            name = f"{line.product_name} ({label})" if label else line.product_name
            parts.append(f"{line.quantity}× {name}")
        return " + ".join(parts)

    def __str__(self) -> str:
        return self._text(_same)


def localize_all(
    params: Mapping[str, object], messages: Messages, locale: str
) -> dict[str, object]:
    """`params` with every Localized value rendered for `locale`."""
    return {
        k: v.localize(messages, locale) if _localized(type(v)) else v  # type: ignore[attr-defined]
        for k, v in params.items()
    }


_LOCALIZED: dict[type, bool] = {}


def _localized(kind: type) -> bool:
    """isinstance against a runtime-checkable Protocol walks its attributes on every call;
    reply parameters come in a handful of types, so ask once per type."""
    known = _LOCALIZED.get(kind)
    if known is None:
        known = _LOCALIZED[kind] = issubclass(kind, Localized)
    return known

"""What each alert looks and sounds like, as the owner sets it in the panel (Alertas).

One `AlertStyle` per alert type (a sale, a tip by link, Bits, a Super Chat) and the
read-aloud settings, kept as one JSON document in the store's owner settings under "alerts".
A document written by another version, or edited by hand, never stops the overlay: each
value that does not fit falls back to its default, and `problems` says which.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.money import Money

SETTING_KEY = "alerts"
KINDS = ("sale", "tip", "bits", "superchat")
ENTRANCES = ("slide", "fade", "zoom", "bounce", "flip")
EXITS = ("slide", "fade", "zoom", "flip")
LAYOUTS = ("image-left", "image-top", "text-only")
ENGINES = ("browser", "server")
SOUNDS = ("chime", "coin", "fanfare", "pop")  # bots/web/static/sounds/<name>.wav
PLACEHOLDERS = ("buyer", "product", "amount", "message", "platform")
MAX_VARIATIONS = 10
MAX_TEMPLATE = 200
MAX_CSS = 4000
MAX_URL = 500
MEDIA_NAME = re.compile(r"[0-9a-f]{16}\.(png|jpg|gif|webp|wav|ogg|mp3)")
SOUND_PATH = re.compile(
    r"/overlay/(sounds/(" + "|".join(SOUNDS) + r")\.wav|media/[0-9a-f]{16}\.(wav|ogg|mp3))"
)
IMAGE_MEDIA = re.compile(r"/overlay/media/[0-9a-f]{16}\.(png|jpg|gif|webp)")


class AlertConfigError(ValueError):
    """A value the panel must refuse; `key` names the problem for the owner's language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Variation:
    """From `minimum` on (in the alert's own amount), these replace the type's own; an
    empty value keeps the type's."""

    minimum: Decimal
    template: str = ""
    image: str = ""
    sound: str = ""


@dataclass(frozen=True, slots=True)
class AlertStyle:
    template: str = ""  # empty: the built-in text in the store's language
    image: str = ""
    sound: str = ""
    volume: int = 70
    enter: str = "slide"
    exit: str = "fade"
    duration: int = 7
    layout: str = "image-left"
    css: str = ""
    variations: tuple[Variation, ...] = ()

    def pick(self, amount: Decimal) -> tuple[int | None, Variation | None]:
        """The variation with the biggest minimum the amount reaches, and its index."""
        best: tuple[int | None, Variation | None] = (None, None)
        for index, variation in enumerate(self.variations):
            current = best[1]
            if amount >= variation.minimum and (
                current is None or variation.minimum > current.minimum
            ):
                best = (index, variation)
        return best


@dataclass(frozen=True, slots=True)
class ReadAloud:
    enabled: bool = False
    minimum: Decimal = Decimal(0)
    max_chars: int = 150
    engine: str = "browser"


DEFAULT_STYLES: dict[str, AlertStyle] = {
    "sale": AlertStyle(sound="/overlay/sounds/chime.wav", enter="slide"),
    "tip": AlertStyle(sound="/overlay/sounds/coin.wav", enter="bounce"),
    "bits": AlertStyle(sound="/overlay/sounds/pop.wav", enter="zoom"),
    "superchat": AlertStyle(sound="/overlay/sounds/fanfare.wav", enter="flip"),
}


@dataclass(frozen=True, slots=True)
class AlertSettings:
    styles: dict[str, AlertStyle] = field(default_factory=lambda: dict(DEFAULT_STYLES))
    read_aloud: ReadAloud = field(default_factory=ReadAloud)

    def style(self, kind: str) -> AlertStyle:
        return self.styles.get(kind) or DEFAULT_STYLES[kind]

    def with_style(self, kind: str, style: AlertStyle) -> AlertSettings:
        return replace(self, styles={**self.styles, kind: style})

    def to_json(self) -> str:
        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        doc = {
            "styles": {k: plain(asdict(s)) for k, s in self.styles.items()},
            "read_aloud": plain(asdict(self.read_aloud)),
        }
        return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def parse(text: str | None) -> tuple[AlertSettings, list[str]]:
    """The settings in a stored document (None: never saved), and what fell back."""
    problems: list[str] = []
    if not text:
        return AlertSettings(), problems
    try:
        doc = json.loads(text)
    except ValueError:
        return AlertSettings(), ["alerts: not JSON"]
    if not isinstance(doc, dict):
        return AlertSettings(), ["alerts: not an object"]
    styles = dict(DEFAULT_STYLES)
    raw_styles = doc.get("styles")
    if isinstance(raw_styles, dict):
        for kind in KINDS:
            raw = raw_styles.get(kind)
            if isinstance(raw, dict):
                styles[kind] = _style(kind, raw, problems)
    read = ReadAloud()
    raw_read = doc.get("read_aloud")
    if isinstance(raw_read, dict):
        read = _read_aloud(raw_read, problems)
    return AlertSettings(styles, read), problems


def style_from(kind: str, raw: dict[str, Any]) -> AlertStyle:
    """A style as plain data (an AlertTest that crossed processes as JSON)."""
    return _style(kind, raw, [])


def _style(kind: str, raw: dict[str, Any], problems: list[str]) -> AlertStyle:
    base = DEFAULT_STYLES[kind]
    values: dict[str, Any] = {}
    for name, check in (
        ("template", template),
        ("image", image),
        ("sound", sound),
        ("volume", volume),
        ("enter", lambda v: choice(v, ENTRANCES, "enter")),
        ("exit", lambda v: choice(v, EXITS, "exit")),
        ("duration", duration),
        ("layout", lambda v: choice(v, LAYOUTS, "layout")),
        ("css", css),
    ):
        if name in raw:
            try:
                values[name] = check(raw[name])
            except (AlertConfigError, TypeError):
                problems.append(f"alerts.{kind}.{name}")
    found = []
    for item in raw.get("variations") or []:
        try:
            found.append(variation(item))
        except (AlertConfigError, TypeError, AttributeError):
            problems.append(f"alerts.{kind}.variations")
    values["variations"] = tuple(found[:MAX_VARIATIONS])
    return replace(base, **values)


def _read_aloud(raw: dict[str, Any], problems: list[str]) -> ReadAloud:
    values: dict[str, Any] = {}
    for name, check in (
        ("enabled", lambda v: bool(v) if isinstance(v, bool) else _fail("enabled")),
        ("minimum", lambda v: amount(str(v), allow_zero=True)),
        ("max_chars", max_chars),
        ("engine", lambda v: choice(v, ENGINES, "engine")),
    ):
        if name in raw:
            try:
                values[name] = check(raw[name])
            except (AlertConfigError, TypeError):
                problems.append(f"alerts.read_aloud.{name}")
    return replace(ReadAloud(), **values)


# --- one value each: what the panel's form and a stored document must both satisfy ---


def _fail(key: str, **params: object) -> Any:
    raise AlertConfigError(key, **params)


def _text(value: object, limit: int, key: str) -> str:
    if not isinstance(value, str):
        raise TypeError(key)
    text = value.strip()
    if len(text) > limit:
        _fail(key, limit=limit)
    return text


def template(value: object) -> str:
    text = _text(value, MAX_TEMPLATE, "alert_template_long")
    for name in re.findall(r"\{(\w*)\}", text):
        if name not in PLACEHOLDERS:
            _fail("alert_placeholder", name=name)
    return text


def image(value: object) -> str:
    text = _text(value, MAX_URL, "alert_image")
    if text and not (text.startswith("https://") or IMAGE_MEDIA.fullmatch(text)):
        _fail("alert_image")
    return text


def sound(value: object) -> str:
    text = _text(value, MAX_URL, "alert_sound")
    if text and not SOUND_PATH.fullmatch(text):
        _fail("alert_sound")
    return text


def css(value: object) -> str:
    text = _text(value, MAX_CSS, "alert_css_long")
    if "</" in text or "<" in text:
        _fail("alert_css")  # it is a stylesheet, never markup
    return text


def _integer(value: object, low: int, high: int, key: str) -> int:
    if isinstance(value, bool):
        _fail(key, low=low, high=high)
    try:
        number = int(str(value).strip())
    except ValueError:
        _fail(key, low=low, high=high)
    if not low <= number <= high:
        _fail(key, low=low, high=high)
    return number


def volume(value: object) -> int:
    return _integer(value, 0, 100, "alert_volume")


def duration(value: object) -> int:
    return _integer(value, 2, 60, "alert_duration")


def max_chars(value: object) -> int:
    return _integer(value, 10, 500, "alert_max_chars")


def choice(value: object, allowed: tuple[str, ...], key: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        _fail(f"alert_{key}")
    return str(value)


def amount(text: str, *, allow_zero: bool = False) -> Decimal:
    """A plain amount as stored ("10000", "12.5"); the panel parses the owner's own format
    (commerce.money.parse_amount) before it gets here."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        _fail("alert_amount", value=text)
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        _fail("alert_amount", value=text)
    return value


def variation(raw: dict[str, Any]) -> Variation:
    return Variation(
        minimum=amount(str(raw["minimum"])),
        template=template(raw.get("template", "")),
        image=image(raw.get("image", "")),
        sound=sound(raw.get("sound", "")),
    )


def fill(text: str, values: dict[str, str]) -> str:
    """`{buyer} compró {product}` with the values; an unknown placeholder stays as typed."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def tip_kind(source: str) -> str:
    """The alert type of a tip, from its TipView.source."""
    return {"link": "tip", "bits": "bits", "superchat": "superchat"}.get(source, "tip")


def sample_amount(style: AlertStyle, index: int | None, currency: str) -> Money:
    """What a test alert pretends was paid: the variation's minimum, or a round sum under
    the smallest variation so the type's own look shows."""
    if index is not None and 0 <= index < len(style.variations):
        return Money(style.variations[index].minimum, currency)
    lowest = min((v.minimum for v in style.variations), default=None)
    base = Decimal(1000) if currency not in ("BITS",) else Decimal(100)
    if lowest is not None and base >= lowest:
        base = max(Decimal(1), (lowest / 2).quantize(Decimal(1)))
    return Money(base, currency)

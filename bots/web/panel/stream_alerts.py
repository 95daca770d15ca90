"""Alertas (owner only): how each alert type looks and sounds on the overlay, variations by
amount, read-aloud, the owner's own images and sounds, and test and replay.

Settings are one document in the store (bots.web.alert_config); the overlay reads it for
every alert, so a change shows on the next one without a reload. A test or a replay is an
event on the bus (AlertTest, AlertReplay) that only the overlay acts on: no goal, report,
figure or live-feed total counts it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web
from multidict import MultiDictProxy

from bots.runtime.events import AlertReplay, AlertTest
from bots.web import alert_config, alert_media
from bots.web.alert_config import AlertConfigError, AlertSettings, AlertStyle, ReadAloud, Variation
from bots.web.alert_media import MediaRefused
from bots.web.overlay import default_template
from bots.web.panel.auth import CSRF_FIELD, CSRF_HEADER
from bots.web.panel.core import PanelContext, Routes, page, panel, url
from bots.web.panel.live import feed
from commerce import errors
from commerce.money import parse_amount
from commerce.views import OrderStatus, TipStatus

RECENT = 10  # recent sales and tips offered for replay
CHUNK = 64 * 1024


async def _settings(ctx: PanelContext) -> AlertSettings:
    text = await ctx.run(ctx.store.owner_setting, alert_config.SETTING_KEY)
    return alert_config.parse(text)[0]


async def _save(ctx: PanelContext, settings: AlertSettings) -> None:
    await ctx.run(ctx.store.set_owner_setting, alert_config.SETTING_KEY, settings.to_json())


async def show(
    request: web.Request, *, error: str = "", status: int = 200, typed: str = ""
) -> web.StreamResponse:
    ctx = panel(request)
    settings = await _settings(ctx)
    files = ctx.media.files() if ctx.media is not None else []
    sounds = [(f"/overlay/sounds/{name}.wav", name) for name in alert_config.SOUNDS]
    sounds += [(f.url, f.name) for f in files if not f.is_image]
    recent = [i for i in feed(request).items if i["kind"] in ("paid", "tip") and i.get("code")]
    types = []
    for kind in alert_config.KINDS:
        style = settings.style(kind)
        types.append(
            {
                "kind": kind,
                "style": style,
                "default": default_template(ctx.messages, ctx.settings.locale, kind),
                "variations": [
                    {"index": i, "v": v, "minimum": _amount_text(ctx, v.minimum)}
                    for i, v in enumerate(style.variations)
                ],
            }
        )
    read = settings.read_aloud
    return page(
        request,
        "stream_alerts.html",
        {
            "nav": "stream_alerts",
            "types": types,
            "read": read,
            "read_minimum": _amount_text(ctx, read.minimum),
            "sounds": sounds,
            "images": [f for f in files if f.is_image],
            "files": files,
            "entrances": alert_config.ENTRANCES,
            "exits": alert_config.EXITS,
            "layouts": alert_config.LAYOUTS,
            "engines": alert_config.ENGINES,
            "placeholders": alert_config.PLACEHOLDERS,
            "recent": list(reversed(recent))[:RECENT],
            "error": error,
            "typed": typed,
            "preview": "/overlay?layout=alerts&preview=1",
        },
        status=status,
    )


def _amount_text(ctx: PanelContext, value: Any) -> str:
    return ctx.fmt.number(value) if value else ""


def _back(request: web.Request, ok: str, anchor: str = "") -> web.HTTPSeeOther:
    where = url(request, "stream_alerts", {"ok": ok})
    return web.HTTPSeeOther(where + (f"#{anchor}" if anchor else ""))


async def _problem(request: web.Request, key: str, **params: object) -> web.StreamResponse:
    text = panel(request).fmt.t(f"error_{key}", **params)
    return await show(request, error=text, status=400)


def _kind(request: web.Request) -> str:
    kind = request.match_info["kind"]
    if kind not in alert_config.KINDS:
        raise web.HTTPNotFound()
    return kind


def _minimum(ctx: PanelContext, text: str, *, allow_zero: bool = False) -> Any:
    text = text.strip()
    if not text:
        return alert_config.amount("0", allow_zero=True) if allow_zero else None
    try:
        value = parse_amount(text, ctx.settings.currency, ctx.settings.locale)
    except errors.CommerceError:
        raise AlertConfigError("alert_amount", value=text) from None
    return alert_config.amount(str(value), allow_zero=allow_zero)


def _style(ctx: PanelContext, form: MultiDictProxy[Any]) -> AlertStyle:
    """A type's form as an AlertStyle; AlertConfigError names the first bad value."""

    def field(name: str) -> str:
        return str(form.get(name, ""))

    variations = []
    rows = zip(
        form.getall("var_minimum", []),
        form.getall("var_template", []),
        form.getall("var_image", []),
        form.getall("var_sound", []),
        strict=False,
    )
    for minimum, template, image, sound in rows:
        value = _minimum(ctx, str(minimum))
        if value is None:
            continue  # an empty row: the one left for adding, or one cleared to delete
        variations.append(
            Variation(
                value,
                alert_config.template(str(template)),
                alert_config.image(str(image)),
                alert_config.sound(str(sound)),
            )
        )
    if len(variations) > alert_config.MAX_VARIATIONS:
        raise AlertConfigError("alert_variations", limit=alert_config.MAX_VARIATIONS)
    return AlertStyle(
        template=alert_config.template(field("template")),
        image=alert_config.image(field("image")),
        sound=alert_config.sound(field("sound")),
        volume=alert_config.volume(field("volume") or "70"),
        enter=alert_config.choice(field("enter"), alert_config.ENTRANCES, "enter"),
        exit=alert_config.choice(field("exit"), alert_config.EXITS, "exit"),
        duration=alert_config.duration(field("duration") or "7"),
        layout=alert_config.choice(field("layout"), alert_config.LAYOUTS, "layout"),
        css=alert_config.css(field("css")),
        variations=tuple(sorted(variations, key=lambda v: v.minimum)),
    )


async def save_type(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    kind = _kind(request)
    form = await request.post()
    try:
        style = _style(ctx, form)
    except AlertConfigError as problem:
        return await _problem(request, problem.key, **problem.params)
    settings = await _settings(ctx)
    await _save(ctx, settings.with_style(kind, style))
    raise _back(request, "stream_alerts_saved", kind)


async def save_read_aloud(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    try:
        read = ReadAloud(
            enabled=form.get("enabled") == "1",
            minimum=_minimum(ctx, str(form.get("minimum", "")), allow_zero=True),
            max_chars=alert_config.max_chars(str(form.get("max_chars", "")) or "150"),
            engine=alert_config.choice(
                str(form.get("engine", "browser")), alert_config.ENGINES, "engine"
            ),
        )
    except AlertConfigError as problem:
        return await _problem(request, problem.key, **problem.params)
    settings = await _settings(ctx)
    await _save(ctx, AlertSettings(settings.styles, read))
    raise _back(request, "stream_alerts_saved", "read-aloud")


async def send_test(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    kind = _kind(request)
    form = await request.post()
    chosen = str(form.get("variation", ""))
    variation = int(chosen) if chosen.isdigit() else None
    style = None
    if form.get("preview") == "1":  # the editor's values as they are now, not saved
        try:
            style = _style(ctx, form)
        except AlertConfigError as problem:
            return await _problem(request, problem.key, **problem.params)
    await ctx.publish(AlertTest(kind, variation, ctx.settings.currency, style))
    raise _back(request, "stream_alerts_test", kind)


async def replay(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    code = str(form.get("code", ""))
    try:
        order = await ctx.run(ctx.store.get_order, code)
    except errors.OrderNotFound:
        order = None
    if order is not None:
        if order.status not in (OrderStatus.PAID, OrderStatus.FULFILLED):
            return await _problem(request, "alert_not_paid")
        await ctx.publish(AlertReplay(order=order))
        raise _back(request, "stream_alerts_replayed", "recent")
    try:
        tip = await ctx.run(ctx.store.get_tip, code)
    except errors.OrderNotFound:
        return await _problem(request, "alert_not_found")
    if tip.status is not TipStatus.PAID:
        return await _problem(request, "alert_not_paid")
    await ctx.publish(AlertReplay(tip=tip))
    raise _back(request, "stream_alerts_replayed", "recent")


async def upload(request: web.Request) -> web.StreamResponse:
    """An image or sound for alerts. With JavaScript the page sends the CSRF token as a
    header and the file streams in, up to the media limits; without it, the form's token
    field makes the body go through the app's small request limit first."""
    ctx = panel(request)
    if ctx.media is None:
        return await _problem(request, "media_off")
    try:
        if CSRF_HEADER in request.headers:
            data = await _streamed_file(request)
        else:
            form = await request.post()
            sent = form.get("file")
            data = sent.file.read() if isinstance(sent, web.FileField) else b""
        if not data:
            raise MediaRefused("media_type")
        await ctx.run(ctx.media.save, data)
    except MediaRefused as problem:
        return await _problem(request, problem.key)
    raise _back(request, "stream_alerts_uploaded", "media")


async def _streamed_file(request: web.Request) -> bytes:
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            return b""
        if not isinstance(part, BodyPartReader) or part.name != "file":
            if isinstance(part, BodyPartReader) and part.name != CSRF_FIELD:
                await part.release()
            continue
        data = bytearray()
        limit = 0
        while chunk := await part.read_chunk(CHUNK):
            data += chunk
            if not limit and len(data) >= 16:
                limit = alert_media.limit_for(bytes(data[:16]))
            if limit and len(data) > limit:
                raise MediaRefused("media_size")
        return bytes(data)


def setup(routes: Routes) -> None:
    routes.add("GET", "/alertas", show, "stream_alerts")
    routes.add("POST", "/alertas/tipo/{kind}", save_type, "stream_alerts_save")
    routes.add("POST", "/alertas/tipo/{kind}/probar", send_test, "stream_alerts_test")
    routes.add("POST", "/alertas/lectura", save_read_aloud, "stream_alerts_read_aloud")
    routes.add("POST", "/alertas/repetir", replay, "stream_alerts_replay")
    routes.add("POST", "/alertas/subir", upload, "stream_alerts_upload")

"""Productos: the catalog with stock, reserved, sold and available, and the owner's edits.

An edit is one `ProductSpec` handed to `Store.sync_catalog`, the same call `vivo products
import` makes: one transaction, every invariant checked there (stock never below what is
reserved or sold; prices the currency can express). A refused edit shows the form again
with what the owner typed and why it was refused, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from aiohttp import web
from multidict import MultiDictProxy

from bots.runtime.events import StockChanged
from bots.web.panel.core import PanelContext, Routes, page, panel, url
from commerce import errors
from commerce.delivery import METHODS as DELIVERY_METHODS
from commerce.money import parse_amount
from commerce.reports import ProductCounts
from commerce.views import ProductSpec, ProductView, VariantSpec

MAX_STOCK = 1_000_000
NEW_VARIANT_ROWS = 2


class FormProblem(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


async def list_products(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    catalog = await ctx.run(ctx.store.panel_catalog)
    waiting = await ctx.run(ctx.store.waitlist_sizes)
    lines = {sku: await ctx.run(ctx.store.waitlist_line, sku) for sku in sorted(waiting)}
    return page(
        request,
        "products.html",
        {"nav": "products", "catalog": catalog, "low": ctx.panel.low_stock, "lines": lines},
    )


def _form_of(product: ProductCounts | None, view: ProductView | None = None) -> dict[str, Any]:
    form = _fields_of(product)
    if view is not None:
        form.update(delivery=view.delivery, queue=view.queue, deliver_text=view.deliver_text or "")
    else:
        digital = product is not None and product.digital
        form.update(delivery="digital" if digital else "ship", queue=False, deliver_text="")
    return form


def _fields_of(product: ProductCounts | None) -> dict[str, Any]:
    if product is None:
        return {
            "sku": "",
            "name": "",
            "price": "",
            "stock": "0",
            "active": True,
            "aliases": "",
            "image_url": "",
            "max_per_viewer": "",
            "description": "",
            "variants": [],
        }
    return {
        "sku": product.sku,
        "name": product.name,
        "price": _plain(product.price.amount),
        "stock": str(product.stock),
        "active": product.active,
        "aliases": ", ".join(product.aliases),
        "image_url": product.image_url or "",
        "max_per_viewer": "" if product.max_per_viewer is None else str(product.max_per_viewer),
        "description": product.description,
        "variants": [
            {
                "options": ", ".join(f"{k}={v}" for k, v in v.options.items()),
                "stock": str(v.stock),
                "price": "" if v.own_price is None else _plain(v.own_price.amount),
                "reserved": v.reserved,
                "sold": v.sold,
                "available": v.available,
            }
            for v in product.variants
        ],
    }


def _plain(amount: Decimal) -> str:
    """15000, not 15000.00: what an owner would type (cents only when there are some)."""
    return str(int(amount)) if amount == amount.to_integral_value() else str(amount)


async def _find(ctx: PanelContext, sku: str) -> ProductCounts:
    for product in await ctx.run(ctx.store.panel_catalog):
        if product.sku == sku:
            return product
    raise web.HTTPNotFound(text="no such product")


async def edit_form(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    product = await _find(ctx, request.match_info["sku"])
    view = await ctx.run(ctx.store.get_product, product.sku)
    return _form_page(request, product, _form_of(product, view))


async def new_form(request: web.Request) -> web.StreamResponse:
    return _form_page(request, None, _form_of(None))


def _form_page(
    request: web.Request,
    product: ProductCounts | None,
    form: Mapping[str, Any],
    *,
    error: str = "",
    status: int = 200,
) -> web.StreamResponse:
    blank = {"options": "", "stock": "0", "price": "", "reserved": 0, "sold": 0, "available": 0}
    return page(
        request,
        "product_form.html",
        {
            "nav": "products",
            "product": product,
            "form": form,
            "new_variants": [blank] * NEW_VARIANT_ROWS,
            "error": error,
        },
        status=status,
    )


def _int(text: str, what: str, *, minimum: int = 0, maximum: int = MAX_STOCK) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or not minimum <= int(text) <= maximum:
        raise FormProblem("bad_number", field=what)
    return int(text)


def _price(ctx: PanelContext, text: str) -> Decimal:
    try:
        value = parse_amount(text, ctx.settings.currency, ctx.settings.locale)
    except errors.CommerceError:
        raise FormProblem("bad_price", value=text) from None
    if value <= 0:
        raise FormProblem("bad_price", value=text)
    return value


def _options(text: str) -> dict[str, str]:
    """`talle=M, color=negro` → {"talle": "M", "color": "negro"}."""
    options: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise FormProblem("bad_options", value=text)
        options[name.strip().lower()] = value.strip()
    return options


def _spec(
    ctx: PanelContext, form: MultiDictProxy[Any], sku: str
) -> tuple[ProductSpec, dict[str, Any]]:
    """The form as a ProductSpec, and as it was typed (to show again if refused)."""
    typed: dict[str, Any] = {
        k: str(form.get(k, "")).strip()
        for k in (
            "sku",
            "name",
            "price",
            "stock",
            "aliases",
            "image_url",
            "max_per_viewer",
            "description",
        )
    }
    typed["sku"] = sku or typed["sku"]
    typed["active"] = form.get("active") == "1"
    wanted = str(form.get("delivery", "ship"))
    typed["delivery"] = wanted if wanted in DELIVERY_METHODS else "ship"
    typed["queue"] = form.get("queue") == "1"
    typed["deliver_text"] = str(form.get("deliver_text", "")).strip()[:2000]
    columns = zip(
        form.getall("v_options", []),
        form.getall("v_stock", []),
        form.getall("v_price", []),
        strict=False,
    )
    variants = [
        {
            "options": str(o).strip(),
            "stock": str(st).strip(),
            "price": str(pr).strip(),
            "reserved": 0,
            "sold": 0,
            "available": 0,
        }
        for o, st, pr in columns
    ]
    typed["variants"] = [v for v in variants if v["options"]]
    if (
        not typed["sku"]
        or len(typed["sku"]) > 64
        or not typed["sku"].isascii()
        or not typed["sku"].replace("-", "").replace("_", "").isalnum()
    ):
        raise _with(FormProblem("bad_sku"), typed)
    if not typed["name"]:
        raise _with(FormProblem("missing_name"), typed)
    try:
        price = _price(ctx, typed["price"])
        specs = tuple(
            VariantSpec(
                options=_options(v["options"]),
                stock=_int(v["stock"] or "0", "stock"),
                price=_price(ctx, v["price"]) if v["price"] else None,
            )
            for v in typed["variants"]
        )
        stock = _int(typed["stock"] or "0", "stock")
        limit = _int(typed["max_per_viewer"], "max", minimum=1) if typed["max_per_viewer"] else None
    except FormProblem as problem:
        raise _with(problem, typed) from None
    image = typed["image_url"] or None
    if image is not None and not image.startswith(("https://", "http://", "/")):
        raise _with(FormProblem("bad_image"), typed)
    aliases = tuple(a.strip() for a in typed["aliases"].split(",") if a.strip())
    spec = ProductSpec(
        sku=typed["sku"],
        name=typed["name"][:200],
        price=price,
        currency=ctx.settings.currency,
        stock=stock,
        aliases=aliases,
        description=typed["description"][:2000],
        active=typed["active"],
        max_per_viewer=limit,
        image_url=image,
        variants=specs,
        digital=typed["delivery"] == "digital",
        delivery=typed["delivery"],
        queue=typed["queue"] and typed["delivery"] == "digital",
        deliver_text=(typed["deliver_text"] or None) if typed["delivery"] == "digital" else None,
    )
    return spec, typed


def _with(problem: FormProblem, typed: dict[str, Any]) -> FormProblem:
    problem.params["typed"] = typed
    return problem


def _explain(ctx: PanelContext, problem: FormProblem) -> str:
    params = {k: v for k, v in problem.params.items() if k != "typed"}
    return ctx.fmt.t(f"error_{problem.key}", **params)


def _store_problem(ctx: PanelContext, exc: errors.CommerceError) -> str:
    if isinstance(exc, errors.StockBelowCommitted):
        return ctx.fmt.t("error_stock_below", stock=exc.requested, committed=exc.committed)
    if isinstance(exc, errors.InvalidAmount):
        return ctx.fmt.t("error_bad_price", value=exc.text)
    return ctx.fmt.t("error_not_now")


async def save(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    sku = request.match_info["sku"]
    product = await _find(ctx, sku)
    form = await request.post()
    try:
        spec, typed = _spec(ctx, form, sku)
    except FormProblem as problem:
        typed = cast(dict[str, Any], problem.params.get("typed", _form_of(product)))
        return _form_page(request, product, typed, error=_explain(ctx, problem), status=400)
    if not spec.variants and product.variants:
        spec = _keep_variants(spec, product)
    try:
        (updated,) = await ctx.run(ctx.store.sync_catalog, [spec])
    except errors.CommerceError as exc:
        return _form_page(request, product, typed, error=_store_problem(ctx, exc), status=409)
    await ctx.publish(StockChanged(updated))
    raise web.HTTPSeeOther(url(request, "products", {"ok": "saved"}))


def _keep_variants(spec: ProductSpec, product: ProductCounts) -> ProductSpec:
    """A form that lost its variant rows must not deactivate them all."""
    from dataclasses import replace

    kept = tuple(
        VariantSpec(dict(v.options), v.stock, v.own_price.amount if v.own_price else None)
        for v in product.variants
    )
    return replace(spec, variants=kept)


async def create(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    try:
        spec, typed = _spec(ctx, form, "")
    except FormProblem as problem:
        typed = cast(dict[str, Any], problem.params.get("typed", _form_of(None)))
        return _form_page(request, None, typed, error=_explain(ctx, problem), status=400)
    try:
        added = await ctx.run(ctx.store.panel_add_product, spec)
    except errors.CommerceError as exc:
        return _form_page(request, None, typed, error=_store_problem(ctx, exc), status=409)
    if added is None:
        error = ctx.fmt.t("error_sku_taken", sku=spec.sku)
        return _form_page(request, None, typed, error=error, status=409)
    raise web.HTTPSeeOther(url(request, "products", {"ok": "added"}))


async def set_stock(request: web.Request) -> web.StreamResponse:
    """The quick edit in the list (and on the live page): one number, like `!stock`."""
    ctx = panel(request)
    sku = request.match_info["sku"]
    form = await request.post()
    variant = str(form.get("variant", "")) or None
    back = "live" if form.get("back") == "live" else "products"
    try:
        stock = _int(str(form.get("stock", "")), "stock")
        updated = await ctx.run(ctx.store.set_stock, sku, stock, variant)
    except FormProblem as problem:
        return await _list_problem(request, _explain(ctx, problem))
    except errors.CommerceError as exc:
        return await _list_problem(request, _store_problem(ctx, exc))
    await ctx.publish(StockChanged(updated))
    raise web.HTTPSeeOther(url(request, back, {"ok": "stock"}))


async def _list_problem(request: web.Request, error: str) -> web.StreamResponse:
    ctx = panel(request)
    catalog = await ctx.run(ctx.store.panel_catalog)
    return page(
        request,
        "products.html",
        {"nav": "products", "catalog": catalog, "low": ctx.panel.low_stock, "error": error},
        status=409,
    )


def setup(routes: Routes) -> None:
    routes.add("GET", "/productos", list_products, "products", staff=True)
    routes.add("GET", "/productos/nuevo", new_form, "product_new")
    routes.add("POST", "/productos/nuevo", create, "product_create")
    routes.add("GET", "/productos/{sku}", edit_form, "product")
    routes.add("POST", "/productos/{sku}", save, "product_save")
    routes.add("POST", "/productos/{sku}/stock", set_stock, "product_stock")

"""The checkout page a buyer opens from a preference's link, to pay or decline.

`/mercadopago/checkout/v1/redirect?pref_id=…` and the form it posts to, rendered as small
HTML pages.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

from aiohttp import web
from yarl import URL

from sandbox.mercadopago.payloads import PREFIX, SITE_ID, _expired
from sandbox.mercadopago.payments import Payments

NO_DECIMALS = {"CLP"}


class Checkout(Payments):
    """The checkout page handlers."""

    async def _checkout_page(self, request: web.Request) -> web.StreamResponse:
        preference = self._state.preferences.get(request.query.get("pref_id", ""))
        if preference is None:
            return _page("Pago no encontrado", "<p>No encontramos este link de pago.</p>", 404)
        if _expired(preference):
            return _page("Link vencido", "<p>Este link de pago venció.</p>", 410)
        return _page("Pagar", _checkout_html(preference))

    async def _checkout_submit(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        preference = self._state.preferences.get(str(form.get("pref_id", "")))
        if preference is None:
            return _page("Pago no encontrado", "<p>No encontramos este link de pago.</p>", 404)
        if _expired(preference):
            return _page("Link vencido", "<p>Este link de pago venció.</p>", 410)
        approved = form.get("decision") == "pay"
        payment = self.pay(preference, status="approved" if approved else "rejected")
        return _page("Resultado", _result_html(preference, payment))


def _money(amount: Decimal, currency: str) -> str:
    """Spanish-style amounts: thousands with dots, decimals with a comma."""
    places = 0 if currency in NO_DECIMALS else 2
    text = f"{amount:,.{places}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{html.escape(currency)} {text}"


def _checkout_html(preference: dict[str, Any]) -> str:
    items = preference["items"]
    currency = items[0]["currency_id"]
    total = sum((Decimal(str(i["unit_price"])) * i["quantity"] for i in items), Decimal(0))
    rows = "".join(
        f"<tr><td>{html.escape(i['title'])}</td><td class=n>{i['quantity']}</td>"
        f"<td class=n>{_money(Decimal(str(i['unit_price'])) * i['quantity'], currency)}</td></tr>"
        for i in items
    )
    pref_id = html.escape(preference["id"])
    return f"""
<p class=muted>Estás pagando a <strong>Vivo Sandbox</strong></p>
<table><thead><tr><th>Producto</th><th class=n>Cant.</th><th class=n>Importe</th></tr></thead>
<tbody>{rows}</tbody>
<tfoot><tr><th colspan=2>Total</th><th class="n total">{_money(total, currency)}</th></tr></tfoot>
</table>
<form method=post action="{PREFIX}/checkout/v1/pay">
  <input type=hidden name=pref_id value="{pref_id}">
  <button class=pay name=decision value=pay>Pagar</button>
  <button class=reject name=decision value=reject>Rechazar</button>
</form>
<p class=muted>Entorno de prueba: no se mueve dinero real.</p>"""


def _result_html(preference: dict[str, Any], payment: dict[str, Any]) -> str:
    approved = payment["status"] == "approved"
    back = preference["back_urls"].get("success" if approved else "failure") or ""
    message = "¡Listo! Tu pago fue aprobado." if approved else "El pago fue rechazado."
    link = ""
    if back:
        target = URL(back).update_query(
            {
                "collection_id": str(payment["id"]),
                "collection_status": payment["status"],
                "payment_id": str(payment["id"]),
                "status": payment["status"],
                "external_reference": payment["external_reference"] or "",
                "preference_id": preference["id"],
                "site_id": SITE_ID,
            }
        )
        link = f'<p><a class=back href="{html.escape(str(target))}">Volver al sitio</a></p>'
    else:
        link = "<p class=muted>Ya podés cerrar esta ventana.</p>"
    css = "ok" if approved else "ko"
    return (
        f'<p class="result {css}">{message}</p>'
        f"<p class=muted>Operación n.º {payment['id']}</p>{link}"
    )


_STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f5f6f8;
color:#222}main{max-width:28rem;margin:2rem auto;background:#fff;border-radius:12px;
padding:1.5rem;box-shadow:0 2px 12px #0001}h1{font-size:1.3rem;margin:0 0 1rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}td,th{padding:.4rem 0;text-align:left;
border-bottom:1px solid #eee}.n{text-align:right}.total{font-size:1.2rem}
button{width:100%;padding:.9rem;border:0;border-radius:8px;font-size:1rem;margin-top:.6rem;
cursor:pointer}.pay{background:#009ee3;color:#fff}.reject{background:#eee;color:#333}
.muted{color:#777;font-size:.9rem}.result{font-size:1.2rem;font-weight:600}.ok{color:#00a650}
.ko{color:#d0021b}a.back{color:#009ee3}
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    document = (
        "<!doctype html><html lang=es><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)} · Mercado Pago (sandbox)</title>"
        f"<style>{_STYLE}</style></head><body><main><h1>{html.escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    return web.Response(text=document, status=status, content_type="text/html")

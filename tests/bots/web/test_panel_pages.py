"""Every panel page, as the owner sees it with data in the store, is fit for a strict
Content-Security-Policy (scripts only from files, no inline handlers or styles) and every
form that changes something carries the CSRF token."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from panel_helpers import Browser, Served

from commerce.views import LineRequest, ViewerRef

SKIP = {
    "panel.live_events",
    "panel.moderation_events",
    "panel.shoutouts_events",
    "panel.orders_csv",
    "panel.static",
    "panel.signin",
}


async def test_every_page_renders_without_inline_script_or_style(
    served: Served, store: Any
) -> None:
    order = store.reserve(
        ViewerRef("twitch", "u1", "<b>ana</b>"), "c", [LineRequest("TAZA")], ttl=timedelta(1)
    )
    sample = {"code": order.code, "sku": "REM", "name": "panel.css"}
    alert = {"headline": "<b>ana</b>", "amount": "$ 1", "platform": "twitch"}
    payload = {"alert": alert, "name": "<b>ana</b>", "message": "<b>ana</b>", "matched": []}
    store.hold_alert("tip", "T1", json.dumps(payload), "words")  # the queue escapes it too
    owner = Browser(served)
    try:
        await owner.sign_in()
        pages = 0
        for route in served.panel.app.router.routes():
            if route.method != "GET" or route.name in SKIP:
                continue
            info = route.resource.get_info() if route.resource else {}
            template = info.get("formatter") or info.get("path") or ""
            path = re.sub(r"\{(\w+)\}", lambda m: sample[m.group(1)], template)
            response = await owner.get(path)
            if response.status in (301, 303):
                continue  # the home page redirects to the live page
            assert response.status == 200, (path, response.status)
            html = await response.text()
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
            assert not re.search(r"\son[a-z]+=", html), path
            assert not re.search(r"\sstyle=", html), path
            assert "<b>ana</b>" not in html, path  # buyers' names are escaped
            for form in re.findall(r"<form[^>]*method=\"post\"[\s\S]*?</form>", html):
                assert 'name="_csrf"' in form, (path, form[:80])
            pages += 1
        assert pages >= 9
    finally:
        await owner.close()

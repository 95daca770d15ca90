"""Security headers on every response of the bot's web app.

Each page that loads anything sets its own `Content-Security-Policy` from the policies
below (it knows what it loads); every other response — JSON, redirects, errors — gets
`DEFAULT`, which allows nothing. All get `nosniff` and `no-referrer` (a checkout or short
link in a Referer header tells the next site nothing it needs).

Framing is refused (`frame-ancestors 'none'`, and `X-Frame-Options` for old browsers)
wherever a click could do something: the buy page's button reserves stock. The overlay
has no controls and OBS loads it as a top-level page, so its policy says nothing about
frames and an owner may compose it into a page of their own.
"""

from __future__ import annotations

from aiohttp import web

CSP = "Content-Security-Policy"

DEFAULT = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"

# No form-action: the POST redirects to the payment provider's checkout, and Chromium
# checks form-action against that redirect too. Product images live wherever the owner
# hosts them.
CHECKOUT = (
    "default-src 'none'; style-src 'self'; img-src * data:; base-uri 'none'; frame-ancestors 'none'"
)

# 'unsafe-inline' styles only: OBS applies its "Custom CSS" box as an inline <style>, and
# so does the overlay with each alert type's CSS from the panel. Scripts are this app's
# files only; the SSE stream is same-origin; sounds (shipped, uploaded, read-aloud clips)
# are served by this app, so a sound link cannot phone home from the stream.
OVERLAY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src * data:; media-src 'self'; connect-src 'self'; base-uri 'none'"
)

# The owner's panel: its own scripts, styles and event stream; forms post only to itself;
# product images may live on any https host; the alerts page frames the overlay (same
# origin) as its preview and plays the sounds. Never framed (every page has buttons).
PANEL = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "media-src 'self'; frame-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def install(app: web.Application) -> None:
    """Add the headers to every response `app` prepares, streams and errors included."""
    app.on_response_prepare.append(_add_headers)


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault(CSP, DEFAULT)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if "frame-ancestors 'none'" in headers[CSP]:
        headers.setdefault("X-Frame-Options", "DENY")

"""Twitch's OAuth endpoints under `/twitch/oauth2/` and the device-code activation page.

Client-credentials, refresh and device-code grants, `validate`, `revoke`, `device`, and
`/twitch/activate` where a person approves a device code in the browser.
"""

from __future__ import annotations

import html
import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.twitch.errors import _oauth_error
from sandbox.twitch.models import DeviceGrant, Token
from sandbox.twitch.world import PREFIX, TwitchWorld

DEVICE_CODE_SECONDS = 1800


class OAuth(TwitchWorld):
    """The `/oauth2/*` handlers and the activation page."""

    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        """OAuth endpoints take their parameters in the query string or a form body."""
        params = dict(request.query)
        if request.can_read_body:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    async def _token(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        grant = params.get("grant_type", "")
        if params.get("client_id") != self.client_id:
            return _oauth_error(400, "invalid client")
        if grant == "client_credentials":
            if params.get("client_secret") != self.client_secret:
                return _oauth_error(403, "invalid client secret")
            token = self.mint(None)
            return web.json_response(
                {
                    "access_token": token.access,
                    "expires_in": token.expires_in(),
                    "token_type": "bearer",
                }
            )
        if grant == "refresh_token":
            secret = params.get("client_secret")
            if secret is not None and secret != self.client_secret:
                return _oauth_error(403, "invalid client secret")
            old = self.refresh_tokens.pop(params.get("refresh_token", ""), None)
            if old is None or old.user_id is None:
                return _oauth_error(400, "Invalid refresh token")
            old.valid = False
            login = self._user_by_id(old.user_id)
            assert login is not None
            return self._user_token_response(self.mint(login.login, old.scopes))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            device = self.devices.get(params.get("device_code", ""))
            if device is None:
                return _oauth_error(400, "invalid device code")
            if time.monotonic() > device.expires_at:
                return _oauth_error(400, "expired_token")
            if device.user_id is None:
                return _oauth_error(400, "authorization_pending")
            del self.devices[device.device_code]
            owner = self._user_by_id(device.user_id)
            assert owner is not None
            return self._user_token_response(self.mint(owner.login, device.scopes))
        return _oauth_error(400, "Invalid grant type")

    @staticmethod
    def _user_token_response(token: Token) -> web.Response:
        return web.json_response(
            {
                "access_token": token.access,
                "expires_in": token.expires_in(),
                "refresh_token": token.refresh,
                "scope": list(token.scopes),
                "token_type": "bearer",
            }
        )

    async def _validate(self, request: web.Request) -> web.Response:
        token = self._bearer(request, helix=False)
        if isinstance(token, web.Response):
            return _oauth_error(401, "invalid access token")
        body: dict[str, Any] = {
            "client_id": token.client_id,
            "scopes": list(token.scopes) if token.user_id else [],
            "expires_in": token.expires_in(),
        }
        owner = self._user_by_id(token.user_id) if token.user_id else None
        if owner is not None:
            body.update({"login": owner.login, "user_id": owner.id})
        return web.json_response(body)

    async def _revoke(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        token = self.tokens.get(params.get("token", ""))
        if token is not None:
            token.valid = False
        return web.Response(status=200)

    async def _device(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if params.get("client_id") != self.client_id:
            return _oauth_error(400, "invalid client")
        scopes = tuple(params.get("scopes", "").replace("+", " ").split())
        grant = DeviceGrant(
            device_code=secrets.token_urlsafe(30),
            user_code="".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8)),
            client_id=self.client_id,
            scopes=scopes,
            expires_at=time.monotonic() + DEVICE_CODE_SECONDS,
        )
        self.devices[grant.device_code] = grant
        base = f"{request.scheme}://{request.host}{PREFIX}"
        return web.json_response(
            {
                "device_code": grant.device_code,
                "expires_in": DEVICE_CODE_SECONDS,
                "interval": self.device_interval,
                "user_code": grant.user_code,
                "verification_uri": f"{base}/activate?public=true&device-code={grant.user_code}",
            }
        )

    async def _activate_page(self, request: web.Request) -> web.Response:
        code = html.escape(request.query.get("device-code", ""))
        page = (
            "<!doctype html><meta charset=utf-8><title>Twitch (sandbox)</title>"
            "<h1>Activar dispositivo</h1>"
            f'<form method=post><label>Código <input name=user_code value="{code}"></label>'
            '<label> Cuenta <input name=login placeholder="vivobot"></label>'
            "<button>Autorizar</button></form>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _activate_form(self, request: web.Request) -> web.Response:
        form = await request.post()
        ok = self.activate(str(form.get("user_code", "")), str(form.get("login", "")))
        text = "Listo: podés volver a la terminal." if ok else "Código desconocido."
        return web.Response(text=text, status=200 if ok else 404)

"""One loopback aiohttp server that plays every outside service Vivo talks to.

Each platform is a stand-in object that mounts its routes under its own path prefix (its API)
and under `/_sandbox/<platform>/` (the control API tests and the demo drive it with). Adding a
platform means writing a class with `name`, `setup(app)` and `close()`, and listing it in
`Sandbox.__init__`. Nothing here imports Vivo's own packages: the sandbox must not share
code with what it stands in front of.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from aiohttp import web

from sandbox.chatpage import ChatPage
from sandbox.discord import DiscordStandIn
from sandbox.mercadopago import MercadoPagoStandIn
from sandbox.telegram import TelegramStandIn
from sandbox.twitch import TwitchStandIn
from sandbox.youtube import YouTubeStandIn


@dataclass
class SandboxConfig:
    mp_webhook_url: str | None = None  # used when a preference has no notification_url
    mp_webhook_secret: str = "sandbox-secret"
    mp_access_token: str | None = None  # None: any bearer token is accepted
    mp_webhook_attempts: int = 3
    mp_webhook_retry_delay: float = 0.2  # seconds, multiplied by the attempt number


class StandIn(Protocol):
    name: str

    def setup(self, app: web.Application) -> None: ...

    async def close(self) -> None: ...


class Sandbox:
    """Start with `await sandbox.start()` or `async with Sandbox() as sandbox:`."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.mercadopago = MercadoPagoStandIn(
            webhook_url=self.config.mp_webhook_url,
            webhook_secret=self.config.mp_webhook_secret,
            access_token=self.config.mp_access_token,
            webhook_attempts=self.config.mp_webhook_attempts,
            webhook_retry_delay=self.config.mp_webhook_retry_delay,
        )
        self.telegram = TelegramStandIn()
        self.discord = DiscordStandIn()
        self.twitch = TwitchStandIn(bot_is_moderator=True)
        self.youtube = YouTubeStandIn()
        self.stand_ins: list[StandIn] = [
            self.mercadopago,
            self.telegram,
            self.discord,
            self.twitch,
            self.youtube,
        ]
        self.chatpage = ChatPage(self)  # the four chats in a browser, at the sandbox's `/`
        self.stand_ins.append(self.chatpage)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the sandbox is not running")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        runner = web.AppRunner(build_app(self), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is None:
            return
        for stand_in in self.stand_ins:
            await stand_in.close()
        await self._runner.cleanup()
        self._runner = None
        self._url = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


# The pages a person opens (chat page, checkout, Twitch's activation form): no framing,
# scripts from the sandbox only; inline styles, as the checkout page writes its own.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def _page_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.content_type == "text/html":
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)


def build_app(sandbox: Sandbox) -> web.Application:
    app = web.Application()
    app.on_response_prepare.append(_page_headers)
    app.router.add_get("/_sandbox/health", _health)
    for stand_in in sandbox.stand_ins:
        stand_in.setup(app)
    return app

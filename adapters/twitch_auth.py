"""`vivo auth twitch`: user tokens for the bot and the broadcaster, by the OAuth device code flow.

The device flow needs no web server and no public URL: the CLI prints a code, the person
opens twitch.tv/activate on any device and approves. Twitch answers with an access token
and a refresh token; both are stored in a JSON file (mode 600) that the Twitch adapter
reads at start-up and rewrites whenever twitchio refreshes a token.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

TWITCH_ID = "https://id.twitch.tv"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

# The bot reads and writes chat as itself; `user:bot` lets it chat in channels it joins.
BOT_SCOPES: tuple[str, ...] = ("user:read:chat", "user:write:chat", "user:bot")
# The broadcaster lets the bot in (`channel:bot`), shares Bits (`bits:read`) and lets the
# adapter see whether the bot is a moderator (`moderation:read`) to use the higher limit.
BROADCASTER_SCOPES: tuple[str, ...] = ("channel:bot", "bits:read", "moderation:read")


class TwitchAuthError(Exception):
    """Twitch refused the device flow (denied, expired, or a bad client id)."""


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    scopes: tuple[str, ...] = ()
    user_id: str | None = None
    login: str | None = None


def id_base(endpoint: str | None) -> str:
    """Where Twitch's OAuth server is: the real one, or a stand-in's `…/twitch`."""
    return endpoint.rstrip("/") if endpoint else TWITCH_ID


async def device_login(
    client_id: str,
    scopes: Sequence[str],
    endpoint: str | None = None,
    *,
    print: Callable[[str], Any] = builtins.print,
    timeout: float = 1800.0,
) -> Tokens:
    """Run the device code flow and return the approved user's tokens."""
    base = id_base(endpoint)
    scope = " ".join(scopes)
    async with aiohttp.ClientSession() as http:
        started = await _form(http, f"{base}/oauth2/device", client_id=client_id, scopes=scope)
        if "device_code" not in started:
            raise TwitchAuthError(f"Twitch did not start the device flow: {started}")
        print(
            f"Abrí {started['verification_uri']} e ingresá el código {started['user_code']} "
            "con la cuenta que querés autorizar."
        )
        interval = float(started.get("interval", 5))
        deadline = asyncio.get_running_loop().time() + min(timeout, started.get("expires_in", 1800))
        while True:
            await asyncio.sleep(interval)
            answer = await _form(
                http,
                f"{base}/oauth2/token",
                client_id=client_id,
                scopes=scope,
                device_code=started["device_code"],
                grant_type=DEVICE_GRANT,
            )
            if "access_token" in answer:
                break
            reason = str(answer.get("message", answer)).lower()
            if reason == "slow_down":
                interval += 5
            elif reason != "authorization_pending":
                raise TwitchAuthError(f"Twitch rejected the device flow: {reason}")
            if asyncio.get_running_loop().time() > deadline:
                raise TwitchAuthError("nobody approved the code in time")
        headers = {"Authorization": f"OAuth {answer['access_token']}"}
        async with http.get(f"{base}/oauth2/validate", headers=headers) as response:
            who = await response.json()
    granted = answer.get("scope") or []
    return Tokens(
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        scopes=tuple(granted if isinstance(granted, list) else str(granted).split()),
        user_id=who.get("user_id"),
        login=who.get("login"),
    )


async def _form(http: aiohttp.ClientSession, url: str, **fields: str) -> dict[str, Any]:
    async with http.post(url, data=fields) as response:
        body = await response.json(content_type=None)
    return body if isinstance(body, dict) else {"message": str(body)}


def load_tokens(path: str | Path) -> dict[str, Tokens]:
    """The stored tokens by role (`bot`, `broadcaster`); empty when the file does not exist."""
    file = Path(path)
    if not file.exists():
        return {}
    raw = json.loads(file.read_text(encoding="utf-8"))
    return {
        role: Tokens(
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            scopes=tuple(data.get("scopes", ())),
            user_id=data.get("user_id"),
            login=data.get("login"),
        )
        for role, data in raw.items()
    }


def save_tokens(path: str | Path, role: str, tokens: Tokens) -> None:
    """Store one role's tokens, keeping the others: atomically, readable by the owner only."""
    file = Path(path)
    stored = {name: asdict(value) for name, value in load_tokens(file).items()}
    stored[role] = asdict(tokens)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=file.parent, prefix=".tokens-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(stored, out, indent=2)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

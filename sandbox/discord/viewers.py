"""What people in the guild do: speak, run slash commands, type into autocomplete, disconnect.

The control API calls these; tests can too. Each one turns into gateway dispatches the bot
receives, as it would from real Discord clients.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.discord.constants import ALL_PERMISSIONS, MANAGE_GUILD
from sandbox.discord.gateway import Gateway
from sandbox.discord.models import _Interaction, _User


class Viewers(Gateway):
    """Viewers' actions, and dropping the bot's connections."""

    def _speaker(self, body: dict[str, Any]) -> _User:
        user = self._user(str(body.get("user") or "ana"))
        role = str(body.get("role") or "viewer")
        names = {str(n) for n in body.get("roles", [])}
        unknown = names - set(self.roles)
        if unknown:
            raise web.HTTPBadRequest(text=f"unknown roles: {sorted(unknown)}")
        if role == "moderator":
            names.add(next(n for n, r in self.roles.items() if r.permissions & MANAGE_GUILD))
        elif role not in ("viewer", "owner"):
            raise web.HTTPBadRequest(text=f"unknown role {role!r}")
        user.roles = names
        return user

    async def _become_owner(self, user: _User) -> None:
        if self.owner is not user:
            self.owner = user
            await self.dispatch("GUILD_UPDATE", self._guild_base())

    async def say(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._speaker(body)
        if body.get("role") == "owner":
            await self._become_owner(user)
        channel = self.channel(body.get("channel"))
        message = self._message(user, channel, str(body.get("text", "")))
        await self.dispatch(
            "MESSAGE_CREATE", {**message, "member": self._member(user, with_user=False)}
        )
        return {"id": message["id"], "channel_id": channel.id, "user_id": user.id}

    def _command(self, name: str) -> dict[str, Any]:
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise web.HTTPNotFound(text=f"no application command {name!r} is registered")

    async def _interact(self, body: dict[str, Any], kind: int) -> _Interaction:
        user = self._speaker(body)
        if body.get("role") == "owner":
            await self._become_owner(user)
        channel = self.channel(body.get("channel"))
        command = self._command(str(body.get("command", "")))
        declared = {o["name"]: o for o in command.get("options", [])}
        options = []
        for name, value in (body.get("options") or {}).items():
            if name not in declared:
                raise web.HTTPBadRequest(text=f"/{command['name']} has no option {name!r}")
            option: dict[str, Any] = {"name": name, "type": declared[name]["type"], "value": value}
            if kind == 4 and name == body.get("focused"):
                option["focused"] = True
            options.append(option)
        interaction = _Interaction(
            self._ids(), secrets.token_urlsafe(48), user, channel, time.monotonic(), kind
        )
        self.interactions[interaction.id] = interaction
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": options,
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        member = {**self._member(user), "permissions": str(self._permissions(user))}
        payload = {
            "id": interaction.id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "guild": {"id": self.guild_id, "locale": "es-ES", "features": []},
            "guild_id": self.guild_id,
            "channel": channel.payload(),
            "channel_id": channel.id,
            "member": member,
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": str(body.get("locale") or "es-ES"),
            "guild_locale": "es-ES",
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if kind == 4:
            interaction.choices = asyncio.get_running_loop().create_future()
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def slash(self, body: dict[str, Any]) -> dict[str, Any]:
        interaction = await self._interact(body, 2)
        return {"id": interaction.id, "channel_id": interaction.channel.id}

    async def autocomplete(self, body: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        interaction = await self._interact(body, 4)
        assert interaction.choices is not None
        try:
            choices = await asyncio.wait_for(asyncio.shield(interaction.choices), timeout)
        except TimeoutError:
            return {"id": interaction.id, "answered": False, "choices": []}
        return {"id": interaction.id, "answered": True, "choices": choices}

    async def drop(self, code: int = 4000) -> int:
        """Close every gateway socket as a network failure would; sessions stay resumable."""
        dropped = 0
        for session in self.sessions.values():
            ws = session.ws
            if ws is not None and not ws.closed:
                session.ws = None
                await ws.close(code=code, message=b"dropped by the sandbox")
                dropped += 1
        return dropped

"""What people in the guild do: speak, run slash commands, type into autocomplete, press
buttons, disconnect.

The control API calls these; tests can too. Each one turns into gateway dispatches the bot
receives, as it would from real Discord clients.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.discord.components import buttons_of, text_inputs
from sandbox.discord.constants import (
    ACTION_ROW,
    ALL_PERMISSIONS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MANAGE_GUILD,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    TEXT_INPUT,
)
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
            if kind == AUTOCOMPLETE and name == body.get("focused"):
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
        payload = self._interaction_payload(interaction, data, str(body.get("locale") or "es-ES"))
        if kind == AUTOCOMPLETE:
            interaction.choices = asyncio.get_running_loop().create_future()
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _interaction_payload(
        self, interaction: _Interaction, data: dict[str, Any], locale: str
    ) -> dict[str, Any]:
        """INTERACTION_CREATE's interaction, from a guild member or, in a DM, a user."""
        user, channel = interaction.user, interaction.channel
        payload: dict[str, Any] = {
            "id": interaction.id,
            "application_id": self.application_id,
            "type": interaction.kind,
            "data": data,
            "channel": channel.payload(),
            "channel_id": channel.id,
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if channel.guild_id is None:
            # A DM with the bot: the user instead of a member, no guild (context BOT_DM).
            return payload | {
                "user": user.payload(),
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        member = {**self._member(user), "permissions": str(self._permissions(user))}
        return payload | {
            "guild": {"id": self.guild_id, "locale": "es-ES", "features": []},
            "guild_id": self.guild_id,
            "member": member,
            "guild_locale": "es-ES",
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
        }

    async def press(self, body: dict[str, Any]) -> dict[str, Any]:
        """A viewer presses a button on one of the bot's messages: INTERACTION_CREATE type 3.

        The message is `message_id`, or the newest one the viewer can see with a button
        labelled `label`; the button is the one labelled `label` (or the only one).
        """
        user = self._user(str(body.get("user") or "ana"))
        label = body.get("label")
        wanted = body.get("message_id")
        posted = None
        for candidate in reversed(self.posted.values()):
            if wanted is not None and candidate.message["id"] != str(wanted):
                continue
            if candidate.viewer is not None and candidate.viewer is not user:
                continue
            labels = [b.get("label") for b in buttons_of(candidate.message["components"])]
            if label is None or label in labels:
                posted = candidate
                break
        if posted is None:
            raise web.HTTPNotFound(text=f"{user.name} sees no button {label!r} to press")
        buttons = [b for b in buttons_of(posted.message["components"]) if "custom_id" in b]
        if label is not None:
            buttons = [b for b in buttons if b.get("label") == label]
        if len(buttons) != 1:
            raise web.HTTPBadRequest(text="say which button: its label")
        button = buttons[0]
        if button.get("disabled"):
            raise web.HTTPBadRequest(text="that button is disabled")
        interaction = _Interaction(
            self._ids(),
            secrets.token_urlsafe(48),
            user,
            posted.channel,
            time.monotonic(),
            MESSAGE_COMPONENT,
            message_id=posted.message["id"],
            message_flags=int(posted.message.get("flags") or 0),
        )
        self.interactions[interaction.id] = interaction
        data = {"custom_id": button["custom_id"], "component_type": button["type"]}
        payload = self._interaction_payload(interaction, data, str(body.get("locale") or "es-ES"))
        payload["message"] = posted.message
        await self.dispatch("INTERACTION_CREATE", payload)
        return {
            "id": interaction.id,
            "message_id": posted.message["id"],
            "custom_id": button["custom_id"],
            "channel_id": posted.channel.id,
        }

    async def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        """A viewer fills in and submits the modal the bot showed them: INTERACTION_CREATE
        type 5 (MODAL_SUBMIT) with `data.custom_id` and `data.components` (action rows of
        the text inputs, each with its `custom_id` and the `value` typed), as documented.

        `values` maps a text input's custom_id to what is typed; an input left out keeps
        the value the bot pre-filled. The modal is the newest one shown to `user`."""
        user = self._user(str(body.get("user") or "ana"))
        shown = next(
            (
                i
                for i in reversed(self.interactions.values())
                if i.user is user and i.modal is not None
            ),
            None,
        )
        if shown is None or shown.modal is None:
            raise web.HTTPNotFound(text=f"{user.name} sees no modal to submit")
        typed = body.get("values") or {}
        if not isinstance(typed, dict):
            raise web.HTTPBadRequest(text="values must be an object: custom_id -> text")
        inputs = text_inputs(shown.modal["components"])
        unknown = set(typed) - {str(i["custom_id"]) for i in inputs}
        if unknown:
            raise web.HTTPBadRequest(text=f"the modal has no inputs {sorted(unknown)}")
        rows: list[dict[str, Any]] = []
        values: dict[str, str] = {}
        for item in inputs:
            value = str(typed.get(item["custom_id"], item.get("value") or ""))
            if item.get("required", True) and not value:
                raise web.HTTPBadRequest(text=f"{item['custom_id']} is required")
            limit = item.get("max_length")
            if isinstance(limit, int) and len(value) > limit:
                raise web.HTTPBadRequest(text=f"{item['custom_id']} is over {limit} characters")
            values[str(item["custom_id"])] = value
            rows.append(
                {
                    "type": ACTION_ROW,
                    "components": [
                        {
                            "type": TEXT_INPUT,
                            "id": item.get("id"),
                            "custom_id": item["custom_id"],
                            "value": value,
                        }
                    ],
                }
            )
        custom_id = str(shown.modal["custom_id"])
        shown.modal = None  # submitted: the modal closes
        interaction = _Interaction(
            self._ids(),
            secrets.token_urlsafe(48),
            user,
            shown.channel,
            time.monotonic(),
            MODAL_SUBMIT,
            message_id=shown.message_id,
            message_flags=shown.message_flags,
        )
        self.interactions[interaction.id] = interaction
        data: dict[str, Any] = {"custom_id": custom_id, "components": rows}
        payload = self._interaction_payload(interaction, data, str(body.get("locale") or "es-ES"))
        posted = self.posted.get(shown.message_id or "")
        if posted is not None:
            payload["message"] = posted.message  # a modal opened from a component
        await self.dispatch("INTERACTION_CREATE", payload)
        return {
            "id": interaction.id,
            "custom_id": custom_id,
            "values": values,
        }

    async def slash(self, body: dict[str, Any]) -> dict[str, Any]:
        interaction = await self._interact(body, APPLICATION_COMMAND)
        return {"id": interaction.id, "channel_id": interaction.channel.id}

    async def autocomplete(self, body: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        interaction = await self._interact(body, AUTOCOMPLETE)
        assert interaction.choices is not None
        try:
            async with asyncio.timeout(timeout):
                choices = await asyncio.shield(interaction.choices)
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

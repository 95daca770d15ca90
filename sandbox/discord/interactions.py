"""Interaction responses by Discord's rules: callback, followups, editing the original.

One initial response within the deadline, followups for 15 minutes, and the first followup
after a deferral editing the loading message while keeping its ephemeral state.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from sandbox.discord.constants import EPHEMERAL, TOKEN_LIFETIME
from sandbox.discord.gateway import Gateway
from sandbox.discord.models import _Interaction
from sandbox.discord.responses import _error, _json


class Interactions(Gateway):
    """The `/interactions/…/callback` and `/webhooks/…` handlers."""

    def _interaction(self, request: web.Request) -> _Interaction | None:
        found = self.interactions.get(request.match_info.get("interaction_id", ""))
        if found is None:
            token = request.match_info["token"]
            found = next((i for i in self.interactions.values() if i.token == token), None)
        if found is None or found.token != request.match_info["token"]:
            return None
        return found

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None:
            return _error(404, "Unknown interaction", 10062)
        if interaction.response is not None:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        if time.monotonic() - interaction.created > self.interaction_deadline:
            return _error(404, "Unknown interaction", 10062)
        body = await request.json()
        kind, data = int(body.get("type", 0)), body.get("data") or {}
        flags = int(data.get("flags") or 0)
        interaction.response = kind
        resource: dict[str, Any] = {"type": kind}
        message_id: str | None = None
        if kind == 4:
            message = self._message(
                self.bot, interaction.channel, str(data.get("content", "")), flags=flags
            )
            message_id, resource["message"] = message["id"], message
            self._record(interaction, "interaction", data.get("content", ""), flags & EPHEMERAL)
        elif kind == 5:
            message_id = self._ids()
            interaction.deferred_flags, interaction.original_pending = flags, True
            self._record(interaction, "deferred", None, flags & EPHEMERAL)
        elif kind == 8:
            choices = list(data.get("choices") or [])
            self.sent.append(
                {"kind": "autocomplete", "interaction_id": interaction.id, "choices": choices}
            )
            if interaction.choices is not None and not interaction.choices.done():
                interaction.choices.set_result(choices)
        else:
            return _error(400, "Invalid interaction response type", 50035)
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        callback: dict[str, Any] = {"id": interaction.id, "type": interaction.kind}
        if message_id is not None:
            callback |= {
                "response_message_id": message_id,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        return _json({"interaction": callback, "resource": resource})

    def _record(self, interaction: _Interaction, kind: str, content: Any, ephemeral: int) -> None:
        self.sent.append(
            {
                "kind": kind,
                "interaction_id": interaction.id,
                "user": interaction.user.name,
                "channel_id": interaction.channel.id,
                "channel": interaction.channel.name,
                "content": content,
                "ephemeral": bool(ephemeral),
            }
        )

    def _live(self, interaction: _Interaction | None) -> bool:
        return (
            interaction is not None
            and interaction.response is not None
            and time.monotonic() - interaction.created < TOKEN_LIFETIME
        )

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or not self._live(interaction):
            return _error(404, "Unknown Webhook", 10015)
        body = await request.json()
        content = str(body.get("content") or "")
        flags = int(body.get("flags") or 0)
        if interaction.original_pending:
            # The first followup after a deferral edits the loading message, whose
            # ephemeral state was fixed by the deferral.
            interaction.original_pending = False
            flags = interaction.deferred_flags
        message = self._message(
            self.bot, interaction.channel, content, flags=flags, webhook_id=self.application_id
        )
        self._record(interaction, "followup", content, flags & EPHEMERAL)
        return _json(message)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or not self._live(interaction):
            return _error(404, "Unknown Webhook", 10015)
        body = await request.json()
        content = str(body.get("content") or "")
        flags = interaction.deferred_flags
        interaction.original_pending = False
        message = self._message(
            self.bot, interaction.channel, content, flags=flags, webhook_id=self.application_id
        )
        self._record(interaction, "followup", content, flags & EPHEMERAL)
        return _json(message)

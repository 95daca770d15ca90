"""Interaction responses by Discord's rules: callback, followups, editing the original.

One initial response within the deadline, followups for 15 minutes, and the first followup
after a deferral editing the loading message while keeping its ephemeral state. A button
press (a message component interaction) may also be acknowledged without a message
(DEFERRED_UPDATE_MESSAGE) or by editing the pressed message (UPDATE_MESSAGE). Components on
responses and followups are checked against Discord's limits.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from sandbox.discord.components import check_components, check_modal
from sandbox.discord.constants import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    TOKEN_LIFETIME,
    UPDATE_MESSAGE,
)
from sandbox.discord.gateway import Gateway
from sandbox.discord.mentions import MentionError, Pings, pings
from sandbox.discord.models import _Interaction, _User
from sandbox.discord.responses import _error, _json

# Which callback types answer which interaction types, as documented.
# A modal cannot answer a modal submit; a submit from a component's modal may update it.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
        MODAL,
    },
    MODAL_SUBMIT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
    },
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
}


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
        allowed = ALLOWED_CALLBACKS.get(interaction.kind, set())
        if kind not in allowed:
            return _error(400, "Invalid interaction response type", 50035)
        if kind == MODAL:
            with_response = request.query.get("with_response", "").lower() in ("1", "true")
            return self._open_modal(interaction, body.get("data"), with_response)
        components = data.get("components")
        invalid = check_components(components)
        if invalid is not None:
            return _json(invalid, 400)
        try:
            found = pings(
                str(data.get("content") or ""), data.get("allowed_mentions"), interaction=True
            )
        except MentionError as error:
            return _json(error.body, 400)
        interaction.response = kind
        resource: dict[str, Any] = {"type": kind}
        message_id: str | None = None
        if kind == CHANNEL_MESSAGE:
            content = str(data.get("content", ""))
            message = self._message(
                self.bot, interaction.channel, content, flags=flags, components=components
            )
            self._ping(message, found)
            self._post(message, interaction.channel, self._viewer(interaction, flags))
            message_id, resource["message"] = message["id"], message
            self._record(interaction, "interaction", content, flags & EPHEMERAL, message, found)
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            message_id = self._ids()
            interaction.deferred_flags, interaction.original_pending = flags, True
            self._record(interaction, "deferred", None, flags & EPHEMERAL)
        elif kind == DEFERRED_UPDATE_MESSAGE:
            # Acknowledged; the pressed message stays as it is and no loading state shows.
            interaction.deferred_flags = interaction.message_flags
            self._record(interaction, "deferred_update", None, interaction.message_flags)
        elif kind == UPDATE_MESSAGE:
            posted = self.posted.get(interaction.message_id or "")
            if posted is not None:
                if "content" in data:
                    posted.message["content"] = str(data.get("content") or "")
                if components is not None:
                    posted.message["components"] = components
                message_id, resource["message"] = posted.message["id"], posted.message
            self._record(interaction, "update", data.get("content"), interaction.message_flags)
            if posted is not None:
                self.sent[-1]["components"] = posted.message["components"]
        else:  # AUTOCOMPLETE_RESULT
            choices = list(data.get("choices") or [])
            self.sent.append(
                {"kind": "autocomplete", "interaction_id": interaction.id, "choices": choices}
            )
            if interaction.choices is not None and not interaction.choices.done():
                interaction.choices.set_result(choices)
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        callback: dict[str, Any] = {"id": interaction.id, "type": interaction.kind}
        if message_id is not None:
            callback |= {
                "response_message_id": message_id,
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        return _json({"interaction": callback, "resource": resource})

    def _open_modal(
        self, interaction: _Interaction, data: Any, with_response: bool
    ) -> web.Response:
        """Callback type 9: the viewer now sees the modal; nothing is posted in chat."""
        invalid = check_modal(data)
        if invalid is not None:
            return _json(invalid, 400)
        interaction.response = MODAL
        interaction.modal = data
        self.sent.append(
            {
                "kind": "modal",
                "interaction_id": interaction.id,
                "user": interaction.user.name,
                "channel_id": interaction.channel.id,
                "custom_id": data["custom_id"],
                "title": data["title"],
                "components": data["components"],
            }
        )
        if not with_response:
            return web.Response(status=204)
        callback = {"id": interaction.id, "type": interaction.kind}
        return _json({"interaction": callback, "resource": {"type": MODAL}})

    def _record(
        self,
        interaction: _Interaction,
        kind: str,
        content: Any,
        ephemeral: int,
        message: dict[str, Any] | None = None,
        found: Pings | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "kind": kind,
            "interaction_id": interaction.id,
            "user": interaction.user.name,
            "channel_id": interaction.channel.id,
            "channel": interaction.channel.name,
            "content": content,
            "ephemeral": bool(ephemeral),
        }
        if message is not None:
            entry |= {"id": message["id"], "components": message["components"]}
        if found is not None:
            entry["pinged"] = found.as_dict()
        self.sent.append(entry)

    def _viewer(self, interaction: _Interaction, flags: int) -> _User | None:
        """Who can see (and press) a message answering `interaction`: None for everyone."""
        if flags & EPHEMERAL:
            return interaction.user
        return interaction.channel.recipient

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
        components = body.get("components")
        if not content and not body.get("embeds") and not components:
            return _error(400, "Cannot send an empty message", 50006)
        invalid = check_components(components)
        if invalid is not None:
            return _json(invalid, 400)
        try:
            found = pings(content, body.get("allowed_mentions"), interaction=True)
        except MentionError as error:
            return _json(error.body, 400)
        if interaction.original_pending:
            # The first followup after a deferral edits the loading message, whose
            # ephemeral state was fixed by the deferral.
            interaction.original_pending = False
            flags = interaction.deferred_flags
        return self._followup_message(interaction, content, flags, components, found)

    def _followup_message(
        self, interaction: Any, content: str, flags: int, components: Any, found: Pings
    ) -> web.Response:
        """Post a followup (or the deferred original) where its viewers can see it."""
        message = self._message(
            self.bot,
            interaction.channel,
            content,
            flags=flags,
            webhook_id=self.application_id,
            components=components,
        )
        self._ping(message, found)
        self._post(message, interaction.channel, self._viewer(interaction, flags))
        self._record(interaction, "followup", content, flags & EPHEMERAL, message, found)
        return _json(message)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or not self._live(interaction):
            return _error(404, "Unknown Webhook", 10015)
        body = await request.json()
        content = str(body.get("content") or "")
        components = body.get("components")
        invalid = check_components(components)
        if invalid is not None:
            return _json(invalid, 400)
        try:
            found = pings(content, body.get("allowed_mentions"), interaction=True)
        except MentionError as error:
            return _json(error.body, 400)
        flags = interaction.deferred_flags
        interaction.original_pending = False
        return self._followup_message(interaction, content, flags, components, found)

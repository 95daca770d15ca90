"""Discord on discord.py: prefix commands in guild text channels and slash commands.

Payment links are private: a slash command is deferred ephemerally at once (Discord wants
an answer within 3 seconds; the link may take longer) and answered with ephemeral
followups; a prefix command gets its link by DM, or, when the buyer's DMs are closed, a
mention in the channel asking them to open DMs (never the link itself). Announcements go
to the channel the order came from. Each Discord message or interaction id reaches the
inbox once, however often the gateway redelivers it after a resume.

A reply's buttons go out as message components (action rows of up to 5, 25 in all) under
its last piece, whether it is a channel message, a DM or an interaction followup. Each
button's custom_id is its command, or a short id into a bounded map when the command is
over 100 characters. A press is acknowledged at once (DEFERRED_UPDATE_MESSAGE) and reaches
the inbox as the presser saying the command, with the interaction as `raw`: private replies
to it are ephemeral followups.

Every send names in `allowed_mentions` the one user it may ping, the viewer it answers
(the client's default pings nobody), so a `<@id>`, role or @everyone that slipped into the
text notifies no one; quoted viewer input is neutralised before it gets here as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from adapters.base import (
    Button,
    ChatMessage,
    ChatUser,
    Form,
    Inbox,
    Reply,
    Role,
    SendLimits,
    split_text,
)

log = logging.getLogger(__name__)

Suggest = Callable[[str, str], Awaitable[list[str]]]

MAX_LENGTH = 2000
MAX_CHOICES = 25
# Message components: buttons in action rows of 5, 5 rows a message, as documented.
MAX_BUTTONS = 25
MAX_LABEL = 80
MAX_CUSTOM_ID = 100
REMEMBERED_BUTTONS = 10_000
INTERACTION_LIFETIME = 14 * 60.0  # followup tokens last 15 minutes; keep a margin
DM_CLOSED = (
    "no te puedo mandar mensajes privados: activá los mensajes directos de este servidor "
    "o usá /comprar para recibir tu link acá, solo visible para vos."
)
STALE_BUTTON = "Este botón ya no sirve: escribí /tienda de nuevo."


def point_sdk_at(endpoint: str, gateway: str | None = None) -> None:
    """Aim discord.py at another Discord (the sandbox): its REST base and gateway URL.

    discord.py has no setting for either, so these module constants are the one place.
    """
    base = endpoint.rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    ws = gateway or "ws" + base.removeprefix("http") + "/gateway"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(ws)


def role_of(member: discord.abc.User, moderator_roles: Iterable[str] = ()) -> Role:
    """Guild owner → owner; Manage Server, Administrator or a named role → moderator."""
    if not isinstance(member, discord.Member):
        return Role.VIEWER
    if member.guild.owner_id == member.id:
        return Role.OWNER
    permissions = member.guild_permissions
    if permissions.administrator or permissions.manage_guild:
        return Role.MODERATOR
    names = {name.casefold() for name in moderator_roles}
    if any(role.name.casefold() in names for role in member.roles):
        return Role.MODERATOR
    if member.premium_since is not None:
        return Role.SUBSCRIBER
    return Role.VIEWER


def slash_text(command: str, *values: object) -> str:
    """`/comprar producto:remera variante:M cantidad:2` → `/comprar remera M 2`.

    The router accepts `/` as a prefix whatever the configured one is.
    """
    words = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return " ".join([f"/{command}", *words])


def allowed_mentions(reply: Reply) -> discord.AllowedMentions:
    """Only the viewer the reply is addressed to may be pinged, as a mention or a reply."""
    if reply.mention is None or not reply.mention.id.isdigit():
        return discord.AllowedMentions.none()
    viewer = discord.Object(id=int(reply.mention.id))
    return discord.AllowedMentions(everyone=False, roles=False, users=[viewer], replied_user=True)


def split_message(text: str, limit: int = MAX_LENGTH) -> list[str]:
    """Pieces of at most `limit` characters, cut at line or word breaks where possible."""
    return split_text(text, limit)


class _Buttons(discord.ui.View):
    """Buttons under a message, pressed through `on_interaction` rather than callbacks.

    Not dispatchable, so discord.py keeps no view per message (no timeouts, no store):
    the adapter resolves each press from its custom_id, however old the message is.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False


MAX_FORM_FIELDS = 5  # a modal holds at most five text inputs
MAX_FORM_LABEL = 45  # characters in a modal's title and in a text input's label


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _modal(form: Form, custom_id: str) -> discord.ui.Modal:
    """A modal for `form`: one text input per field, the submit carrying `custom_id`."""
    modal = discord.ui.Modal(title=_short(form.title, MAX_FORM_LABEL), custom_id=custom_id)
    for field in form.fields[:MAX_FORM_FIELDS]:
        style = discord.TextStyle.paragraph if field.long else discord.TextStyle.short
        modal.add_item(
            discord.ui.TextInput(
                label=_short(field.label, MAX_FORM_LABEL),
                custom_id=field.id,
                style=style,
                default=field.value[: field.max_length] or None,
                max_length=field.max_length,
                required=True,
            )
        )
    # Stopped, so discord.py keeps no modal waiting (like `_Buttons`): `on_interaction`
    # resolves the submit from its custom_id, even after a restart.
    modal.stop()
    return modal


def _modal_values(components: list[Any]) -> dict[str, str]:
    """The text inputs' values of a MODAL_SUBMIT, by custom_id (rows or labels)."""
    values: dict[str, str] = {}
    for component in components:
        if not isinstance(component, dict):
            continue
        inner = component.get("components") or [component.get("component")]
        for item in inner:
            if isinstance(item, dict) and item.get("type") == 4 and "custom_id" in item:
                values[str(item["custom_id"])] = str(item.get("value") or "")
    return values


class _Seen:
    """The last `size` ids handled: redelivered gateway events are dropped here."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def first_time(self, key: int) -> bool:
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class _Client(discord.Client):
    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            intents=intents,
            chunk_guilds_at_startup=False,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        for command in adapter.slash_commands():
            self.tree.add_command(command)
        self.synced = asyncio.Event()

    async def on_ready(self) -> None:
        if self.synced.is_set():  # a new session after the connection was lost
            self.adapter.reconnects += 1
        await self.adapter.register_commands(self.guilds)
        self.synced.set()

    async def on_resumed(self) -> None:
        self.adapter.reconnects += 1

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter.register_commands([guild])

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await self.adapter.on_button(interaction)
        elif interaction.type is discord.InteractionType.modal_submit:
            await self.adapter.on_modal(interaction)


class DiscordAdapter:
    platform = "discord"
    # Discord's per-channel send limit is about 5 messages per 5 seconds; discord.py waits
    # out any 429 itself, so this only keeps bursts from reaching it.
    limits = SendLimits(max_length=MAX_LENGTH, messages=5, per_seconds=5.0)

    def __init__(
        self,
        token: str,
        *,
        endpoint: str | None = None,
        gateway: str | None = None,
        moderator_roles: Iterable[str] = (),
        suggest: Suggest | None = None,
        dm_closed_text: str = DM_CLOSED,
        stale_button_text: str = STALE_BUTTON,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        self.token = token
        self.endpoint = endpoint
        self.gateway = gateway
        self.moderator_roles = tuple(moderator_roles)
        self.suggest = suggest
        self.dm_closed_text = dm_closed_text
        self.stale_button_text = stale_button_text
        self.guild_ready_timeout = guild_ready_timeout
        self._client: _Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._inbox: Inbox | None = None
        self._seen = _Seen()
        self.reconnects = 0  # the gateway lost and got back, resumed or anew (`/metrics`)
        self._synced: set[int] = set()
        self._recent: dict[int, tuple[discord.Interaction, float]] = {}
        self._button_commands: OrderedDict[str, str] = OrderedDict()
        self._forms: OrderedDict[str, Form] = OrderedDict()  # custom_id -> the modal it opens

    @property
    def client(self) -> discord.Client:
        if self._client is None:
            raise RuntimeError("start() first")
        return self._client

    # -- lifecycle --------------------------------------------------------------------

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        if self.endpoint:
            point_sdk_at(self.endpoint, self.gateway)
        client = _Client(self, guild_ready_timeout=self.guild_ready_timeout)
        self._client = client
        await client.login(self.token)
        self._task = asyncio.get_running_loop().create_task(client.connect(reconnect=True))
        ready = asyncio.ensure_future(client.synced.wait())
        await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            await self.stop()
            raise RuntimeError("the Discord gateway closed before the bot was ready")

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def register_commands(self, guilds: Iterable[discord.Guild]) -> None:
        """Slash commands per guild: they appear at once (global ones take up to an hour)."""
        client = self.client
        assert isinstance(client, _Client)
        for guild in guilds:
            if guild.id in self._synced:
                continue
            client.tree.copy_global_to(guild=guild)
            try:
                await client.tree.sync(guild=guild)
            except discord.HTTPException:
                log.exception("registering slash commands in guild %s failed", guild.id)
            else:
                self._synced.add(guild.id)

    # -- incoming ---------------------------------------------------------------------

    def _user(self, who: discord.abc.User, locale: str | None = None) -> ChatUser:
        return ChatUser(
            self.platform, str(who.id), who.display_name, role_of(who, self.moderator_roles), locale
        )

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if not self._seen.first_time(message.id):
            return
        await self._deliver(
            ChatMessage(
                platform=self.platform,
                id=str(message.id),
                channel=str(message.channel.id),
                author=self._user(message.author),
                text=message.content,
                sent_at=message.created_at,
                raw=message,
            )
        )

    async def on_slash(self, interaction: discord.Interaction, text: str) -> None:
        if not self._seen.first_time(interaction.id):
            return
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException:
            log.warning("could not acknowledge interaction %s in time", interaction.id)
        else:
            self._remember(interaction)
        await self._deliver(self._from_interaction(interaction, text))

    def _from_interaction(self, interaction: discord.Interaction, text: str) -> ChatMessage:
        """A slash command or a button press as the chat line it stands for."""
        return ChatMessage(
            platform=self.platform,
            id=str(interaction.id),
            channel=str(interaction.channel_id),
            author=self._user(interaction.user, str(interaction.locale)),
            text=text,
            sent_at=interaction.created_at,
            raw=interaction,
        )

    async def on_button(self, interaction: discord.Interaction) -> None:
        """A button press speaks its command as the presser, acknowledged at once."""
        if not self._seen.first_time(interaction.id):
            return
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id") or "")
        command = self._command_for(custom_id)
        if command is None:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(self.stale_button_text, ephemeral=True)
            return
        form = self._forms.get(custom_id)
        if form is not None:
            # The modal must be the press's first answer (type 9): no deferral before it.
            try:
                await interaction.response.send_modal(_modal(form, custom_id))
                return
            except discord.HTTPException:
                log.warning("could not open a form for press %s; asking in chat", interaction.id)
        try:
            # DEFERRED_UPDATE_MESSAGE: acknowledged, the pressed message stays as it is.
            await interaction.response.defer()
        except discord.HTTPException:
            log.warning("could not acknowledge button press %s in time", interaction.id)
        else:
            self._remember(interaction)
        message = self._from_interaction(interaction, command)
        await self._deliver(replace(message, private=interaction.guild_id is None))

    async def on_modal(self, interaction: discord.Interaction) -> None:
        """A submitted modal (MODAL_SUBMIT): its button's command, with the answers."""
        if not self._seen.first_time(interaction.id):
            return
        data: Any = interaction.data or {}
        command = self._command_for(str(data.get("custom_id") or ""))
        if command is None:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(self.stale_button_text, ephemeral=True)
            return
        try:
            await interaction.response.defer()
        except discord.HTTPException:
            log.warning("could not acknowledge form %s in time", interaction.id)
        else:
            self._remember(interaction)
        message = self._from_interaction(interaction, command)
        values = _modal_values(data.get("components") or [])
        await self._deliver(replace(message, private=interaction.guild_id is None, form=values))

    async def _deliver(self, message: ChatMessage) -> None:
        assert self._inbox is not None
        try:
            await self._inbox(message)
        except Exception:
            log.exception("the inbox failed on Discord message %s", message.id)

    def _remember(self, interaction: discord.Interaction) -> None:
        now = asyncio.get_running_loop().time()
        for user_id, (_, since) in list(self._recent.items()):
            if now - since > INTERACTION_LIFETIME:
                del self._recent[user_id]
        self._recent[interaction.user.id] = (interaction, now)

    # -- slash commands ---------------------------------------------------------------

    def slash_commands(self) -> list[app_commands.Command[Any, Any, None]]:
        adapter = self

        @app_commands.command(name="comprar", description="Comprar un producto de la tienda")
        @app_commands.describe(
            producto="Qué querés comprar",
            variante="Talle, color u otra opción",
            cantidad="Cuántos (1 si no decís nada)",
        )
        async def comprar(
            interaction: discord.Interaction,
            producto: str,
            variante: str | None = None,
            cantidad: app_commands.Range[int, 1, 99] | None = None,
        ) -> None:
            await adapter.on_slash(interaction, slash_text("comprar", producto, variante, cantidad))

        @comprar.autocomplete("producto")
        async def _products(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return await adapter._choices("comprar", current)

        @comprar.autocomplete("variante")
        async def _variants(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            product = str(getattr(interaction.namespace, "producto", "") or "").strip()
            if not product:
                return []
            return await adapter._choices(f"comprar {product}", current)

        @app_commands.command(name="tienda", description="Ver qué hay a la venta")
        async def tienda(interaction: discord.Interaction) -> None:
            await adapter.on_slash(interaction, slash_text("tienda"))

        @app_commands.command(name="propina", description="Dejar una propina")
        @app_commands.describe(monto="Cuánto", mensaje="Un mensaje para el stream")
        async def propina(
            interaction: discord.Interaction, monto: str, mensaje: str | None = None
        ) -> None:
            await adapter.on_slash(interaction, slash_text("propina", monto, mensaje))

        @app_commands.command(name="pedido", description="Ver tus pedidos y sus links de pago")
        @app_commands.describe(codigo="El código de un pedido (opcional)")
        async def pedido(interaction: discord.Interaction, codigo: str | None = None) -> None:
            await adapter.on_slash(interaction, slash_text("pedido", codigo))

        return [comprar, tienda, propina, pedido]

    async def _choices(self, line: str, current: str) -> list[app_commands.Choice[str]]:
        if self.suggest is None:
            return []
        try:
            names = await self.suggest(line, current)
        except Exception:
            log.exception("autocomplete for %r failed", line)
            return []
        unique = list(dict.fromkeys(n[:100] for n in names if n.strip()))
        return [app_commands.Choice(name=n, value=n) for n in unique[:MAX_CHOICES]]

    # -- buttons ----------------------------------------------------------------------

    def _custom_id(self, command: str) -> str:
        """The command itself when it fits Discord's 100 characters, else a remembered id."""
        if len(command) <= MAX_CUSTOM_ID and not command.startswith("~"):
            return command
        token = "~" + secrets.token_urlsafe(12)
        self._button_commands[token] = command
        while len(self._button_commands) > REMEMBERED_BUTTONS:
            self._button_commands.popitem(last=False)
        return token

    def _command_for(self, custom_id: str) -> str | None:
        if custom_id.startswith("~"):
            return self._button_commands.get(custom_id)
        return custom_id or None

    def _view(self, buttons: tuple[Button, ...]) -> discord.ui.View | None:
        """Action rows of at most 5 buttons, at most 25 in all; one per distinct command."""
        if not buttons:
            return None
        view = _Buttons()
        used: set[str] = set()
        for button in buttons:
            custom_id = self._custom_id(button.command)
            if custom_id in used:  # custom_ids must be unique within a message
                continue
            if len(used) == MAX_BUTTONS:
                log.warning("Discord shows at most %d buttons; dropping the rest", MAX_BUTTONS)
                break
            used.add(custom_id)
            if button.form is not None:
                self._forms[custom_id] = button.form
                while len(self._forms) > REMEMBERED_BUTTONS:
                    self._forms.popitem(last=False)
            label = button.label if len(button.label) <= MAX_LABEL else button.label[:79] + "…"
            view.add_item(
                discord.ui.Button(
                    label=label, custom_id=custom_id, style=discord.ButtonStyle.primary
                )
            )
        return view

    # -- outgoing ---------------------------------------------------------------------

    async def send(self, reply: Reply) -> None:
        pieces = split_message(reply.text)
        for number, piece in enumerate(pieces, start=1):
            # The buttons go under the last piece, after everything they refer to.
            buttons = reply.buttons if number == len(pieces) else ()
            await self._send_one(reply, piece, buttons)

    async def _send_one(self, reply: Reply, text: str, buttons: tuple[Button, ...] = ()) -> None:
        interaction = self._interaction_for(reply)
        if interaction is not None:
            view = self._view(buttons)
            hidden = self._hidden(interaction, reply)
            mentions = allowed_mentions(reply)
            try:
                if view is None:
                    await interaction.followup.send(
                        text, ephemeral=hidden, allowed_mentions=mentions
                    )
                else:
                    await interaction.followup.send(
                        text, ephemeral=hidden, view=view, allowed_mentions=mentions
                    )
                return
            except discord.HTTPException:
                log.warning("interaction %s expired; answering another way", interaction.id)
        if reply.private and reply.mention is not None:
            await self._direct(reply, text, buttons)
        else:
            await self._to_channel(reply, text, buttons)

    @staticmethod
    def _hidden(interaction: discord.Interaction, reply: Reply) -> bool:
        """Whether a followup is ephemeral: always for a slash command (deferred so); for a
        button press, when the reply is private or the pressed message was itself hidden."""
        if interaction.type is not discord.InteractionType.component:
            return True
        message = interaction.message
        return reply.private or (message is not None and message.flags.ephemeral)

    def _interaction_for(self, reply: Reply) -> discord.Interaction | None:
        raw = reply.reply_to.raw if reply.reply_to is not None else None
        if isinstance(raw, discord.Interaction):
            return raw if not raw.is_expired() else None
        if raw is not None or not reply.private or reply.mention is None:
            return None
        # A link that comes later (the provider was slow) goes to the buyer's last slash
        # command in that channel, while its token still works.
        recent = self._recent.get(int(reply.mention.id))
        if recent is None:
            return None
        interaction, since = recent
        fresh = asyncio.get_running_loop().time() - since < INTERACTION_LIFETIME
        return interaction if fresh and str(interaction.channel_id) == reply.channel else None

    async def _direct(self, reply: Reply, text: str, buttons: tuple[Button, ...] = ()) -> None:
        assert reply.mention is not None
        user_id = int(reply.mention.id)
        client = self.client
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        view = self._view(buttons)
        mentions = allowed_mentions(reply)
        try:
            if view is None:
                await user.send(text, allowed_mentions=mentions)
            else:
                await user.send(text, view=view, allowed_mentions=mentions)
        except discord.Forbidden:
            if reply.channel == reply.mention.id:
                raise  # meant for this user only (an owner alert): no channel to say it in
            # DMs closed: a mention in the channel, so the buyer sees it is for them.
            await self._to_channel(replace(reply, reply_to=None), self.dm_closed_text)

    async def _to_channel(self, reply: Reply, text: str, buttons: tuple[Button, ...] = ()) -> None:
        client = self.client
        channel_id = int(reply.channel)
        channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("Discord channel %s cannot take messages", channel_id)
            return
        raw = reply.reply_to.raw if reply.reply_to is not None else None
        reference = None
        if isinstance(raw, discord.Message) and raw.channel.id == channel_id:
            reference = raw.to_reference(fail_if_not_exists=False)
        elif reply.mention is not None:
            text = f"<@{reply.mention.id}> {text}"
        pieces = split_message(text)
        for number, piece in enumerate(pieces, start=1):
            view = self._view(buttons) if number == len(pieces) else None
            options: dict[str, Any] = {"allowed_mentions": allowed_mentions(reply)}
            if reference is not None:
                options |= {"reference": reference, "mention_author": True}
            if view is not None:
                options["view"] = view
            await channel.send(piece, **options)

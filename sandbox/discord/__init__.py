"""Discord on loopback, for discord.py, hikari or any client (see `standin` for what it covers).

Modules: `world` (the guild, its people and channels), `models` (their records), `payloads`
(documented objects), `gateway` (the websocket), `rest` (the REST API), `interactions`
(interaction responses and followups), `viewers` (what people in the guild do), `control`
(`/_sandbox/discord/`), `constants` (documented numbers), `responses` (JSON answers),
`ratelimits` (per-route limits and their headers),
`standin` (the whole, as `Sandbox` mounts it).
"""

from sandbox.discord.constants import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    API,
    DISCORD_EPOCH_MS,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    HEARTBEAT_MS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    MANAGE_GUILD,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RESUME,
    OPTION_TYPES,
    PREFIX,
    TOKEN_LIFETIME,
)
from sandbox.discord.control import CONTROL
from sandbox.discord.standin import DiscordStandIn

__all__ = [
    "ADMINISTRATOR",
    "ALL_PERMISSIONS",
    "API",
    "CONTROL",
    "DISCORD_EPOCH_MS",
    "EPHEMERAL",
    "EVERYONE_PERMISSIONS",
    "HEARTBEAT_MS",
    "INTENT_DIRECT_MESSAGES",
    "INTENT_GUILDS",
    "INTENT_GUILD_MEMBERS",
    "INTENT_GUILD_MESSAGES",
    "INTENT_MESSAGE_CONTENT",
    "MANAGE_GUILD",
    "OPTION_TYPES",
    "OP_DISPATCH",
    "OP_HEARTBEAT",
    "OP_HEARTBEAT_ACK",
    "OP_HELLO",
    "OP_IDENTIFY",
    "OP_INVALID_SESSION",
    "OP_RESUME",
    "PREFIX",
    "TOKEN_LIFETIME",
    "DiscordStandIn",
]

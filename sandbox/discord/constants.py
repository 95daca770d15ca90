"""Discord's documented numbers: paths, gateway opcodes, intents, permission bits, flags.

Kept in one place so the gateway, REST and interaction modules agree on them.
"""

from __future__ import annotations

PREFIX = "/discord"
API = f"{PREFIX}/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
HEARTBEAT_MS = 41_250
EPHEMERAL = 1 << 6
TOKEN_LIFETIME = 15 * 60.0
# Gateway opcodes, gateway intents and permission bits, as documented.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME = 0, 1, 2, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11
INTENT_GUILDS, INTENT_GUILD_MEMBERS = 1 << 0, 1 << 1
INTENT_GUILD_MESSAGES, INTENT_DIRECT_MESSAGES, INTENT_MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
EVERYONE_PERMISSIONS = (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
ALL_PERMISSIONS = (1 << 50) - 1
OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "number": 10}

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
OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE, OP_REQUEST_GUILD_MEMBERS = 3, 4, 8
OP_REQUEST_SOUNDBOARD_SOUNDS = 31
# What a client may send; anything else closes the connection with 4001.
CLIENT_OPS = frozenset(
    {
        OP_HEARTBEAT,
        OP_IDENTIFY,
        OP_PRESENCE_UPDATE,
        OP_VOICE_STATE_UPDATE,
        OP_RESUME,
        OP_REQUEST_GUILD_MEMBERS,
        OP_REQUEST_SOUNDBOARD_SOUNDS,
    }
)
MAX_CLIENT_PAYLOAD = 4096  # bytes; a bigger payload closes the connection with 4002
# Gateway close codes, as documented.
CLOSE_UNKNOWN_OPCODE, CLOSE_DECODE_ERROR, CLOSE_NOT_AUTHENTICATED = 4001, 4002, 4003
CLOSE_AUTHENTICATION_FAILED, CLOSE_ALREADY_AUTHENTICATED, CLOSE_INVALID_INTENTS = 4004, 4005, 4013
INTENT_GUILDS, INTENT_GUILD_MEMBERS = 1 << 0, 1 << 1
INTENT_GUILD_MESSAGES, INTENT_DIRECT_MESSAGES, INTENT_MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
EVERYONE_PERMISSIONS = (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
ALL_PERMISSIONS = (1 << 50) - 1
OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "number": 10}
# Message components: an action row (type 1) holds up to 5 buttons (type 2); a message has
# up to 5 rows. Button styles 1–4 carry a custom_id, 5 (link) a url, 6 (premium) a sku_id.
ACTION_ROW, BUTTON = 1, 2
MAX_ROWS, MAX_ROW_BUTTONS, MAX_LABEL, MAX_CUSTOM_ID = 5, 5, 80, 100
LINK_STYLE, PREMIUM_STYLE = 5, 6
# Interaction types and the callback types that answer them.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 1, 2, 3, 4
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT = 8
# Modals: callback type 9 opens one (title and custom_id, 1–5 components: action rows of one
# text input, or labels holding one); the submit is an interaction of type 5.
MODAL, MODAL_SUBMIT = 9, 5
TEXT_INPUT, LABEL = 4, 18
MAX_MODAL_COMPONENTS, MAX_MODAL_TITLE, MAX_INPUT_LABEL, MAX_INPUT_LENGTH = 5, 45, 45, 4000

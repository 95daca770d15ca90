"""Telegram's Bot API on loopback, for python-telegram-bot (see `standin` for what it covers).

Modules: `world` (users, chats, messages, updates and what people do), `api` (the Bot API
endpoints), `webhook` (webhook mode), `control` (`/_sandbox/telegram/`), `payloads`
(documented objects), `params` (request parameters), `errors` (Telegram's error shape),
`limits` (send limits), `faults` (injected failures), `standin` (the whole, as `Sandbox` mounts it).
"""

from sandbox.telegram.api import MAX_TEXT, PREFIX
from sandbox.telegram.control import CONTROL
from sandbox.telegram.errors import ApiError
from sandbox.telegram.faults import Faults
from sandbox.telegram.limits import Limits, Window
from sandbox.telegram.payloads import DEFAULT_UPDATE_TYPES
from sandbox.telegram.standin import TelegramStandIn
from sandbox.telegram.webhook import SECRET_HEADER
from sandbox.telegram.world import DEFAULT_GROUP_ID, DEFAULT_TOKEN

__all__ = [
    "CONTROL",
    "DEFAULT_GROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_UPDATE_TYPES",
    "MAX_TEXT",
    "PREFIX",
    "SECRET_HEADER",
    "ApiError",
    "Faults",
    "Limits",
    "TelegramStandIn",
    "Window",
]

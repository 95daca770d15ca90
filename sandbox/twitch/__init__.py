"""Twitch on loopback, for twitchio (see `standin` for what it covers).

Modules: `world` (users, tokens, moderators, sessions, subscriptions), `models` (their
records), `oauth` (`/oauth2/*` and device activation), `helix` (the REST API), `eventsub`
(the websocket), `payloads` (documented event bodies), `limits` (chat limits), `errors`
(Twitch's error shapes), `control` (`/_sandbox/twitch/`), `standin` (the whole, as `Sandbox`
mounts it).
"""

from sandbox.twitch.control import CONTROL
from sandbox.twitch.eventsub import RECONNECT_GRACE_SECONDS
from sandbox.twitch.helix import MAX_MESSAGE_LENGTH, SUBSCRIPTION_SCOPES
from sandbox.twitch.limits import CHAT_LIMIT, ELEVATED_CHAT_LIMIT
from sandbox.twitch.models import DeviceGrant, Session, Subscription, Token, User
from sandbox.twitch.oauth import DEVICE_CODE_SECONDS
from sandbox.twitch.payloads import ROLE_BADGES
from sandbox.twitch.standin import TwitchStandIn
from sandbox.twitch.world import APP_TOKEN_SECONDS, PREFIX, USER_TOKEN_SECONDS

__all__ = [
    "APP_TOKEN_SECONDS",
    "CHAT_LIMIT",
    "CONTROL",
    "DEVICE_CODE_SECONDS",
    "ELEVATED_CHAT_LIMIT",
    "MAX_MESSAGE_LENGTH",
    "PREFIX",
    "RECONNECT_GRACE_SECONDS",
    "ROLE_BADGES",
    "SUBSCRIPTION_SCOPES",
    "USER_TOKEN_SECONDS",
    "DeviceGrant",
    "Session",
    "Subscription",
    "Token",
    "TwitchStandIn",
    "User",
]

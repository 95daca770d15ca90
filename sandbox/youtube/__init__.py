"""YouTube Live on loopback (see `standin` for what it covers).

Modules: `world` (the channel, its broadcasts and chats, what viewers and the streamer do),
`payloads` (documented resources and the `part` rule), `api` (the Data API endpoints and
their parameter rules), `quota` (published prices and the meter), `errors` (Google's error
shape), `control` (`/_sandbox/youtube/`), `standin` (the whole, as `Sandbox` mounts it).
"""

from sandbox.youtube.api import PREFIX
from sandbox.youtube.control import CONTROL
from sandbox.youtube.errors import ERRORS, ApiError, google_error
from sandbox.youtube.quota import PRICES, Meter
from sandbox.youtube.standin import YouTubeStandIn
from sandbox.youtube.world import MAX_MESSAGE, ROLES, Broadcast, Faults

__all__ = [
    "CONTROL",
    "ERRORS",
    "MAX_MESSAGE",
    "PREFIX",
    "PRICES",
    "ROLES",
    "ApiError",
    "Broadcast",
    "Faults",
    "Meter",
    "YouTubeStandIn",
    "google_error",
]

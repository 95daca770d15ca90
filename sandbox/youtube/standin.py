"""YouTube Live chat, played on loopback well enough for google-api-python-client to run on it.

API (under `/youtube`, so the client's `api_endpoint` is `<sandbox>/youtube`):
`liveBroadcasts.list`, `videos.list` (`liveStreamingDetails`), `liveChatMessages.list`
(history on the first call, then paging by `pageToken`, `pollingIntervalMillis`) and
`liveChatMessages.insert`, with Google's error bodies and a quota meter charging the
published prices that answers `quotaExceeded` once the day's budget is spent.

Control API (under `/_sandbox/youtube`): `say`, `superchat`, `supersticker`, `member`,
`inject` (a raw liveChatMessage as is), `sent`, `quota`, `end`, `live`, `faults`.

Resources are shaped after the YouTube Data API and Live Streaming API reference
(liveChatMessages, liveBroadcasts, videos), not after what any client reads. The pieces live
in sibling modules; this one puts them together and mounts them.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.youtube.api import DataApi
from sandbox.youtube.control import ControlApi


class YouTubeStandIn(ControlApi, DataApi):
    """Start it inside `sandbox.app.Sandbox`, or mount it with `setup(app)` on any aiohttp app."""

    name = "youtube"

    def setup(self, app: web.Application) -> None:
        self._mount_api(app)
        self._mount_control(app)

    async def close(self) -> None:
        """Nothing runs in the background: polling is the client's job."""

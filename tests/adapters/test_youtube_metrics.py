"""`/metrics` on a bot with YouTube: the quota units it spent and has left, as its planner
counts them against the real googleapiclient talking to the stand-in."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from google.oauth2.credentials import Credentials
from prometheus_client.parser import text_string_to_metric_families

from adapters.youtube import YouTubeAdapter
from adapters.youtube_quota import QuotaPlanner
from bots.config import Config
from bots.testing import open_stage, until
from commerce.store import Store
from sandbox.app import Sandbox
from sandbox.youtube import YouTubeStandIn

TOKEN = "ya29.youtube-metrics"


def youtube(config: Config, store: Store, sandbox: Sandbox) -> list[YouTubeAdapter]:
    planner = QuotaPlanner(stream_seconds=600, min_interval=0.05, max_interval=0.5, gather=0.05)
    adapter = YouTubeAdapter(
        Credentials(token=TOKEN),
        endpoint=f"{sandbox.url}/youtube",
        planner=planner,
        send_gap=0.05,
        lookup_interval=0.05,
    )
    return [adapter]


async def test_quota_units_spent_and_left_are_scraped(tmp_path: Path) -> None:
    stand_in = YouTubeStandIn(access_token=TOKEN, polling_interval_ms=50)
    async with open_stage(tmp_path, youtube, stand_ins=[stand_in]) as stage:
        adapter = stage.bot.adapters["youtube"]
        assert isinstance(adapter, YouTubeAdapter)
        said = stage.sandbox.youtube.say("ana", "!comprar taza")
        ana = said["authorDetails"]["channelId"]
        await until(lambda: stage.store.viewer_orders("youtube", ana))
        await until(lambda: any("http" in m["text"] for m in stage.sandbox.youtube.sent))
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{stage.web_url}/metrics") as response,
        ):
            text = await response.text()
        planner = adapter.planner
        seen = {
            s.name: s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        spent, left = seen["vivo_youtube_quota_units_spent"], seen["vivo_youtube_quota_units_left"]
        # the planner keeps polling between the two readings: never less than it had
        assert 0 < spent <= planner.spent and spent + left == planner.daily_budget
        assert stage.sandbox.youtube.spent >= spent  # what YouTube itself charged

"""`/metrics` on a real bot: what a `!comprar` and a paid webhook leave in the counters,
and who may read them (a scraper on this machine, or one holding the token)."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from adapters.base import Reply, SendLimits
from bots.runtime.demo import EXAMPLE
from bots.runtime.metrics import Metrics
from bots.runtime.outbox import Outbox, RateWindow
from bots.testing import RecordingAdapter, open_stage, until
from bots.web.metrics import is_loopback
from commerce.views import OrderStatus

TOKEN = "scrape-token-0123456789abcdef"


def samples(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield sample.name, sample.labels, sample.value


def value(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when none)."""
    return sum(
        v
        for n, have, v in samples(text)
        if n == name and all(have.get(k) == w for k, w in labels.items())
    )


async def scrape(url: str, **headers: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.text(), response.headers


def outside_address() -> str:
    """An address of this machine that is not loopback (the one its default route uses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # UDP: nothing is sent
        address = str(probe.getsockname()[0])
    assert not address.startswith("127."), "this test needs a non-loopback address"
    return address


async def test_a_purchase_and_its_webhook_show_in_the_metrics(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.say("ana", "!comprar taza")
        await chat.say("bruno", "!comprar unicornio")
        [order] = stage.store.viewer_orders("rec", "ana")
        await stage.pay(order.code)
        await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
        await stage.bot.wait_idle(quiet=0.2)

        status, text, headers = await scrape(f"{stage.web_url}/metrics")
        assert status == 200
        assert headers["Content-Type"] == CONTENT_TYPE_LATEST
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in headers["Content-Security-Policy"]

        ok = {"command": "comprar", "platform": "rec"}
        assert value(text, "vivo_commands_total", **ok, outcome="ok") == 1
        assert value(text, "vivo_commands_total", **ok, outcome="bad_argument") == 1
        assert value(text, "vivo_command_seconds_count", command="comprar") == 2
        assert value(text, "vivo_webhooks_total", outcome="accepted") >= 1
        # the webhook and the reconciler race; the store records the payment once
        assert value(text, "vivo_payments_total", outcome="order_paid") == 1
        assert value(text, "vivo_orders", status="paid") == 1
        assert value(text, "vivo_orders", status="pending") == 0
        assert value(text, "vivo_outbox_depth", platform="rec") == 0
        assert value(text, "vivo_platform_connected", platform="rec") == 1
        assert "vivo_reconciler_lag_seconds" in {n for n, _, _ in samples(text)}
        assert value(text, "vivo_reconnects_total", platform="rec") == 0


async def test_metrics_are_refused_to_other_machines_and_proxied_requests(
    tmp_path: Path,
) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        # the same bot app, also listening on an outside address of this machine
        runner = stage.bot._runner
        assert runner is not None
        site = web.TCPSite(runner, outside_address(), 0)
        await site.start()
        host, port = runner.addresses[-1][:2]
        status, text, _ = await scrape(f"http://{host}:{port}/metrics")
        assert status == 403 and "vivo_" not in text
        # a header cannot make an outside request local
        status, _, _ = await scrape(
            f"http://{host}:{port}/metrics", **{"X-Forwarded-For": "127.0.0.1"}
        )
        assert status == 403
        # a proxy on this machine forwards for someone else: not local either
        status, _, _ = await scrape(
            f"{stage.web_url}/metrics", **{"X-Forwarded-For": "203.0.113.9"}
        )
        assert status == 403
        status, _, _ = await scrape(f"{stage.web_url}/metrics", Forwarded="for=203.0.113.9")
        assert status == 403
        # the rest of the app still answers outside callers
        status, _, _ = await scrape(f"http://{host}:{port}/healthz")
        assert status == 200


async def test_the_token_opens_the_metrics_to_other_machines(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE.read_text() + f'\n[metrics]\ntoken = "{TOKEN}"\n')
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], config_path=config) as stage:
        await chat.say("ana", "!comprar taza")
        runner = stage.bot._runner
        assert runner is not None
        site = web.TCPSite(runner, outside_address(), 0)
        await site.start()
        host, port = runner.addresses[-1][:2]
        url = f"http://{host}:{port}/metrics"
        status, _, headers = await scrape(url)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        status, _, _ = await scrape(url, Authorization="Bearer not-the-token")
        assert status == 401
        status, text, _ = await scrape(url, Authorization=f"Bearer {TOKEN}")
        assert status == 200
        assert value(text, "vivo_commands_total", command="comprar", outcome="ok") == 1
        # through a proxy on this machine, too
        status, _, _ = await scrape(
            f"{stage.web_url}/metrics",
            **{"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {TOKEN}"},
        )
        assert status == 200


async def test_two_bots_in_one_process_count_apart(tmp_path: Path) -> None:
    first, second = RecordingAdapter(), RecordingAdapter()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        open_stage(tmp_path / "a", lambda *_: [first]) as a,
        open_stage(tmp_path / "b", lambda *_: [second]) as b,
    ):
        await first.say("ana", "!comprar taza")
        await a.bot.wait_idle(quiet=0.1)
        _, text_a, _ = await scrape(f"{a.web_url}/metrics")
        _, text_b, _ = await scrape(f"{b.web_url}/metrics")
        assert value(text_a, "vivo_commands_total", outcome="ok") == 1
        assert value(text_b, "vivo_commands_total", outcome="ok") == 0


def test_loopback_is_this_machine_in_every_spelling() -> None:
    assert all(is_loopback(a) for a in ("127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"))
    assert not any(is_loopback(a) for a in ("192.0.2.2", "::ffff:192.0.2.2", "fd00::2", "?", None))


async def test_send_limit_waits_are_counted_per_platform() -> None:
    metrics = Metrics()
    chat = RecordingAdapter(platform="slow")
    limits = SendLimits(max_length=500, messages=1, per_seconds=0.2)
    outbox = Outbox(chat, limits, on_wait=metrics.send_wait("slow"))
    ticks = itertools.count(1)
    # each look at the clock is 0.1 s later: every reply after the first waits once
    outbox.window = RateWindow(1, 0.2, clock=lambda: next(ticks) / 10)
    outbox.start()
    try:
        for text in ("uno", "dos", "tres"):
            await outbox.put(Reply(channel="chan", text=text))
        await until(lambda: len(chat.sent) == 3)
    finally:
        await outbox.stop()
    text = metrics.exposition().decode()
    assert value(text, "vivo_send_limit_waits_total", platform="slow") == 2
    assert value(text, "vivo_send_limit_wait_seconds_total", platform="slow") > 0

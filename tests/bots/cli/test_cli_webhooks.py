"""`vivo webhooks list|log|test`, run as the real executable against a receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cli_helpers import owner_config, vivo
from webhook_receiver import closed_port, receiving

from bots.runtime.webhook_signing import verify

SECRET = "cli-secret-0123456789abcdef"


def with_webhook(workdir: Path, url: str) -> None:
    config = owner_config(workdir)
    text = config.read_text(encoding="utf-8")
    text += (
        f'\n[[webhooks]]\nname = "planilla"\nurl = "{url}"\n'
        'events = ["order.paid", "stock.changed"]\nsecret = "env:VIVO_WEBHOOK_SECRET"\n'
    )
    config.write_text(text, encoding="utf-8")


ENV = {"VIVO_WEBHOOK_SECRET": SECRET}


async def test_a_test_event_arrives_signed_and_is_logged(tmp_path: Path) -> None:
    async with receiving() as receiver:
        with_webhook(tmp_path, receiver.url)
        ran = await asyncio.to_thread(vivo, tmp_path, "webhooks", "test", "planilla", env=ENV)
        assert ran.code == 0, ran.err
        [got] = receiver.received
    assert "planilla" in ran.out and "HTTP 200" in ran.out and got.event_id in ran.out
    assert verify(SECRET, got.headers["Vivo-Signature"], got.body)
    assert got.json["type"] == "webhook.test"
    assert SECRET not in ran.out + ran.err

    listed = vivo(tmp_path, "webhooks", "list", env=ENV)
    assert listed.code == 0
    assert f"planilla  {receiver.url}  events: order.paid, stock.changed" in listed.out
    log = vivo(tmp_path, "webhooks", "log", env=ENV)
    assert log.code == 0, log.err
    first, attempt = log.out.splitlines()[:2]
    assert "planilla  webhook.test" in first and got.event_id in first and "delivered" in first
    assert "HTTP 200" in attempt


async def test_a_receiver_that_is_down_fails_the_test_and_the_log_says_why(
    tmp_path: Path,
) -> None:
    with_webhook(tmp_path, f"http://127.0.0.1:{closed_port()}/hook")
    ran = await asyncio.to_thread(vivo, tmp_path, "webhooks", "test", "planilla", env=ENV)
    assert ran.code == 1 and "no answer" in ran.out
    log = vivo(tmp_path, "webhooks", "log", "--webhook", "planilla", env=ENV)
    first, attempt = log.out.splitlines()[:2]
    assert "GAVE UP" in first and "attempts: 1" in first  # a test is never retried
    assert "no answer (" in attempt


def test_an_unknown_webhook_is_named_with_the_known_ones(tmp_path: Path) -> None:
    with_webhook(tmp_path, "https://hooks.example/1")
    ran = vivo(tmp_path, "webhooks", "test", "zapier", env=ENV)
    assert ran.code == 1
    assert "'zapier' is not a webhook" in ran.err and "planilla" in ran.err
    empty = vivo(tmp_path, "webhooks", "log", env=ENV)
    assert empty.code == 0 and "no webhook deliveries yet" in empty.out


def test_a_bad_webhook_config_names_the_key(tmp_path: Path) -> None:
    config = owner_config(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[webhooks]]\nurl = "ftp://x"\nevents = ["order.payed"]\nsecret = "corto"\n',
        encoding="utf-8",
    )
    ran = vivo(tmp_path, "check")
    assert ran.code != 0
    assert "webhooks[0].url" in ran.out + ran.err
    assert "did you mean order.paid?" in ran.out + ran.err
    assert "webhooks[0].secret" in ran.out + ran.err and "corto" not in ran.out + ran.err

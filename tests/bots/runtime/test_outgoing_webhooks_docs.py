"""docs/webhooks.md is what a receiver copies: its Python and Node verification snippets are
run here, unchanged, against a real signed delivery; every event name is documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from webhook_receiver import Received, receiving

from bots.config import WebhookConfig
from bots.runtime.webhook_payloads import EVENT_TYPES, TEST_EVENT
from bots.runtime.webhooks import WebhookSender

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
SECRET = "docs-secret-0123456789abcdef"


def snippet(language: str) -> str:
    [code] = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return code


async def a_delivery(store: Any) -> Received:
    async with receiving() as receiver:
        hook = WebhookConfig("docs", receiver.url, frozenset(EVENT_TYPES), SECRET)
        _, attempt = await WebhookSender(store, [hook], store_name="t").send_test(hook)
        assert attempt.error is None
        [got] = receiver.received
    assert got.json["type"] == TEST_EVENT
    return got


async def test_the_documented_python_snippet_verifies_a_real_delivery(store: Any) -> None:
    got = await a_delivery(store)
    scope: dict[str, Any] = {}
    exec(compile(snippet("python"), str(DOC), "exec"), scope)
    ok = scope["vivo_signature_ok"]
    header = got.headers["Vivo-Signature"]
    assert ok(SECRET, header, got.body) is True
    assert ok(SECRET, header, got.body.replace(b"Vivo", b"Viva")) is False
    assert ok("wrong-secret-0123456789", header, got.body) is False
    stale = re.sub(r"t=(\d+)", lambda m: f"t={int(m.group(1)) - 600}", header)
    assert ok(SECRET, stale, got.body) is False  # an old (replayed) signature


async def test_the_documented_node_snippet_verifies_a_real_delivery(
    store: Any, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed for this test (apt-get install nodejs)"
    got = await a_delivery(store)
    (tmp_path / "body.json").write_bytes(got.body)
    cases = [
        (SECRET, got.headers["Vivo-Signature"], "body.json"),
        ("wrong-secret-0123456789", got.headers["Vivo-Signature"], "body.json"),
    ]
    (tmp_path / "tampered.json").write_bytes(got.body + b"\n")
    cases.append((SECRET, got.headers["Vivo-Signature"], "tampered.json"))
    harness = snippet("javascript") + (
        "\nconst fs = require('fs');\n"
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([s, h, f]) =>"
        " vivoSignatureOk(s, h, fs.readFileSync(f)))));\n"
    )
    (tmp_path / "verify.js").write_text(harness, encoding="utf-8")
    done = subprocess.run(
        [node, "verify.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, False, False]


def test_every_event_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in (*EVENT_TYPES, TEST_EVENT):
        assert f"`{name}`" in text, name
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        json.loads(block)  # every example is valid JSON

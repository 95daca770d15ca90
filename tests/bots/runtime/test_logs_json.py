"""`[logging] format = "json"`: one JSON object a line, carrying what the line is about,
and masked exactly like text lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.runtime.logs import MASK, JsonFormatter, TerminalNotice, install_redactor, use_json
from bots.testing import RecordingAdapter, open_stage, until

SECRET = "APP_USR-0000-very-secret-token"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """The root logger writing to a buffer, as `vivo run` sets it up, in JSON."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    out = io.StringIO()
    for handler in saved:
        root.removeHandler(handler)
    root.addHandler(logging.StreamHandler(out))
    root.setLevel(logging.INFO)
    use_json()
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)


def parsed(out: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_each_line_is_an_object_with_time_level_logger_and_message(lines: io.StringIO) -> None:
    logging.getLogger("vivo.test").warning("stock low for %s", "TAZA-01", extra={"order": "AB12"})
    [line] = parsed(lines)
    assert line["level"] == "warning" and line["logger"] == "vivo.test"
    assert line["message"] == "stock low for TAZA-01" and line["order"] == "AB12"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert "message_id" not in line


def test_secrets_are_masked_in_json_lines_too(lines: io.StringIO) -> None:
    install_redactor([SECRET])
    log = logging.getLogger("httpx")
    log.info("GET https://api.example/?access_token=%s", SECRET, extra={"payment": SECRET})
    try:
        raise RuntimeError(f"refused {SECRET}")
    except RuntimeError:
        log.exception("call failed")
    text = lines.getvalue()
    assert SECRET not in text
    first, second = parsed(lines)
    assert first["message"].endswith(f"access_token={MASK}") and first["payment"] == MASK
    assert second["error"].endswith(f"RuntimeError: refused {MASK}")


def test_the_terminal_notice_stays_human(tmp_path: Path) -> None:
    root = logging.getLogger()
    notice = TerminalNotice(tmp_path / "vivo.log", io.StringIO())
    plain = notice.formatter
    root.addHandler(notice)
    try:
        use_json()
        assert notice.formatter is plain and not isinstance(notice.formatter, JsonFormatter)
    finally:
        root.removeHandler(notice)


async def test_a_payment_problem_is_logged_with_its_order_code(
    tmp_path: Path, lines: io.StringIO
) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.say("ana", "!comprar taza")
        [order] = stage.store.viewer_orders("rec", "ana")
        await stage.pay(order.code, amount=1)  # not what the order costs

        def about_order() -> list[dict[str, str]]:
            return [line for line in parsed(lines) if line.get("order") == order.code]

        [line] = await until(about_order)
        assert line["level"] == "warning" and line["logger"] == "bots.runtime.payments"
        assert order.code in line["message"] and "payment" in line
        assert "ana" not in json.dumps(line)  # never the buyer's name

"""The log redactor and the terminal notices, on plain `logging` records."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.runtime.logs import MASK, Redactor, TerminalNotice, install_redactor

TOKEN = "7000000001:AAH-very-secret"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)


def test_secrets_are_masked_in_messages_args_and_tracebacks(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = captured
    install_redactor([TOKEN, "short"])
    logger.debug("GET https://api.example/bot%s/getMe", TOKEN)
    logger.info("quoted: %s", "7000000001%3AAAH-very-secret")
    try:
        raise RuntimeError(f"bad url .../bot{TOKEN}/x")
    except RuntimeError:
        logger.exception("failed")
    text = out.getvalue()
    assert TOKEN not in text and "AAH-very-secret" not in text
    assert f"/bot{MASK}/getMe" in text and "RuntimeError: bad url" in text
    assert "quoted: ***" in text


def test_short_values_are_not_masked() -> None:
    redactor = Redactor(["s", "abc"])
    assert redactor.redact("status ok, abc") == "status ok, abc"


def test_one_notice_per_outage_pointing_at_the_file(tmp_path: Path) -> None:
    out = io.StringIO()
    notice = TerminalNotice(tmp_path / "vivo.log", out, interval=3600)
    notice.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger("bots.test_outage")
    logger.addHandler(notice)
    logger.propagate = False
    try:
        for n in range(20):
            logger.warning("MercadoPago unreachable: %s", "http://x/" + "long/" * 40 + str(n))
        logger.error("gave up on a payment link")
    finally:
        logger.removeHandler(notice)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("[vivo warning] bots.test_outage: MercadoPago unreachable")
    assert lines[1].startswith("[vivo error]") and str(tmp_path / "vivo.log") in lines[1]
    assert all(len(line) < 200 for line in lines)


def test_buyers_contacts_and_details_never_reach_a_log_line(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    from commerce.views import DeliveryDetails

    logger, out = captured
    install_redactor([])
    details = DeliveryDetails(name="Ana Pérez", contact="+5491155551234", street="Siempreviva 742")
    logger.info("details for AB12CD: %s", details)
    logger.info("payer %s wrote from %s", "ana.perez@mail.com", "+54 9 11 5555-1234")
    try:
        raise ValueError(f"cannot reach {details!r} at ana.perez@mail.com")
    except ValueError:
        logger.exception("failed")
    logger.info("payment 1234567890 for order AB12CD")
    text = out.getvalue()
    for personal in ("Ana Pérez", "5491155551234", "Siempreviva", "ana.perez", "5555-1234"):
        assert personal not in text, personal
    assert "<email>" in text and "<phone>" in text and "<redacted>" in text
    assert "payment 1234567890 for order AB12CD" in text  # ids are not personal

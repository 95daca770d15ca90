"""vivo_envios as its author tests it: Vivo's shipped stage, a recording chat, a real sheet.

`open_stage` runs the whole bot on the sandbox with the config below, which enables the
installed plugin exactly as an owner's config.toml would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web

from bots.plugin import BadArgument, Money
from bots.runtime.demo import EXAMPLE
from bots.testing import RecordingAdapter, open_stage, until
from vivo_envios.quote import Settings, parse_postal_code, price_for

RATES = Settings(rates={"1": Decimal("2500"), "14": Decimal("1800"), "50": Decimal("3900")})


def config_with(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "config.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(f'{text}\n[plugins]\nenabled = ["vivo_envios"]\n\n{table}\n', "utf-8")
    return path


class Sheet:
    """A Google-Sheets-compatible endpoint: appends the CSV rows it is sent."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.types: list[str] = []

    async def append(self, request: web.Request) -> web.Response:
        self.types.append(request.content_type)
        self.rows.append(await request.text())
        return web.Response(text="ok")


@pytest.fixture
async def sheet() -> AsyncIterator[tuple[Sheet, str]]:
    recorder = Sheet()
    app = web.Application()
    app.router.add_post("/exec", recorder.append)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield recorder, f"http://127.0.0.1:{port}/exec"
    await runner.cleanup()


def test_postal_codes_as_people_type_them() -> None:
    assert parse_postal_code(" c1425abc ") == "C1425ABC"
    assert parse_postal_code("01310-100") == "01310100"
    with pytest.raises(BadArgument):
        parse_postal_code("¿?")
    assert price_for("C1425ABC", RATES) == Decimal("1800")  # the longest prefix wins
    assert price_for("1000", RATES) == Decimal("2500")
    assert price_for("9400", RATES) is None


async def test_envio_quotes_in_the_buyers_language(tmp_path: Path) -> None:
    config = config_with(
        tmp_path, '[plugins.vivo_envios]\nrates = { "1" = 2500, "14" = 1800 }\ndefault = 5500'
    )
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], config_path=config) as stage:
        t = stage.bot.messages.t
        await chat.say("ana", "!envio 1425")
        await chat.say("bob", "!shipping 9400")
        await chat.say("caio", "!frete ¿?")
        await chat.say("dora", "!envio")
        await stage.bot.wait_idle(quiet=0.2)
        money = stage.bot.messages.money
        assert [r.text for r in chat.to("ana")] == [
            t(
                "es",
                "vivo_envios.quote",
                code="1425",
                price=money(Money(Decimal(1800), "ARS"), "es"),
            )
        ]
        assert [r.text for r in chat.to("bob")] == [
            t(
                "en",
                "vivo_envios.quote",
                code="9400",
                price=money(Money(Decimal(5500), "ARS"), "en"),
            )
        ]
        assert [r.text for r in chat.to("caio")] == [
            t("pt", "vivo_envios.bad_postal_code", code="¿?", p="!")
        ]
        assert [r.text for r in chat.to("dora")] == [
            t("es", "vivo_envios.missing_postal_code", p="!")
        ]


async def test_no_default_means_we_do_not_ship_there(tmp_path: Path) -> None:
    config = config_with(tmp_path, '[plugins.vivo_envios]\nrates = { "1" = 2500 }')
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], config_path=config) as stage:
        await chat.say("ana", "!envio 5000")
        await stage.bot.wait_idle(quiet=0.2)
        expected = stage.bot.messages.t("es", "vivo_envios.no_shipping", code="5000")
        assert [r.text for r in chat.to("ana")] == [expected]


async def test_a_paid_order_lands_in_the_sheet_as_a_csv_row(
    tmp_path: Path, sheet: tuple[Sheet, str]
) -> None:
    recorder, url = sheet
    config = config_with(
        tmp_path, f'[plugins.vivo_envios]\nrates = {{ "1" = 2500 }}\nsheet_url = "{url}"'
    )
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], config_path=config) as stage:
        await chat.say("ana", "!comprar 2 taza")
        [order] = stage.store.viewer_orders("rec", "ana")
        assert recorder.rows == []  # reserved is not paid
        await stage.pay(order.code)
        await until(lambda: recorder.rows)
        [row] = recorder.rows
        assert recorder.types == ["text/csv"]
        _when, code, platform, items, total, currency = row.strip().split(",")
        assert (code, platform, items, currency) == (order.code, "rec", "2x TAZA-01", "ARS")
        assert Decimal(total) == order.total.amount
        assert "ana" not in row  # the sheet gets no names

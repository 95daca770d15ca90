"""Plugins inside the running bot: their listeners cannot hurt a sale, their commands,
adapters and providers go in through the same registry as ours."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bots.chat.i18n import Messages
from bots.config import ConfigError, parse_config
from bots.plugin import Command, Context, Event, OrderPaid, OrderReserved, Plugin, Registry
from bots.runtime.demo import EXAMPLE
from bots.runtime.launch import make_adapters, make_provider
from bots.runtime.plugins import Loaded, registered, templates
from bots.testing import RecordingAdapter, open_stage, until
from commerce.views import OrderStatus

ENV = {"MP_ACCESS_TOKEN": "TEST-token", "MP_WEBHOOK_SECRET": "s3cret"}


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, ENV)
    return {p.key: f"{p.message} | {p.fix}" for p in caught.value.problems}


async def test_a_listener_that_raises_and_one_that_hangs_leave_the_sale_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[Event] = []
    hung = asyncio.Event()

    async def raises(event: Event) -> None:
        raise RuntimeError("the plugin's bug")

    async def hangs(event: Event) -> None:
        hung.set()
        await asyncio.Event().wait()  # forever

    async def records(event: Event) -> None:
        heard.append(event)

    def register(registry: Registry[None]) -> None:
        registry.listen(raises)
        registry.listen(hangs, OrderReserved, OrderPaid)
        registry.listen(records, OrderReserved, OrderPaid)

    bad = Plugin(name="bad", register=register)
    chat = RecordingAdapter()
    caplog.set_level(logging.ERROR, logger="bots.runtime.plugins")
    async with open_stage(
        tmp_path, lambda *_: [chat], plugins=[(bad, None)], listener_timeout=0.2
    ) as stage:
        await chat.say("ana", "!comprar taza")
        [order] = stage.store.viewer_orders("rec", "ana")
        messages = stage.bot.messages
        await until(lambda: any(r.private and order.code in r.text for r in chat.to("ana")))
        await stage.pay(order.code)
        thanks = messages.t(
            "es", "order_paid_thanks", name="ana", product="Taza del stream", code=order.code
        )
        await until(lambda: any(r.text == thanks for r in chat.to("ana")))
        assert stage.store.get_order(order.code).status is OrderStatus.PAID
        assert hung.is_set()
        await until(lambda: [type(e) for e in heard] == [OrderReserved, OrderPaid])
        await until(lambda: sum("took over" in r.getMessage() for r in caplog.records) == 2)
    failed = [r for r in caplog.records if "failed on" in r.getMessage()]
    assert failed and all("plugin bad" in r.getMessage() for r in failed)
    assert {r.getMessage().rsplit(" ", 1)[-1] for r in failed} >= {"OrderReserved", "OrderPaid"}


async def test_a_plugin_command_with_a_check_and_its_own_templates(tmp_path: Path) -> None:
    async def hello(ctx: Context) -> None:
        await ctx.reply("hola.saludo", name=ctx.author.name)

    def register(registry: Registry[None]) -> None:
        registry.add(
            Command(
                names={"hola": "es", "hello": "en"},
                handler=hello,
                checks=(lambda ctx: ctx.author.id != "troll",),
            )
        )

    plugin = Plugin(name="hola", register=register)
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], plugins=[(plugin, None)]) as stage:
        stage.bot.messages.extend({"es": {"hola.saludo": "¡Hola, {name}!"}})
        await chat.say("ana", "!hola")
        await chat.say("troll", "!hola")
        await stage.bot.wait_idle(quiet=0.2)
        assert [r.text for r in chat.to("ana")] == ["¡Hola, ana!"]
        not_allowed = stage.bot.messages.t("es", "not_allowed", p="!", command="hola")
        assert [r.text for r in chat.to("troll")] == [not_allowed]


def test_enabling_a_plugin_that_is_not_installed_says_how_to_install_it() -> None:
    raw = example()
    raw["plugins"] = {"enabled": ["vivo_kick"]}
    found = problems(raw)
    assert "'vivo_kick' is not installed | pip install vivo-kick" in found["plugins.enabled"]


def test_the_example_plugins_settings_are_checked_by_key() -> None:
    raw = example()
    raw["plugins"] = {"enabled": ["vivo_envios"], "vivo_envios": {"default": "mucho", "rats": 1}}
    found = problems(raw)
    assert found["plugins.vivo_envios.rates"].startswith("is missing | write rates = {")
    assert "must be an amount" in found["plugins.vivo_envios.default"]
    assert "write default = 5500" in found["plugins.vivo_envios.default"]
    assert "rates" in found["plugins.vivo_envios.rats"]  # the setting it probably meant

    raw["plugins"] = {"enabled": ["vivo_envios"], "vivo_envios": {"rates": {"1": True}}}
    assert "must be an amount" in problems(raw)["plugins.vivo_envios.rates"]

    raw["plugins"] = {"enabled": [], "vivo_envios": {"rates": {}}}
    assert 'add "vivo_envios" to [plugins] enabled' in problems(raw)["plugins.vivo_envios"]

    raw["plugins"] = {"enabled": ["vivo_envios"], "vivo_envios": {"rates": {"1": 2500}}}
    [loaded] = parse_config(raw, ENV).plugins
    assert loaded.registry.settings.rates == {"1": 2500}


def test_a_plugin_adapter_and_provider_are_built_like_ours() -> None:
    chat = RecordingAdapter(platform="kick")
    made: list[str] = []

    class Fake:
        name = "fakepay"

    def provider(config: Any) -> Any:
        made.append("provider")
        return Fake()

    def register(registry: Registry[None]) -> None:
        registry.adapter("kick", lambda config, section, store, sandbox_url: chat)
        registry.provider("fakepay", provider)

    plugin = Plugin(name="kickplug", register=register)
    config = parse_config(example(), ENV)
    config = dataclasses.replace(
        config,
        plugins=(Loaded(plugin, registered(plugin)),),
        platforms={**config.platforms, "console": {"enabled": False}, "kick": {"enabled": True}},
        payment_provider="fakepay",
    )
    assert make_adapters(config) == [chat]
    assert isinstance(make_provider(config), Fake) and made == ["provider"]
    ours = dataclasses.replace(config, payment_provider="mercadopago")
    assert make_provider(ours).name == "mercadopago"


def test_an_owner_rewords_a_plugin_reply_like_any_other() -> None:
    raw = example()
    raw["plugins"] = {"enabled": ["vivo_envios"], "vivo_envios": {"rates": {"1": 2500}}}
    raw["messages"] = {"es": {"vivo_envios": {"quote": "Envío a {code}: {price}"}}}
    config = parse_config(raw, ENV)
    messages = Messages(config.messages)
    messages.extend(templates(config.plugins))
    assert messages.t("es", "vivo_envios.quote", code="1425", price="$ 1") == "Envío a 1425: $ 1"
    assert messages.t("en", "vivo_envios.quote", code="1425", price="$1") == (
        "Shipping to 1425 costs $1."
    )
    raw["messages"] = {"es": {"vivo_envios": {"quotee": "x"}}}
    assert "messages.es.vivo_envios.quotee" in problems(raw)

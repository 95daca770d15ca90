"""The router counts each command once, by the kind of its outcome, for `/metrics`."""

from __future__ import annotations

from typing import Any

from chat_helpers import PLATFORM, Chat, Clock, Links
from prometheus_client.parser import text_string_to_metric_families

from bots.chat.i18n import Messages
from bots.chat.router import Command, Context, Router
from bots.runtime.metrics import Metrics
from bots.runtime.services import Services, Settings


def counts(metrics: Metrics) -> dict[tuple[str, str], float]:
    text = metrics.exposition().decode()
    return {
        (s.labels["command"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "vivo_commands_total" and s.labels["platform"] == PLATFORM
    }


async def test_each_outcome_is_counted_by_kind(
    store: Any, links: Links, settings: Settings, messages: Messages, clock: Clock
) -> None:
    metrics = Metrics()
    services = Services(store, links, settings, messages, metrics=metrics)
    router = Router(services, clock=clock)

    async def broken(ctx: Context) -> None:
        raise RuntimeError("a bug")

    router.add(Command(names={"roto": None}, handler=broken))
    chat = Chat(router, clock)
    await chat.send("!comprar taza")
    await chat.send("!comprar taza", wait=0)  # the same line again at once: warned
    await chat.send("!comprar taza", wait=0)  # and again: ignored
    await chat.send("!comprar llavero")  # sold out
    await chat.send("!comprar")
    await chat.send("!stock taza 5")  # a viewer is not a moderator
    await chat.send("!roto")
    await chat.send("hola a todos")  # not a command: not counted
    assert counts(metrics) == {
        ("comprar", "ok"): 1,
        ("comprar", "cooldown"): 2,
        ("comprar", "out_of_stock"): 1,
        ("comprar", "missing_argument"): 1,
        ("stock", "not_allowed"): 1,
        ("roto", "crashed"): 1,
    }
    text = metrics.exposition().decode()
    [latency] = [
        s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "vivo_command_seconds_count" and s.labels["command"] == "comprar"
    ]
    assert latency.value == 5

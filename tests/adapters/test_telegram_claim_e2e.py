"""An owner claims the store on Telegram with the code `vivo run` printed: real PTB, sandbox."""

from __future__ import annotations

from pathlib import Path

from adapters.telegram import TelegramAdapter
from bots.chat.claims import startup_lines
from bots.config import Config
from bots.testing import open_stage, until
from commerce.store import Store
from sandbox.app import Sandbox


def telegram(config: Config, store: Store, sandbox: Sandbox) -> list[TelegramAdapter]:
    endpoint = f"{sandbox.url}/telegram"
    return [TelegramAdapter(sandbox.telegram.token, endpoint=endpoint, poll_timeout=1.0)]


def _variant_stock(store: Store, key: str) -> int:
    return next(v.stock for v in store.get_product("REM-VIVO").variants if v.key == key)


async def test_the_printed_code_makes_a_plain_member_the_owner(tmp_path: Path) -> None:
    async with open_stage(tmp_path, telegram) as stage:
        printed = startup_lines(stage.bot.claims, stage.bot.adapters)
        code = next(line.split()[-1] for line in printed.splitlines() if "telegram" in line)
        world = stage.sandbox.telegram
        group = world.group_id

        def sent(chat_id: int) -> list[str]:
            return [
                e["text"]
                for e in world.sent
                if e["method"] == "sendMessage" and e["chat_id"] == chat_id
            ]

        world.say("lu", f"!soy-dueño {code}", chat="private")
        lu = world.user("lu")
        [done] = await until(lambda: sent(lu["id"]))
        assert done.startswith("Listo, lu") and "Telegram" in done
        assert [(o.platform, o.user_id) for o in stage.store.list_owners()] == [
            ("telegram", str(lu["id"]))
        ]

        # A plain group member until now, lu runs an owner's command in the group.
        world.say("lu", "/stock remera M 50")
        await until(lambda: _variant_stock(stage.store, "talle=M") == 50)
        await until(lambda: any("50" in text for text in sent(group)))  # the reply follows

        # The code was spent: another member who saw it gets nothing.
        world.say("beto", f"!soy-dueño {code}", chat="private")
        beto = world.user("beto")
        [refused] = await until(lambda: sent(beto["id"]))
        assert "no es válido" in refused
        assert len(stage.store.list_owners()) == 1

"""The console adapter: identity switching, scripted input, replies on stdout."""

from __future__ import annotations

import asyncio
import io

from adapters.base import ChatMessage, ChatUser, PlatformTip, Reply, Role
from adapters.console import ConsoleAdapter


async def run_script(lines: list[str]) -> tuple[list[ChatMessage], str, ConsoleAdapter]:
    out = io.StringIO()
    adapter = ConsoleAdapter(
        stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out, interactive=False
    )
    heard: list[ChatMessage] = []

    async def inbox(event: ChatMessage | PlatformTip) -> None:
        assert isinstance(event, ChatMessage)
        heard.append(event)

    await adapter.start(inbox)
    await asyncio.wait_for(adapter.eof.wait(), 5)
    await adapter.stop()
    return heard, out.getvalue(), adapter


async def test_lines_become_messages_with_unique_ids() -> None:
    heard, out, _ = await run_script(["!tienda", "", "!comprar taza"])
    assert [m.text for m in heard] == ["!tienda", "!comprar taza"]
    assert len({m.id for m in heard}) == 2
    assert all(m.author == ChatUser("console", "ana", "ana") for m in heard)
    assert "ana: !tienda" in out  # scripted input is echoed so the transcript reads as a chat


async def test_identity_and_role_switches() -> None:
    heard, out, _ = await run_script(
        ["/como Beto Pérez", "hola", "/mod", "!stock taza 5", "/dueño", "!cerrar", "/viewer", "x"]
    )
    authors = [(m.author.id, m.author.name, m.author.role) for m in heard]
    assert authors == [
        ("beto_perez", "Beto Pérez", Role.VIEWER),
        ("beto_perez", "Beto Pérez", Role.MODERATOR),
        ("beto_perez", "Beto Pérez", Role.OWNER),
        ("beto_perez", "Beto Pérez", Role.VIEWER),
    ]
    assert "(ahora sos Beto Pérez" in out


async def test_replies_are_printed_with_mention_and_privacy() -> None:
    out = io.StringIO()
    adapter = ConsoleAdapter(stdin=io.StringIO(""), stdout=out, interactive=False)
    ana = ChatUser("console", "ana", "ana")
    await adapter.send(Reply("consola", "hola", mention=ana))
    await adapter.send(
        Reply("consola", "pagá acá: http://127.0.0.1:1/p/ABC", mention=ana, private=True)
    )
    await adapter.send(Reply("consola", "anuncio"))
    assert out.getvalue().splitlines() == [
        "bot → @ana: hola",
        "bot → @ana (privado): pagá acá: http://127.0.0.1:1/p/ABC",
        "bot: anuncio",
    ]


async def test_pay_without_a_sandbox_says_what_to_do() -> None:
    _, out, _ = await run_script(["/pagar"])
    assert "abrí el link de pago" in out


async def test_como_is_someone_new_a_viewer_unless_a_role_is_given() -> None:
    heard, out, _ = await run_script(
        ["/dueño", "a", "/como carla", "b", "/como Beto Pérez mod", "c", "/como lu dueño", "d"]
    )
    authors = [(m.author.id, m.author.name, m.author.role) for m in heard]
    assert authors == [
        ("ana", "ana", Role.OWNER),
        ("carla", "carla", Role.VIEWER),
        ("beto_perez", "Beto Pérez", Role.MODERATOR),
        ("lu", "lu", Role.OWNER),
    ]
    assert "(ahora sos carla, viewer)" in out

"""A terminal chat: you type as a viewer, the bot answers on stdout.

Interactive on a terminal; scripted when stdin is a pipe (one chat line per input line,
every reply printed, `eof` set when input ends) so the demo and tests can drive it.
Console-only commands (`LOCAL_COMMANDS`) switch who you are and pay on the sandbox
checkout. `/como <nombre> [viewer|mod|dueño]` is someone else, a viewer unless a role is
given; `/mod`, `/dueño` and `/viewer` change your own role.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import unicodedata
import uuid
from typing import TextIO
from urllib.parse import parse_qs, urlparse

import aiohttp

from adapters.base import ChatMessage, ChatUser, Inbox, Reply, Role, SendLimits

_URL = re.compile(r"https?://[^\s,;)]+")
_SHORT = re.compile(r"/p/([A-Za-z0-9]+)")
_ROLES = {
    "viewer": Role.VIEWER,
    "mod": Role.MODERATOR,
    "moderador": Role.MODERATOR,
    "dueno": Role.OWNER,
    "owner": Role.OWNER,
}
LOCAL_COMMANDS = ("/como", "/mod", "/dueño", "/viewer", "/pagar", "/rechazar")


class ConsoleAdapter:
    platform = "console"
    limits = SendLimits(max_length=500, messages=1000, per_seconds=1.0)

    def __init__(
        self,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        user: str = "ana",
        channel: str = "consola",
        sandbox_url: str | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.channel = channel
        self.sandbox_url = sandbox_url.rstrip("/") if sandbox_url else None
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.user = ChatUser(self.platform, _user_id(user), user)
        self.eof = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inbox: Inbox | None = None
        self._last_links: dict[str, str] = {}
        self._session = uuid.uuid4().hex[:8]
        self._prompting = False
        self._count = 0

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def send(self, reply: Reply) -> None:
        who = f"@{reply.mention.name}" if reply.mention else ""
        where = " (privado)" if reply.private else ""
        self._print(f"bot → {who}{where}: {reply.text}" if who else f"bot: {reply.text}")
        if reply.mention is not None:
            for url in _URL.findall(reply.text):
                self._last_links[reply.mention.id] = url

    def _print(self, line: str) -> None:
        if self.interactive and self._prompting:
            # A reply that arrives while the prompt waits: print it above a fresh prompt.
            self.stdout.write(f"\r\033[K{line}\n{self.user.name}> ")
        else:
            self.stdout.write(line + "\n")
        self.stdout.flush()

    def _prompt(self) -> None:
        if self.interactive:
            self.stdout.write(f"{self.user.name}> ")
            self.stdout.flush()
            self._prompting = True

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._prompt()
            line = await loop.run_in_executor(None, self.stdin.readline)
            self._prompting = False
            if not line:
                self.eof.set()
                return
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if not self.interactive:
                self._print(f"{self.user.name}: {line}")
            if not await self._local(line):
                await self.say(line)

    async def say(self, text: str) -> None:
        assert self._inbox is not None, "start() first"
        self._count += 1
        message = ChatMessage(
            platform=self.platform,
            id=f"{self._session}-{self._count}",
            channel=self.channel,
            author=self.user,
            text=text,
        )
        await self._inbox(message)

    async def _local(self, line: str) -> bool:
        """Console-only commands; True when the line was one of them."""
        word, _, rest = line.strip().partition(" ")
        word = _fold(word)
        rest = rest.strip()
        if word == "/como" and rest:
            name, role = _name_and_role(rest)
            self.user = ChatUser(self.platform, _user_id(name), name, role)
            self._print(f"(ahora sos {name}, {role.name.lower()})")
        elif word in ("/mod", "/dueno", "/owner", "/viewer"):
            role = {"/mod": Role.MODERATOR, "/viewer": Role.VIEWER}.get(word, Role.OWNER)
            self.user = ChatUser(self.platform, self.user.id, self.user.name, role)
            self._print(f"({self.user.name} ahora es {role.name.lower()})")
        elif word in ("/pagar", "/rechazar"):
            await self._pay(rest, "approved" if word == "/pagar" else "rejected")
        else:
            return False
        return True

    async def _pay(self, code: str, status: str) -> None:
        if self.sandbox_url is None:
            self._print("(no hay sandbox de pagos: abrí el link de pago en el navegador)")
            return
        body: dict[str, str | bool] = {"status": status, "wait": True}
        if code:
            body["external_reference"] = code.upper()
        else:
            link = urlparse(self._last_links.get(self.user.id, ""))
            pref = parse_qs(link.query).get("pref_id", [None])[0]
            short = _SHORT.fullmatch(link.path)
            if pref is not None:
                body["preference_id"] = pref
            elif short is not None:
                body["external_reference"] = short.group(1)
            else:
                self._print("(decime qué pedido: /pagar <código>)")
                return
        url = f"{self.sandbox_url}/_sandbox/mercadopago/pay"
        verb = "pagando" if status == "approved" else "rechazando el pago"
        self._print(f"(checkout de MercadoPago sandbox: {verb}…)")
        try:
            async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
                text = await resp.text()
        except aiohttp.ClientError as exc:
            self._print(f"(no pude hablar con el sandbox de pagos: {exc})")
            return
        if resp.status >= 400:
            self._print(f"(el checkout respondió {resp.status}: {_message(text)})")


def _name_and_role(text: str) -> tuple[str, Role]:
    """`beto` → (beto, viewer); `Beto Pérez mod` → (Beto Pérez, moderator)."""
    name, _, last = text.rpartition(" ")
    role = _ROLES.get(_fold(last))
    if role is None or not name.strip():
        return text, Role.VIEWER
    return name.strip(), role


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _user_id(name: str) -> str:
    return _fold(name).strip().replace(" ", "_") or "anon"


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200]
    return str(data.get("message", data)) if isinstance(data, dict) else text[:200]

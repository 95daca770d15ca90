"""`!ayuda [comando]`: the command list, or how to use one command."""

from __future__ import annotations

from adapters.base import Role
from bots.chat.router import Command, Commands, Context
from bots.chat.text import words


async def show_help(ctx: Context) -> None:
    asked = words(ctx.args)
    if asked:
        command = ctx.router.get(asked[0].lstrip("!/"))
        if command is None:
            await ctx.reply("help_unknown", command=asked[0])
            return
        await ctx.reply(command.key(f"help_{command.name}"))
        return
    await ctx.reply("help_owner" if ctx.role >= Role.MODERATOR else "help")


def register(router: Commands) -> None:
    router.add(Command(names={"ayuda": "es", "help": "en", "ajuda": "pt"}, handler=show_help))

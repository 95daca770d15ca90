"""`!soy-dueño CODE`: the owner proves, in their own chat, that this account is theirs.

`vivo run` prints one code per platform (bots.chat.claims); the account that types it becomes an
owner there, recorded in the store and honoured next to `[bot.owners]`. No user id to find.
"""

from __future__ import annotations

from adapters.base import Role
from bots.chat.claims import Verdict
from bots.chat.router import BadArgument, Command, Commands, Context, MissingArgument
from bots.chat.text import words

PLATFORM_NAMES = {"youtube": "YouTube", "twitch": "Twitch", "discord": "Discord"}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.capitalize())


async def claim(ctx: Context) -> None:
    where = platform_name(ctx.author.platform)
    if ctx.role >= Role.OWNER:
        await ctx.reply("claim_already", platform=where)
        return
    typed = "".join(words(ctx.args))
    claims = ctx.services.claims
    if not typed or claims is None:
        raise MissingArgument("claim_usage")
    attempt = claims.attempt(ctx.author.platform, ctx.author.id, typed)
    if attempt.verdict is Verdict.LOCKED:
        await ctx.reply("claim_locked", minutes=attempt.minutes)
        return
    if attempt.verdict is Verdict.WRONG:
        raise BadArgument("claim_bad_code")
    author = ctx.author
    await ctx.run(ctx.services.store.add_owner, author.platform, author.id, author.name)
    ctx.router.add_owner(author.platform, author.id)
    await ctx.reply("claim_done", name=author.name, platform=where)


def register(router: Commands) -> None:
    router.add(
        Command(
            # Underscored twins: Telegram's command menu allows no hyphen.
            names={
                "soy-dueño": "es",
                "soy_dueño": "es",
                "i-am-owner": "en",
                "i_am_owner": "en",
                "claim": "en",
                "sou-dono": "pt",
                "sou_dono": "pt",
            },
            handler=claim,
        )
    )

"""`!hecho [código]`: the streamer did a paid shout-out; the buyer is thanked in their chat.

Owner and moderators only. Without a code it is the oldest waiting (the top of the overlay's
and the panel's queue); with one, that order. Doing it is the order's delivery, so a second
`!hecho` for the same code changes nothing and thanks nobody twice.
"""

from __future__ import annotations

from adapters.base import Role
from bots.chat.router import Command, Commands, Context
from bots.chat.text import words
from bots.runtime.events import OrderDelivered, ShoutoutDone


async def done(ctx: Context) -> None:
    codes = words(ctx.args)
    step = await ctx.run(
        ctx.services.store.shoutout_done, codes[0] if codes else None, actor="chat"
    )
    if step is None:
        await ctx.reply("shoutout_queue_empty")
        return
    if not step.changed:
        await ctx.reply("shoutout_already_done", code=step.order.code)
        return
    await ctx.publish(OrderDelivered(step.order))
    await ctx.publish(ShoutoutDone(step.order))
    left = await ctx.run(ctx.services.store.shoutout_queue)
    await ctx.reply(
        "shoutout_marked_done",
        code=step.order.code,
        name=step.order.viewer.display_name,
        left=len(left),
    )


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"hecho": None, "done": "en", "feito": "pt"},
            handler=done,
            role=Role.MODERATOR,
        )
    )

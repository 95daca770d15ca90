"""`!palabras on|off` (en `!claimwords`, pt `!palavras`): claim words for this stream.

While they are on and a product is on the spotlight (`!destacar`), a viewer who types
only `quiero`, `yo`, `mío` (or a size alone, `M`) buys it as `!comprar <producto>` would
(bots.chat.claim_words, bots.chat.router). They are off by default; `!palabras on` turns
them on for `[claim_words] hours` (6), `!palabras off` or `!cerrar` turns them off. The
state is the store's (commerce.live_state), so every chat process agrees.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.base import Role
from bots.chat.router import BadArgument, Command, Commands, Context
from bots.chat.text import fold, words
from bots.runtime.events import ClaimWordsChanged
from commerce.live_state import ClaimWordsState

_ON = frozenset({"on", "si", "sim", "yes", "activar", "ativar", "encender", "1"})
_OFF = frozenset({"off", "no", "nao", "apagar", "desactivar", "desativar", "0"})


def shown_words(ctx: Context) -> str:
    """The claim words of the reader's language, as they are typed: `quiero, yo, mío`."""
    said = ctx.services.claim_words.words.get(ctx.locale) or next(
        iter(ctx.services.claim_words.words.values()), ()
    )
    return ", ".join(said)


async def _say_state(ctx: Context) -> None:
    state = ctx.router.claim_state
    if not state.active(datetime.now(UTC)):
        await ctx.reply("claimwords_state_off", words=shown_words(ctx))
        return
    spotlight = ctx.router.spotlight
    if spotlight is None:
        await ctx.reply("claimwords_state_on_nothing", words=shown_words(ctx))
        return
    key = "claimwords_state_on_sizes" if ctx.services.claim_words.sizes else "claimwords_state_on"
    await ctx.reply(key, words=shown_words(ctx), product=spotlight.name)


async def claim_words(ctx: Context) -> None:
    parts = words(ctx.args)
    if not parts:
        await _say_state(ctx)
        return
    said = fold(parts[0])
    if said not in _ON | _OFF:
        raise BadArgument("claimwords_usage")
    settings = ctx.services.claim_words
    if said in _ON:
        state = ClaimWordsState(True, datetime.now(UTC) + timedelta(hours=settings.hours))
    else:
        state = ClaimWordsState()
    await ctx.run(ctx.services.store.set_claim_words, state)
    ctx.router.set_claim_words(state)  # at once here; other processes by the event
    await ctx.publish(ClaimWordsChanged(state.enabled, state.until))
    await _say_state(ctx)


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"palabras": "es", "claimwords": "en", "palavras": "pt"},
            handler=claim_words,
            role=Role.MODERATOR,
        )
    )

"""The giveaway's clock and its voice in chat.

`GiveawayClock` is a background duty (one process leads it, like the auction clock:
bots.runtime.bot `_start_duties`): every `interval` it asks the store to draw a giveaway
whose time is up (commerce.giveaways.tick, under the giveaway's row lock, so two processes
that both tick draw it once). Its events commit with the change.

`GiveawayAnnouncer` speaks on one platform. The start (with the seed's commitment) is said
in the platform's own chat where its adapter has one (Twitch's channel, YouTube's live chat)
and in every chat of the platform the bot has heard a command from lately, besides the one
it was opened in (that one hears the command's reply); the draw (winner, seed revealed) in
every chat that took part or was told of the start, with a mention of the winner in their
own chat. The winner is also told privately where the platform has a private channel
(Telegram, Discord), with their prize order's code.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from adapters.base import ChatMessage, ChatUser, Priority, Reply
from bots.chat.i18n import Messages
from bots.runtime.auctions import platform_name
from bots.runtime.events import Event, EventBus, GiveawayChanged, GiveawayWon
from bots.runtime.notices import PRIVATE_PLATFORMS
from commerce import giveaways
from commerce.giveaways import Drawn, GiveawayView
from commerce.store import Store

log = logging.getLogger(__name__)

Send = Callable[[Reply], Awaitable[None]]
#: How many chats per platform the start is announced in (the ones heard from last).
HEARD_KEPT = 20
SHORT = 12  # hex digits of the commitment or seed shown where space is short


def drawn_events(drawn: Drawn) -> list[Event]:
    """What a draw, a tick or a cancel reports: the giveaway that changed, the prize order."""
    found: list[Event] = [GiveawayChanged(g, g.status) for g in drawn.changed]
    if drawn.order is not None and drawn.changed:
        found.append(GiveawayWon(drawn.order, drawn.changed[0]))
    return found


def prize_name(giveaway: GiveawayView) -> str:
    """`Remera (negro M)`: the product and the variant's words."""
    if not giveaway.variant_key:
        return giveaway.product
    label = " ".join(part.partition("=")[2] for part in giveaway.variant_key.split(","))
    return f"{giveaway.product} ({label})"


def short(hex_text: str | None) -> str:
    return (hex_text or "")[:SHORT]


class GiveawayClock:
    """Draws giveaways on time: run only by the duty holder."""

    def __init__(self, store: Store, bus: EventBus, *, interval: float = 0.5) -> None:
        self.store = store
        self.bus = bus
        self.interval = interval

    async def tick(self) -> Drawn:
        return await self.bus.record(
            lambda rows: self.store.giveaway_tick(events=rows), drawn_events
        )

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("the giveaway clock failed")
            await asyncio.sleep(self.interval)


class GiveawayAnnouncer:
    """Subscribe `on_changed` under role `giveaway:<platform>` and `on_won` under
    `chat:<platform>`: each is then said by one process, on this platform only. `heard`
    is fed every command line of the platform (where the start is announced)."""

    def __init__(
        self,
        platform: str,
        messages: Messages,
        send: Send,
        *,
        locale: str,
        prefix: str,
        public_url: str | None = None,
        private: frozenset[str] = PRIVATE_PLATFORMS,
        home: Callable[[], str | None] = lambda: None,
        asks_details: Callable[[], bool] = lambda: True,
    ) -> None:
        self.platform = platform
        self.messages = messages
        self._send = send
        self.locale = locale
        self.prefix = prefix
        self.public_url = (public_url or "").rstrip("/") or None
        self.private = private
        self.home = home  # the platform's one chat, when its adapter has one (Twitch, YouTube)
        self.asks_details = asks_details  # `/entrega` takes delivery details on this platform
        self._heard: OrderedDict[str, None] = OrderedDict()
        self._told: dict[int, set[str]] = {}

    def heard(self, message: ChatMessage) -> None:
        """A command line in a public chat of this platform: announcements go there too."""
        if message.platform != self.platform or message.private:
            return
        self._heard[message.channel] = None
        self._heard.move_to_end(message.channel)
        while len(self._heard) > HEARD_KEPT:
            self._heard.popitem(last=False)

    def _channels(self, giveaway: GiveawayView) -> list[str]:
        took_part = [c for p, c in giveaway.channels if p == self.platform]
        told = sorted(self._told.get(giveaway.id, set()))
        home = self.home()
        return list(dict.fromkeys([*took_part, *told, *([home] if home else []), *self._heard]))

    async def on_changed(self, event: Event) -> None:
        if not isinstance(event, GiveawayChanged):
            return
        giveaway = event.giveaway
        if event.kind == "started":
            opened = giveaway.channels[0] if giveaway.channels else None  # where it was opened
            channels = [c for c in self._channels(giveaway) if (self.platform, c) != opened]
            self._told[giveaway.id] = set(channels)
            seconds = max(0, round((giveaway.ends_at - giveaway.started_at).total_seconds()))
            await self._say(
                giveaway,
                channels,
                "giveaway_started",
                time=f"{seconds // 60}:{seconds % 60:02d}",
                commitment=giveaway.commitment,
            )
        elif event.kind == giveaways.DRAWN:
            await self._drawn(giveaway)
        elif event.kind in (giveaways.EMPTY, giveaways.CANCELLED):
            key = "giveaway_empty" if event.kind == giveaways.EMPTY else "giveaway_cancelled"
            await self._say(giveaway, self._channels(giveaway), key, seed=giveaway.seed_hex or "")
            self._told.pop(giveaway.id, None)

    async def _drawn(self, giveaway: GiveawayView) -> None:
        winner = giveaway.winner
        if winner is None:
            return
        params = {
            "name": winner.name,
            "platform": platform_name(winner.platform),
            "count": giveaway.entries,
            "seed": giveaway.seed_hex or "",
            "id": giveaway.id,
            "check": self._check(giveaway),
        }
        for channel in self._channels(giveaway):
            mention = None
            if (winner.platform, winner.channel_id) == (self.platform, channel):
                mention = ChatUser(winner.platform, winner.user_id, winner.name)
            text = self._t(self.locale, giveaway, "giveaway_won", **params)
            await self._send(Reply(channel, text, mention=mention, priority=Priority.ANNOUNCE))
        self._told.pop(giveaway.id, None)

    def _check(self, giveaway: GiveawayView) -> str:
        """Where the entry list and the seed can be checked."""
        if self.public_url is None:
            return f"vivo giveaways show {giveaway.id}"
        return f"{self.public_url}/giveaways/{giveaway.id}"

    async def on_won(self, event: Event) -> None:
        """The winner, privately where the platform can: the prize and its order's code."""
        if not isinstance(event, GiveawayWon) or event.order.platform != self.platform:
            return
        if self.platform not in self.private:
            return  # the mention in chat is all a platform without a private channel gets
        order = event.order
        winner = ChatUser(order.platform, order.viewer.user_id, order.viewer.display_name)
        text = self._t(
            order.locale,
            event.giveaway,
            "giveaway_won_private" if self.asks_details() else "giveaway_won_private_later",
            name=order.viewer.display_name,
            code=order.code,
        )
        await self._send(
            Reply(order.channel_id, text, mention=winner, private=True, priority=Priority.PAYMENT)
        )

    def _t(self, locale: str, giveaway: GiveawayView, key: str, **params: object) -> str:
        return self.messages.t(locale, key, p=self.prefix, product=prize_name(giveaway), **params)

    async def _say(
        self, giveaway: GiveawayView, channels: Sequence[str], key: str, **params: object
    ) -> None:
        text = self._t(self.locale, giveaway, key, **params)
        for channel in channels:
            await self._send(Reply(channel, text, priority=Priority.ANNOUNCE))

"""Telling buyers what happened to their order after payment: shipped (with tracking),
ready for pickup, or the owner's text of a digital item.

What is owed comes from the store (commerce.notices), so a step taken from the CLI, the panel
or another process is told as well. Telegram and Discord have a private channel: the notice
goes there as soon as it is owed. Twitch and YouTube have none: the buyer hears it with the
answer to their next command in that chat, and a digital item's text (often a code or a
download link) is never said in public there: they are told the owner will send it. A
buyer of those platforms who gave their details in the Telegram bot's private chat (its
deep link, bots.chat.deep_links) is told there instead, privately.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from adapters.base import ChatMessage, ChatUser, Priority, Reply
from bots.chat.i18n import Messages, Verbatim
from commerce.delivery import DeliveryRules
from commerce.notices import DIGITAL, READY_FOR_PICKUP, SHIPPED, Notice
from commerce.store import Store

log = logging.getLogger(__name__)

#: Platforms whose adapters deliver a private reply privately (DM, private chat).
PRIVATE_PLATFORMS = frozenset({"telegram", "discord", "console"})

Send = Callable[[Reply], Awaitable[None]]


class BuyerNotices:
    """Finds owed notices every `interval` seconds (sooner when woken) and hands them over."""

    def __init__(
        self,
        store: Store,
        messages: Messages,
        send: Send,
        platforms: Iterable[str],
        rules: DeliveryRules,
        *,
        interval: float = 10.0,
        private: frozenset[str] = PRIVATE_PLATFORMS,
    ) -> None:
        self.store = store
        self.messages = messages
        self._send = send
        self.platforms = sorted(set(platforms))
        self.rules = rules
        self.interval = interval
        self.private = private
        self._wake = asyncio.Event()
        # Buyers on platforms without a private channel, with what they are owed.
        self.waiting: dict[tuple[str, str], list[Notice]] = {}

    def wake(self) -> None:
        """Look again now (a fulfilment step or a payment was just published)."""
        self._wake.set()

    async def on_event(self, event: object) -> None:
        from bots.runtime.events import FULFILMENT_EVENTS, OrderPaid

        if isinstance(event, (OrderPaid, *FULFILMENT_EVENTS.values())):
            self.wake()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("telling buyers about their orders failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()

    async def run_once(self) -> int:
        """Hand over what can go privately now; keep the rest for the buyer's next command.
        Returns how many notices were handed over."""
        if not self.platforms:
            return 0
        due = await asyncio.to_thread(self.store.due_notices, self.platforms)
        waiting: dict[tuple[str, str], list[Notice]] = {}
        sent = 0
        for notice in due:
            order = notice.order
            if order.platform in self.private:
                await self._deliver(notice, order.channel_id, private=True)
                sent += 1
            elif (linked := await self._linked(notice)) is not None:
                await self._deliver(notice, linked.id, private=True, to=linked)
                sent += 1
            else:
                waiting.setdefault((order.platform, order.viewer.user_id), []).append(notice)
        self.waiting = waiting
        return sent

    async def after_command(self, message: ChatMessage) -> None:
        """A buyer on a platform without a private channel spoke: tell them now, in the
        chat they spoke in, what they were owed."""
        owed = self.waiting.pop((message.platform, message.author.id), None)
        for notice in owed or ():
            await self._deliver(notice, message.channel, private=False)

    async def _linked(self, notice: Notice) -> ChatUser | None:
        """The private chat that took this order's details through a deep link, when this
        bot reaches it (a shipment or pickup: digital orders have no details to give)."""
        if notice.state == DIGITAL:
            return None
        linked = await asyncio.to_thread(self.store.delivery_linked_to, notice.order.code)
        platform, _, user_id = (linked or "").partition(":")
        if platform not in self.private or platform not in self.platforms or not user_id:
            return None
        return ChatUser(platform, user_id, notice.order.viewer.display_name)

    async def _deliver(
        self, notice: Notice, channel: str, *, private: bool, to: ChatUser | None = None
    ) -> None:
        order = notice.order
        user = to or ChatUser(order.platform, order.viewer.user_id, order.viewer.display_name)
        for text in self._texts(notice, private):
            await self._send(
                Reply(channel, text, mention=user, private=private, priority=Priority.REPLY)
            )
        await asyncio.to_thread(self.store.mark_told, order.code, notice.state)

    def _texts(self, notice: Notice, private: bool) -> list[str]:
        order = notice.order
        t = self.messages.t
        name = order.viewer.display_name
        if notice.state == SHIPPED:
            if order.tracking:
                carrier = order.carrier or ""
                return [
                    t(
                        order.locale,
                        "notice_shipped_tracking",
                        name=name,
                        code=order.code,
                        carrier=carrier,
                        tracking=Verbatim(order.tracking),
                    )
                ]
            return [t(order.locale, "notice_shipped", name=name, code=order.code)]
        if notice.state == READY_FOR_PICKUP:
            point = next((p for p in self.rules.pickup if p.id == order.delivery_option), None)
            where = (
                ", ".join(x for x in (point.name, point.address, point.hours) if x) if point else ""
            )
            return [
                t(order.locale, "notice_ready_for_pickup", name=name, code=order.code, where=where)
            ]
        assert notice.state == DIGITAL
        if not private:
            return [t(order.locale, "notice_digital_public", name=name, code=order.code)]
        return [
            t(
                order.locale,
                "notice_digital",
                name=name,
                code=order.code,
                product=product,
                text=Verbatim(text),
            )
            for product, text in notice.texts
        ]

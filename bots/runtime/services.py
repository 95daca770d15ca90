"""What a command handler may use: the store, payment links, settings and reply templates.

Handlers get one `Services` and nothing else, so a test can build the whole command layer
around a real Store and a real provider without starting any platform.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from commerce.delivery import DeliveryRules
from commerce.views import OrderView, TipView

if TYPE_CHECKING:
    from bots.chat.claims import OwnerClaims
    from bots.chat.conversations import Conversations
    from bots.chat.i18n import Messages
    from bots.runtime.events import EventBus
    from bots.runtime.metrics import Metrics
    from commerce.store import Store


@dataclass(frozen=True, slots=True)
class Settings:
    """The bot's behaviour knobs, already validated by bots.config."""

    store_name: str = "Vivo"
    currency: str = "ARS"
    locale: str = "es"
    prefix: str = "!"
    reservation_ttl: timedelta = timedelta(minutes=15)
    # One reminder this long before a hold expires (commerce.waitlist); zero: none.
    remind_before: timedelta = timedelta(minutes=5)
    cooldown_seconds: float = 2.0
    tip_min: Decimal = Decimal("100")
    tip_max: Decimal = Decimal("1000000")
    max_line_items: int = 20
    owner_ids: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuctionSettings:
    """`[auctions]`: the minimum increment (None: 5% of the base, at least one whole unit
    of the currency), how many seconds a late bid puts back on the clock, the winner's pay
    window, and how often chat hears of a new leader at most (bids between are folded)."""

    min_increment: Decimal | None = None
    extend_seconds: int = 15
    pay_minutes: int = 10
    announce_seconds: float = 3.0
    max_minutes: int = 60


#: The words that buy the spotlighted product when claim words are on, per language
#: (`[claim_words] es = [...]`). Compared folded: `MÍO`, `mio` and `mío` are one word.
CLAIM_WORDS: Mapping[str, tuple[str, ...]] = {
    "es": ("quiero", "yo", "mío", "mía", "lo quiero", "me lo llevo", "para mí"),
    "en": ("want", "i want", "i want it", "mine", "i'll take it"),
    "pt": ("quero", "eu", "eu quero", "meu", "minha", "é meu"),
}


@dataclass(frozen=True, slots=True)
class ClaimWordsSettings:
    """`[claim_words]` (bots.chat.claim_words): the words per language, whether a variant's
    value alone (`M`, `negro`) claims too, how long one viewer's repeated claim of the
    same product is ignored, and after how many hours `!palabras on` turns itself off."""

    words: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(CLAIM_WORDS))
    sizes: bool = True
    repeat_seconds: int = 15
    hours: int = 6


class PaymentLinks(Protocol):
    """Turns a reserved order or a pending tip into a payment URL.

    Returns None when the provider is unavailable right now: the link service keeps
    retrying in the background and delivers the link to the buyer itself when it comes.
    """

    async def for_order(self, order: OrderView) -> str | None: ...

    async def for_tip(self, tip: TipView) -> str | None: ...

    def shown(self, code: str, url: str | None) -> str | None:
        """The address to put in chat for a link already made (e.g. our short /p/CODE)."""
        ...


@dataclass(slots=True)
class Services:
    store: Store
    links: PaymentLinks
    settings: Settings
    messages: Messages
    bus: EventBus | None = None  # for commands that announce to the overlay (`!destacar`)
    claims: OwnerClaims | None = None  # the owner's one-time codes (`!soy-dueño`)
    metrics: Metrics | None = None  # the router counts commands here (`/metrics`)
    delivery: DeliveryRules = field(default_factory=DeliveryRules)
    # Delivery questions in progress (`/entrega`); None: details are not asked in chat.
    conversations: Conversations | None = None
    auctions: AuctionSettings = field(default_factory=AuctionSettings)  # `!subasta`
    claim_words: ClaimWordsSettings = field(default_factory=ClaimWordsSettings)  # `!palabras`
    # Signs the Telegram deep links of orders paid before their details (bots.chat.deep_links).
    link_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

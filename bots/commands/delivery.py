"""`/entrega`: the buyer's delivery details, asked in the private chat before the link.

On a platform with a private chat and buttons (Telegram), a purchase that needs shipping
or pickup does not get its payment link at once: the bot asks, privately, how to deliver
(each option with its cost, "ship with order X" when the core offers it), then the name,
the contact and, when shipping, the address, one question per message. A returning buyer
may keep their previous details with one tap. Once the Store accepts the details the
total includes shipping and the payment link follows. `/entrega` resumes (the questions
still missing are derived from the order), its "Cancel" button stops asking, and a draft
dies with its reservation.

A Twitch or YouTube buyer without a public checkout page pays first; the thank-you gives
them a Telegram deep link (bots.chat.deep_links). Opening it sends `/start <token>` here:
anyone in that public chat may have opened it, so the opener first sends the operation
number of the MercadoPago payment (their receipt's), and nothing about the order but its
code is told until they do (commerce.payer_proof). The right number ties the order to that
Telegram user (`Store.prove_delivery`) and the same questions run for it, once, until it
is on its way; after a few wrong ones the link is locked and the owner is told. Its total
is what was paid: a shipping cost chosen then is told to the buyer as owed, not charged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from adapters.base import Button, Form, FormField, Priority
from bots.chat import deep_links
from bots.chat.conversations import PICKUP_FIELDS, SHIP_FIELDS, Draft
from bots.chat.router import Command, Commands, Context, Router
from bots.chat.text import words
from bots.commands import send_link
from bots.runtime.events import DeliveryLinkLocked
from commerce.delivery import PICKUP, SHIP, DeliveryChoice, DeliveryOptions
from commerce.errors import InvalidDeliveryDetails, InvalidTransition, OrderNotFound
from commerce.payer_proof import Claim, ClaimView
from commerce.views import DeliveryDetails, OrderStatus, OrderView

CHOOSE = "elegir"
KEEP = "mantener"
CHANGE = "cambiar"
STOP = "parar"


def wanted(ctx: Context, order: OrderView) -> bool:
    """Whether this purchase's details are asked in this chat before its link."""
    conversations = ctx.services.conversations
    rules = ctx.services.delivery
    return (
        conversations is not None
        and ctx.author.platform in conversations.platforms
        and bool(rules.shipping or rules.pickup)
    )


async def after_purchase(ctx: Context, order: OrderView) -> bool:
    """Ask for (or re-apply) the delivery details of `order`; True when the link waits
    for the answers, False when it may be sent now (digital, or details re-applied)."""
    if not wanted(ctx, order):
        return False
    store, rules = ctx.services.store, ctx.services.delivery
    offered = await ctx.run(store.delivery_options, order.code, rules)
    if offered.needs == "digital" or not offered.choices:
        return False
    current = await ctx.run(store.get_order, order.code)
    if current.delivery_option and current.details_complete:
        # The cart grew after the details were given: the same choice, priced again.
        details = await ctx.run(store.delivery_details, order.code)
        if details is not None:
            try:
                await ctx.run(
                    store.set_delivery_details, order.code, rules, current.delivery_option, details
                )
                return False
            except InvalidDeliveryDetails:
                pass  # e.g. the option no longer serves: ask again
    await _ask_method(ctx, order.code, offered)
    return True


async def entrega(ctx: Context) -> None:
    """`/entrega [CODE] [elegir ID | mantener | cambiar | parar]`; buttons speak these."""
    parts = words(ctx.args)
    order = await _order(ctx, parts[0] if parts else None)
    conversations = ctx.services.conversations
    if order is None or conversations is None:
        await ctx.respond("delivery_nothing", {}, private=True)
        return
    action = parts[1].casefold() if len(parts) > 1 else ""
    platform, user = ctx.author.platform, ctx.author.id
    draft = conversations.get(platform, user)
    if draft is None or draft.code != order.code or draft.proving:
        draft = conversations.start(platform, user, order.code)
    if action == STOP:
        conversations.drop(platform, user)
        await ctx.respond("delivery_paused", {"code": order.code}, private=True)
        return
    store, rules = ctx.services.store, ctx.services.delivery
    offered = await ctx.run(store.delivery_options, order.code, rules)
    if action == CHOOSE and len(parts) > 2:
        choice = next((c for c in offered.choices if c.id == parts[2]), None)
        if choice is None:
            await _ask_method(ctx, order.code, offered)
            return
        draft.choice, draft.method, draft.answers = choice.id, choice.method, {}
        if ctx.message.form is not None:  # a Discord modal: every answer at once
            draft.answers = _from_form(ctx.message.form)
            await _save(ctx, draft, form=True)
            return
        previous = await ctx.run(store.last_details_for, platform, user)
        if previous is not None and _covers(previous, choice):
            await _offer_previous(ctx, draft, previous)
            return
        await _ask_next(ctx, draft)
        return
    if action == KEEP and draft.method:
        previous = await ctx.run(store.last_details_for, platform, user)
        if previous is not None:
            draft.answers = {f: getattr(previous, f) for f in draft.fields()}
        await _ask_next(ctx, draft)
        return
    if action == CHANGE and draft.method:
        draft.answers = {}
        await _ask_next(ctx, draft)
        return
    if draft.method:
        await _ask_next(ctx, draft)  # resume where the answers stopped
        return
    await _ask_method(ctx, order.code, offered)


async def answer(ctx: Context) -> None:
    """A private line answering the question asked last."""
    conversations = ctx.services.conversations
    assert conversations is not None
    draft = conversations.get(ctx.author.platform, ctx.author.id)
    if draft is None:
        return
    if draft.proving:
        await _prove(ctx, draft.code)
        return
    field = draft.next_field()
    if field is None:
        return
    draft.answers[field] = ctx.args
    await _ask_next(ctx, draft)


async def start(ctx: Context) -> None:
    """`/start <token>`: a buyer opened an order's deep link (Telegram's private chat).
    Anything else `/start` carries (or nothing) shows the shop."""
    payload = ctx.args.strip()
    conversations = ctx.services.conversations
    if not payload or not ctx.message.private or conversations is None:
        shop = ctx.router.get("tienda")
        if shop is not None:
            await shop.handler(ctx)
        return
    code = deep_links.read(ctx.services.link_secret, payload, datetime.now(UTC))
    if code is None:
        await ctx.respond("delivery_link_expired", {}, private=True)
        return
    try:
        claim = await ctx.run(ctx.services.store.delivery_claim, code, _who(ctx))
    except OrderNotFound:
        claim = ClaimView(Claim.TAKEN)
    if claim.state is Claim.OPEN:  # prove it first: the link was posted in public chat
        conversations.start(ctx.author.platform, ctx.author.id, code).proving = True
        await _ask_proof(ctx, code)
        return
    await _claimed(ctx, code, claim)


async def _ask_proof(ctx: Context, code: str) -> None:
    where = ctx.t("delivery_proof_where")
    await ctx.respond("delivery_proof_ask", {"code": code, "where": where}, private=True)


async def _prove(ctx: Context, code: str) -> None:
    """A private line answering "your payment's operation number?" for order `code`."""
    try:
        claim = await ctx.run(ctx.services.store.prove_delivery, code, _who(ctx), ctx.args)
    except OrderNotFound:
        claim = ClaimView(Claim.TAKEN)
    if claim.state is Claim.BLANK:
        await _ask_proof(ctx, code)
    elif claim.state is Claim.WRONG and claim.left:
        await ctx.respond("delivery_proof_wrong", {"code": code, "left": claim.left}, private=True)
    elif claim.state is Claim.WRONG:  # that was the last try: locked now
        await _claimed(ctx, code, ClaimView(Claim.LOCKED))
        bus = ctx.services.bus
        if bus is not None:
            order = await ctx.run(ctx.services.store.get_order, code)
            await bus.publish(DeliveryLinkLocked(order))
    else:
        await _claimed(ctx, code, claim)


async def _claimed(ctx: Context, code: str, claim: ClaimView) -> None:
    """Go on after the proof (MINE: the delivery questions), or say why not."""
    conversations = ctx.services.conversations
    assert conversations is not None
    draft = conversations.get(ctx.author.platform, ctx.author.id)
    if draft is not None and draft.code == code:
        conversations.drop(ctx.author.platform, ctx.author.id)
    if claim.state is Claim.LOCKED:
        await ctx.respond("delivery_proof_locked", {"code": code}, private=True)
        return
    if claim.state is not Claim.MINE:
        await ctx.respond("delivery_link_used", {}, private=True)
        return
    await ctx.respond(
        "delivery_link_welcome", {"name": ctx.author.name, "code": code}, private=True
    )
    conversations.start(ctx.author.platform, ctx.author.id, code)
    offered = await ctx.run(ctx.services.store.delivery_options, code, ctx.services.delivery)
    await _ask_method(ctx, code, offered)


def _who(ctx: Context) -> str:
    return f"{ctx.author.platform}:{ctx.author.id}"


async def _open(ctx: Context, order: OrderView) -> bool:
    """Whether `order` still takes delivery details: pending, a giveaway's prize (paid at
    no price, commerce.giveaways), or a paid order still lacking them (a deep link's),
    before it is on its way."""
    if order.status is OrderStatus.PENDING:
        return True
    if order.status is not OrderStatus.PAID:
        return False
    if not order.details_complete and order.fulfilment in ("ready_to_ship", "preparing"):
        return True
    if order.total.amount != 0:
        return False
    return await ctx.run(ctx.services.store.giveaway_prize, order.code) is not None


async def _order(ctx: Context, code: str | None) -> OrderView | None:
    """The author's pending order (or prize) `code`, or their latest pending one; also an
    order whose deep link the author opened (`start`)."""
    store = ctx.services.store
    if code is not None:
        try:
            order = await ctx.run(store.get_order, code)
        except OrderNotFound:
            return None
        mine = (order.viewer.platform, order.viewer.user_id) == (ctx.author.platform, ctx.author.id)
        if not mine and order.status is OrderStatus.PAID:
            mine = await ctx.run(store.delivery_linked_to, code) == _who(ctx)
        return order if mine and await _open(ctx, order) else None
    orders = await ctx.run(store.viewer_orders, ctx.author.platform, ctx.author.id, limit=20)
    pending = [o for o in orders if o.status is OrderStatus.PENDING]
    return max(pending, key=lambda o: o.created_at, default=None)


def _covers(previous: DeliveryDetails, choice: DeliveryChoice) -> bool:
    """Whether the previous details answer every question this choice asks."""
    needed: tuple[str, ...] = SHIP_FIELDS
    if choice.method == PICKUP or choice.ship_with is not None:
        needed = PICKUP_FIELDS
    return all(getattr(previous, f) for f in needed)


def _cost(ctx: Context, choice: DeliveryChoice) -> str:
    if not choice.cost.amount:
        return ctx.t("delivery_free")
    return ctx.services.messages.money(choice.cost, ctx.locale)


def _label(ctx: Context, choice: DeliveryChoice) -> str:
    if choice.ship_with is not None:
        return ctx.t("delivery_option_with", code=choice.ship_with)
    if choice.method == SHIP:
        return ctx.t("delivery_option_ship", option=choice.name, cost=_cost(ctx, choice))
    return ctx.t("delivery_option_pickup", option=choice.name, address=choice.address)


#: A form's boxes per method (a Discord modal holds five: city and province share one).
_FORM_SHIP = ("name", "contact", "street", "place", "postal_code")
_FORM_SHORT = ("name", "contact")


def _from_form(form: Mapping[str, str]) -> dict[str, str]:
    """A form's answers as DeliveryDetails fields: "Córdoba, Córdoba" is city, province."""
    answers = {k: v.strip() for k, v in form.items() if k != "place"}
    city, comma, province = form.get("place", "").rpartition(",")
    if not comma:
        city, province = province, ""
    answers["city"], answers["province"] = city.strip(), province.strip()
    return answers


def _form(ctx: Context, code: str, choice: DeliveryChoice, known: Mapping[str, str]) -> Form:
    boxes = _FORM_SHORT if choice.method == PICKUP or choice.ship_with else _FORM_SHIP
    place = ", ".join(p for p in (known.get("city", ""), known.get("province", "")) if p)
    values = {**known, "place": place}
    return Form(
        ctx.t("delivery_form_title", code=code),
        tuple(
            FormField(
                box,
                ctx.t(f"delivery_form_{box}"),
                values.get(box, ""),
                max_length=20 if box == "postal_code" else 200,
            )
            for box in boxes
        ),
    )


def _stop_button(ctx: Context, code: str) -> Button:
    return Button(ctx.t("delivery_button_stop"), f"/entrega {code} {STOP}")


async def _ask_method(
    ctx: Context, code: str, offered: DeliveryOptions, typed: Mapping[str, str] | None = None
) -> None:
    """The delivery options as buttons; each also carries the form a modal shows (pre-
    filled with what the buyer typed last time, or just now)."""
    known: dict[str, str] = {}
    store = ctx.services.store
    previous = await ctx.run(store.last_details_for, ctx.author.platform, ctx.author.id)
    if previous is not None:
        known = {f: getattr(previous, f) for f in SHIP_FIELDS}
    known.update({k: v for k, v in (typed or {}).items() if v})
    buttons = tuple(
        Button(
            _label(ctx, c),
            f"/entrega {code} {CHOOSE} {c.id}",
            form=_form(ctx, code, c, known),
        )
        for c in offered.choices
    )
    pickup = [c for c in offered.choices if c.method == PICKUP and c.hours]
    hours = " ".join(ctx.t("delivery_pickup_hours", option=c.name, hours=c.hours) for c in pickup)
    await ctx.respond(
        "delivery_choose",
        {"code": code, "hours": hours},
        private=True,
        priority=Priority.PAYMENT,
        buttons=(*buttons, _stop_button(ctx, code)),
    )


async def _offer_previous(ctx: Context, draft: Draft, previous: DeliveryDetails) -> None:
    shown = [previous.name, previous.contact]
    if draft.method == SHIP and not draft.choice.startswith("with:"):
        shown += [previous.street, previous.city, previous.province, previous.postal_code]
    await ctx.respond(
        "delivery_keep_previous",
        {"details": ", ".join(p for p in shown if p)},
        private=True,
        priority=Priority.PAYMENT,
        buttons=(
            Button(ctx.t("delivery_button_keep"), f"/entrega {draft.code} {KEEP}"),
            Button(ctx.t("delivery_button_change"), f"/entrega {draft.code} {CHANGE}"),
            _stop_button(ctx, draft.code),
        ),
    )


async def _ask_next(ctx: Context, draft: Draft) -> None:
    """The next question, or (all answered) save the details and send the link."""
    field = draft.next_field()
    if draft.choice.startswith("with:") and field in ("street", "city", "province", "postal_code"):
        field = None  # the parcel goes where the earlier order's goes
    if field is not None:
        await ctx.respond(
            f"delivery_ask_{field}",
            {"code": draft.code},
            private=True,
            priority=Priority.PAYMENT,
            buttons=(_stop_button(ctx, draft.code),),
        )
        return
    await _save(ctx, draft)


async def _save(ctx: Context, draft: Draft, *, form: bool = False) -> None:
    services = ctx.services
    conversations = services.conversations
    assert conversations is not None
    details = DeliveryDetails(**{f: draft.answers.get(f, "") for f in draft.fields()})
    before = await ctx.run(services.store.get_order, draft.code)
    chosen: DeliveryChoice | None = None
    if before.status is OrderStatus.PAID:  # paid already: what the choice costs, to tell
        offered = await ctx.run(
            services.store.delivery_options, draft.code, services.delivery, details.province or None
        )
        chosen = next((c for c in offered.choices if c.id == draft.choice), None)
    try:
        await ctx.run(
            services.store.set_delivery_details,
            draft.code,
            services.delivery,
            draft.choice,
            details,
        )
    except InvalidDeliveryDetails as error:
        if form or error.field == "method":
            # A form is shown again whole (pre-filled with what was typed); chat asks on.
            typed = dict(draft.answers) if form else {}
            draft.method, draft.choice = "", ""
            offered = await ctx.run(services.store.delivery_options, draft.code, services.delivery)
            await ctx.respond(
                "error_invalid_delivery",
                {"field": ctx.t(f"delivery_field_{error.field}")},
                private=True,
            )
            await _ask_method(ctx, draft.code, offered, typed)
            return
        draft.answers.pop(error.field, None)
        await ctx.respond(
            "error_invalid_delivery",
            {"field": ctx.t(f"delivery_field_{error.field}")},
            private=True,
        )
        await _ask_next(ctx, draft)
        return
    except InvalidTransition as error:
        conversations.drop(ctx.author.platform, ctx.author.id)
        status = ctx.t(f"status_{error.current}")
        await ctx.respond("delivery_too_late", {"code": draft.code, "status": status}, private=True)
        return
    conversations.drop(ctx.author.platform, ctx.author.id)
    order = await ctx.run(services.store.get_order, draft.code)
    if order.status is OrderStatus.PAID and order.total.amount == 0:  # a giveaway's prize
        await ctx.respond("delivery_saved_prize", {"code": order.code}, private=True)
        return
    if order.status is OrderStatus.PAID:  # paid before its details (a deep link's)
        owed = ""
        if chosen is not None and chosen.cost.amount:
            cost = services.messages.money(chosen.cost, ctx.locale)
            owed = ctx.t("delivery_shipping_owed", cost=cost)
        option = _label(ctx, chosen) if chosen is not None else draft.choice
        await ctx.respond(
            "delivery_saved_paid",
            {"code": order.code, "option": option, "shipping": owed},
            private=True,
        )
        return
    await ctx.respond(
        "delivery_saved",
        {
            "code": order.code,
            "total": services.messages.money(order.total, ctx.locale),
            "shipping": services.messages.money(order.shipping, ctx.locale)
            if order.shipping is not None
            else ctx.t("delivery_free"),
        },
        private=True,
        priority=Priority.PAYMENT,
    )
    left = max(order.expires_at - datetime.now(UTC), timedelta(0))
    url = await services.links.for_order(order)
    await send_link(ctx, url, order.code, left)


def register(registry: Commands) -> None:
    registry.add(Command(names={"entrega": None, "delivery": "en"}, handler=entrega))
    registry.add(Command(names={"start": None}, handler=start))


def answer_in(router: Router) -> None:
    """Lines without a prefix answer the question `/entrega` asked, in `router`."""
    router.answer_command = router.get("entrega")
    router.on_answer = answer

"""Who opens a paid order's Telegram deep link must prove they paid it (commerce.payer_proof).

The link is posted in public chat: opening it gives nothing. Only the operation number of
the payment that paid the order (MercadoPago's payment id, on the payer's receipt) ties the
order to a private chat; wrong answers, from anyone, lock the link after TRIES.
"""

from __future__ import annotations

from delivery_helpers import HOME, RULES, pay
from store_helpers import BETO, buy

from commerce.payer_proof import TRIES, Claim, ClaimView
from commerce.store import Store

OPERATION = "1318765432"  # a MercadoPago payment id: digits, as on the receipt


def test_only_the_payments_operation_number_ties_the_order_to_a_chat(shop: Store) -> None:
    order = buy(shop)
    assert shop.delivery_claim(order.code, "telegram:1").state is Claim.TAKEN  # not paid yet
    pay(shop, order.code, OPERATION, payer_name="Ana Pérez", payer_email="ana@mail.com")
    assert shop.delivery_claim(order.code, "telegram:1") == ClaimView(Claim.OPEN, TRIES)

    # Opening the link, chatter and the payer's email prove nothing and cost no try.
    assert shop.prove_delivery(order.code, "telegram:1", "hola") == ClaimView(Claim.BLANK, TRIES)
    assert shop.prove_delivery(order.code, "telegram:1", "ana@mail.com").state is Claim.BLANK
    assert shop.prove_delivery(order.code, "telegram:1", "1318765433") == ClaimView(
        Claim.WRONG, TRIES - 1
    )
    assert shop.delivery_linked_to(order.code) is None

    # The payer, typing it as the receipt shows it: theirs from now on, and nobody else's.
    assert shop.prove_delivery(order.code, "telegram:2", "Nº 1318 765 432").state is Claim.MINE
    assert shop.delivery_linked_to(order.code) == "telegram:2"
    assert shop.delivery_claim(order.code, "telegram:2").state is Claim.MINE
    assert shop.delivery_claim(order.code, "telegram:1").state is Claim.TAKEN
    assert shop.prove_delivery(order.code, "telegram:1", OPERATION).state is Claim.TAKEN
    assert shop.delivery_linked_to(order.code) == "telegram:2"

    shop.set_delivery_details(order.code, RULES, "local", HOME)
    assert shop.delivery_claim(order.code, "telegram:2").state is Claim.TAKEN  # details given


def test_wrong_answers_from_anyone_lock_the_link_and_the_owner_still_completes_it(
    shop: Store,
) -> None:
    order = buy(shop)
    pay(shop, order.code, OPERATION)  # no payer named: the first answer makes the row
    for tried in range(1, TRIES):
        who = f"telegram:{tried}"
        assert shop.prove_delivery(order.code, who, str(tried)) == ClaimView(
            Claim.WRONG, TRIES - tried
        )
    assert shop.prove_delivery(order.code, "telegram:9", "7") == ClaimView(Claim.WRONG, 0)
    assert shop.prove_delivery(order.code, "telegram:9", OPERATION).state is Claim.LOCKED
    assert shop.delivery_claim(order.code, "telegram:10").state is Claim.LOCKED
    assert shop.delivery_linked_to(order.code) is None
    assert not shop.get_order(order.code).details_complete

    done = shop.set_delivery_details(order.code, RULES, "correo", HOME)  # from the panel
    assert done.details_complete and shop.delivery_details(order.code) is not None


def test_another_providers_id_reads_in_any_case_and_the_count_is_per_order(shop: Store) -> None:
    first, second = buy(shop), buy(shop, viewer=BETO)
    pay(shop, first.code, "pay-A1")
    pay(shop, second.code, "pay-B2", minutes=2)
    assert shop.prove_delivery(first.code, "telegram:1", "pay-B2").state is Claim.WRONG
    assert shop.delivery_claim(second.code, "telegram:1") == ClaimView(Claim.OPEN, TRIES)
    assert shop.prove_delivery(first.code, "telegram:1", " PAY a1 ").state is Claim.MINE

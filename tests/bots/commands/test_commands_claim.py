"""`!soy-dueño CODE`: an owner becomes one by typing the code `vivo run` printed, no user id."""

from __future__ import annotations

from typing import Any

import pytest
from chat_helpers import OTHER, OWNER, PLATFORM, VIEWER, Chat, Clock, Links, with_locale

from adapters.base import ChatUser
from bots.chat.claims import (
    MAX_WRONG_PER_ACCOUNT,
    MAX_WRONG_PER_PLATFORM,
    TTL_SECONDS,
    WINDOW_SECONDS,
    OwnerClaims,
    startup_lines,
)
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.services import Services, Settings


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


@pytest.fixture
def claims(clock: Clock) -> OwnerClaims:
    return OwnerClaims(clock=clock)


@pytest.fixture
def code(claims: OwnerClaims) -> str:
    return claims.issue([PLATFORM, "discord"])[PLATFORM]


def _router(
    store: Any, links: Links, settings: Settings, clock: Clock, claims: OwnerClaims
) -> Router:
    services = Services(
        store=store, links=links, settings=settings, messages=Messages(), claims=claims
    )
    return Router(services, clock=clock)


@pytest.fixture
def chat(store: Any, links: Links, settings: Settings, clock: Clock, claims: OwnerClaims) -> Chat:
    return Chat(_router(store, links, settings, clock, claims), clock)


async def test_the_code_makes_the_viewer_an_owner_here_and_in_the_store(
    chat: Chat, store: Any, code: str
) -> None:
    assert await chat.say("!stock taza 5") == t("es", "not_allowed", command="stock")
    assert await chat.say(f"!soy-dueño {code}") == t(
        "es", "claim_done", name=VIEWER.name, platform="Test"
    )
    assert await chat.say("!stock taza 5") == t("es", "stock_set", product="Taza", stock=5)
    assert [(o.platform, o.user_id, o.display_name) for o in store.list_owners()] == [
        (PLATFORM, VIEWER.id, VIEWER.name)
    ]
    assert await chat.say(f"!soy-dueño {code}") == t("es", "claim_already", platform="Test")


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("!sou-dono {}", "pt"),
        ("!i-am-owner {}", "en"),
        ("!claim {}", "en"),
        ("!soy_dueño {}", "es"),
    ],
)
async def test_each_language_has_its_alias_and_answer(
    chat: Chat, code: str, text: str, locale: str
) -> None:
    typed = code.lower().replace("-", " ")  # as a phone might send it
    reply = await chat.say(text.format(typed), with_locale(VIEWER, None))
    assert reply == t(locale, "claim_done", name=VIEWER.name, platform="Test")


async def test_a_code_works_once_per_platform(chat: Chat, store: Any, code: str) -> None:
    await chat.say(f"!soy-dueño {code}")
    assert await chat.say(f"!soy-dueño {code}", OTHER) == t("es", "claim_bad_code")
    assert [o.user_id for o in store.list_owners()] == [VIEWER.id]


async def test_another_platforms_code_is_no_use_here(
    chat: Chat, store: Any, claims: OwnerClaims
) -> None:
    codes = claims.issue([PLATFORM, "discord"])
    assert await chat.say(f"!soy-dueño {codes['discord']}") == t("es", "claim_bad_code")
    assert store.list_owners() == []


async def test_the_code_expires(chat: Chat, store: Any, code: str, clock: Clock) -> None:
    clock.advance(TTL_SECONDS)
    assert await chat.say(f"!soy-dueño {code}") == t("es", "claim_bad_code")
    assert store.list_owners() == []


async def test_no_code_or_no_claims_explains_the_usage(chat: Chat) -> None:
    assert await chat.say("!soy-dueño") == t("es", "claim_usage")


async def test_an_owner_from_config_is_told_so(chat: Chat, store: Any, code: str) -> None:
    assert await chat.say(f"!soy-dueño {code}", OWNER) == t("es", "claim_already", platform="Test")
    assert store.list_owners() == []


def _wrong(i: int) -> str:
    return f"WRNG-{i:04d}"


async def test_wrong_guesses_lock_the_account_even_for_the_right_code(
    chat: Chat, store: Any, code: str, clock: Clock
) -> None:
    for i in range(MAX_WRONG_PER_ACCOUNT):
        assert await chat.say(f"!soy-dueño {_wrong(i)}", wait=3) == t("es", "claim_bad_code")
    locked = await chat.say(f"!soy-dueño {code}", wait=3)
    assert locked.startswith("Demasiados intentos") and store.list_owners() == []
    # Another account is not locked out by this one's guesses.
    assert await chat.say(f"!soy-dueño {code}", OTHER, wait=3) == t(
        "es", "claim_done", name=OTHER.name, platform="Test"
    )


async def test_many_accounts_together_are_limited_too(
    chat: Chat, store: Any, code: str, clock: Clock
) -> None:
    """Brute force from many accounts: the platform as a whole gets only so many guesses."""
    for i in range(MAX_WRONG_PER_PLATFORM):
        guesser = ChatUser(PLATFORM, f"bot{i}", f"bot{i}")
        assert await chat.say(f"!soy-dueño {_wrong(i)}", guesser, wait=1) == t(
            "es", "claim_bad_code"
        )
    assert await chat.say(f"!soy-dueño {code}", wait=1) == t("es", "claim_locked", minutes=10)
    assert store.list_owners() == []
    clock.advance(WINDOW_SECONDS)  # the window passes: the owner gets in
    assert await chat.say(f"!soy-dueño {code}") == t(
        "es", "claim_done", name=VIEWER.name, platform="Test"
    )


async def test_a_claimed_owner_is_honoured_after_a_restart(
    chat: Chat, store: Any, links: Links, settings: Settings, clock: Clock, code: str
) -> None:
    await chat.say(f"!soy-dueño {code}")
    restarted = Chat(_router(store, links, settings, clock, OwnerClaims(clock=clock)), clock)
    assert await restarted.say("!abrir") == t("es", "store_opened")


async def test_an_owner_added_by_another_process_is_seen_soon(chat: Chat, store: Any) -> None:
    assert await chat.say("!abrir") == t("es", "not_allowed", command="abrir")
    store.add_owner(PLATFORM, VIEWER.id, VIEWER.name)  # `vivo run` elsewhere, same database
    assert await chat.say("!abrir") == t("es", "store_opened")  # 60 s later (> refresh)


def test_start_up_prints_a_code_per_platform(claims: OwnerClaims) -> None:
    text = startup_lines(claims, ["telegram", "discord"])
    codes = [line.split()[-1] for line in text.splitlines()[1:]]
    assert len(codes) == 2 and codes[0] != codes[1]
    assert all(len(c) == 9 and c[4] == "-" for c in codes)
    assert "!soy-dueño" in text and startup_lines(claims, []) == ""

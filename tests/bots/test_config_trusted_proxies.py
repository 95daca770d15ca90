"""`[web] trusted_proxies`: whose forwarded headers the buy page believes."""

from __future__ import annotations

import pytest

from bots.config import ConfigError, parse_config

ENV = {"MP_ACCESS_TOKEN": "TEST-token"}
BASE = {"payments": {"mercadopago": {"access_token": "env:MP_ACCESS_TOKEN"}}}


def test_default_is_this_machine_and_networks_are_accepted() -> None:
    assert parse_config(BASE, ENV).web.trusted_proxies == ("127.0.0.1", "::1")
    raw = {**BASE, "web": {"trusted_proxies": ["10.0.0.0/8", " 192.0.2.1 "]}}
    assert parse_config(raw, ENV).web.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    assert parse_config({**BASE, "web": {"trusted_proxies": []}}, ENV).web.trusted_proxies == ()


@pytest.mark.parametrize("value", ["127.0.0.1", ["localhost"], [1]])
def test_a_bad_entry_names_the_key_and_the_fix(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, "web": {"trusted_proxies": value}}, ENV)
    [problem] = info.value.problems
    assert problem.key == "web.trusted_proxies" and "trusted_proxies = [" in problem.fix

"""`[[coupons]]` in config.toml: read into CouponSpecs, each problem named by its key."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bots.config import ConfigError, load_config, parse_config
from commerce.coupons import CouponSpec

BASE = {"payments": {"mercadopago": {"access_token": "TEST-x"}}}


def _problems(*coupons: Any) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "coupons": list(coupons)}, {})
    return {p.key: str(p) for p in caught.value.problems}


def test_coupons_are_read_with_their_limits() -> None:
    config = parse_config(
        {
            **BASE,
            "coupons": [
                {"code": "vivo10", "percent": 10, "min_total": "10000", "max_uses": 5,
                 "live_only": True, "expires": "2026-12-24T23:59:00-03:00"},
                {"code": "MENOS1000", "amount": "1000", "once_per_viewer": False},
            ],
        },
        {},
    )  # fmt: skip
    vivo, menos = config.coupons
    assert vivo.code == "VIVO10" and vivo.kind == "percent" and vivo.percent == 10
    assert vivo.min_total == Decimal(10000) and vivo.max_uses == 5 and vivo.live_only
    assert vivo.expires_at == datetime(2026, 12, 25, 2, 59, tzinfo=UTC)
    assert menos == CouponSpec(
        "MENOS1000", "amount", "ARS", amount=Decimal(1000), once_per_viewer=False
    )


@pytest.mark.parametrize(
    ("coupon", "key", "words"),
    [
        ({"percent": 10}, "coupons[0].code", "is missing"),
        ({"code": "A B", "percent": 10}, "coupons[0].code", "is not a code"),
        ({"code": "X10"}, "coupons[X10]", "percent or amount"),
        ({"code": "X10", "percent": 10, "amount": "5"}, "coupons[X10]", "percent or amount"),
        ({"code": "X10", "percent": 150}, "coupons[X10].percent", "1..100"),
        ({"code": "X10", "amount": 10.5}, "coupons[X10].amount", "float"),
        ({"code": "X10", "percent": 5, "max_uses": -1}, "coupons[X10].max_uses", ">= 0"),
        ({"code": "X10", "percent": 5, "expires": "mañana"}, "coupons[X10].expires", "offset"),
        ({"code": "X10", "percent": 5, "percnt": 3}, "coupons[X10].percnt", "not a coupon key"),
        ({"code": "X10", "percent": 5, "live_only": "si"}, "coupons[X10].live_only", "true"),
    ],
)
def test_each_mistake_names_its_key(coupon: dict[str, Any], key: str, words: str) -> None:
    problems = _problems(coupon)
    assert key in problems, problems
    assert words in problems[key]


def test_a_code_twice_is_a_problem() -> None:
    problems = _problems({"code": "X10", "percent": 5}, {"code": "x10", "amount": "100"})
    assert "used twice" in problems["coupons[X10].code"]


def test_the_example_config_has_coupons() -> None:
    path = Path(__file__).parents[2] / "config.example.toml"
    config = load_config(path, env={"MP_ACCESS_TOKEN": "TEST-x"})
    assert {c.code for c in config.coupons} == {"VIVO10", "MENOS1000"}

"""The alert settings document: defaults out of the box, a round trip, what falls back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bots.web import alert_config
from bots.web.alert_config import AlertConfigError, AlertSettings, AlertStyle, Variation


def test_nothing_saved_means_working_defaults_for_every_type() -> None:
    settings, problems = alert_config.parse(None)
    assert problems == []
    for kind in alert_config.KINDS:
        style = settings.style(kind)
        assert style.sound.startswith("/overlay/sounds/") and style.duration > 0
    assert settings.read_aloud.enabled is False  # off until the owner turns it on
    sounds = {settings.style(k).sound for k in alert_config.KINDS}
    assert len(sounds) == 4  # each type sounds different


def test_a_saved_document_reads_back_the_same() -> None:
    style = AlertStyle(
        template="{buyer} · {amount}",
        volume=30,
        enter="zoom",
        variations=(Variation(Decimal("10000"), "¡{buyer}!", "", "/overlay/sounds/fanfare.wav"),),
    )
    settings = AlertSettings().with_style("tip", style)
    again, problems = alert_config.parse(settings.to_json())
    assert problems == [] and again == settings


def test_a_bad_value_falls_back_alone_and_is_named() -> None:
    doc = json.loads(AlertSettings().to_json())
    doc["styles"]["sale"].update(volume=900, enter="explode", template="hola {buyer}")
    doc["styles"]["tip"]["variations"] = [{"minimum": "abc"}, {"minimum": "50"}]
    settings, problems = alert_config.parse(json.dumps(doc))
    assert sorted(problems) == ["alerts.sale.enter", "alerts.sale.volume", "alerts.tip.variations"]
    assert settings.style("sale").template == "hola {buyer}"
    assert settings.style("sale").volume == 70
    assert [v.minimum for v in settings.style("tip").variations] == [Decimal(50)]
    assert alert_config.parse("{not json")[1] == ["alerts: not JSON"]


def test_the_biggest_variation_reached_wins() -> None:
    style = AlertStyle(
        variations=(
            Variation(Decimal(5000), "five"),
            Variation(Decimal(20000), "twenty"),
            Variation(Decimal(10000), "ten"),
        )
    )
    assert style.pick(Decimal(4999)) == (None, None)
    assert style.pick(Decimal(10000))[1] == Variation(Decimal(10000), "ten")
    index, chosen = style.pick(Decimal(1_000_000))
    assert (index, chosen and chosen.template) == (1, "twenty")


@pytest.mark.parametrize(
    ("check", "value", "key"),
    [
        (alert_config.template, "{who} compró", "alert_placeholder"),
        (alert_config.image, "javascript:alert(1)", "alert_image"),
        (alert_config.image, "http://plain.example/a.gif", "alert_image"),
        (alert_config.sound, "https://elsewhere.example/a.mp3", "alert_sound"),
        (alert_config.sound, "/overlay/sounds/../../app.py", "alert_sound"),
        (alert_config.css, "</style><script>", "alert_css"),
        (alert_config.volume, "101", "alert_volume"),
        (alert_config.duration, "1", "alert_duration"),
    ],
)
def test_values_the_panel_refuses(check: object, value: str, key: str) -> None:
    with pytest.raises(AlertConfigError) as refused:
        check(value)  # type: ignore[operator]
    assert refused.value.key == key


def test_placeholders_are_filled_once_and_unknown_ones_stay() -> None:
    values = {"buyer": "{amount}", "amount": "$ 10"}
    assert alert_config.fill("{buyer} dejó {amount} {x}", values) == "{amount} dejó $ 10 {x}"

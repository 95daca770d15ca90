"""`vivo plugins list` on the real executable, with the example plugin installed."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import owner_config, vivo


def test_plugins_list_shows_the_example_plugin_and_what_it_adds(tmp_path: Path) -> None:
    ran = vivo(tmp_path, "plugins", "list")
    assert ran.code == 0, ran.err
    assert "vivo_envios 0.1.0 (vivo-envios): not enabled (no config.toml)" in ran.out

    config = owner_config(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[plugins]\nenabled = ["vivo_envios", "vivo_kick"]\n\n'
        + '[plugins.vivo_envios]\nrates = { "1" = 2500 }\n',
        encoding="utf-8",
    )
    ran = vivo(tmp_path, "plugins", "list")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert "vivo_envios 0.1.0 (vivo-envios): enabled" in lines
    assert "  commands:  !envio, !shipping, !frete" in lines
    assert "  listeners: OrderPaid → paid" in lines
    assert "  adapters:  -" in lines and "  providers: -" in lines
    assert any(line.startswith("vivo_kick: enabled") and "not installed" in line for line in lines)

    checked = vivo(tmp_path, "check")
    assert checked.code == 2
    assert "plugins.enabled" in checked.err and "pip install vivo-kick" in checked.err

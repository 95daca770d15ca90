"""`vivo panel`: a one-time sign-in link for the owner, an invitation for a helper, and
signing every browser out."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from cli_helpers import owner_config, vivo

from bots.cli.main import main
from commerce.sessions import PanelRole
from commerce.store import Store
from tests.bots.runtime.test_demo import demo_store, run_demo

ENV = {"MP_ACCESS_TOKEN": "TEST-cli", "MP_WEBHOOK_SECRET": "cli-secret"}
LINK = re.compile(r"^http://127\.0\.0\.1:8080/panel/entrar\?t=([\w-]{40,})$", re.M)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["init"]) == 0
    return tmp_path


def link(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(["panel", *argv]) == 0
    found = LINK.search(capsys.readouterr().out)
    assert found is not None
    return found.group(1)


def test_panel_prints_a_link_that_signs_the_owner_in_once(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = link(capsys)
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    try:
        signed = store.panel_sign_in(token, timedelta(days=1))
        assert signed is not None and signed[1].role is PanelRole.OWNER
        assert store.panel_sign_in(token, timedelta(days=1)) is None
    finally:
        store.close()


def test_invite_staff_and_log_everyone_out(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = link(capsys, "invite", "--staff")
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    try:
        signed = store.panel_sign_in(token, timedelta(days=1))
        assert signed is not None and signed[1].role is PanelRole.STAFF
        unused = link(capsys)
        assert main(["panel", "logout", "--all"]) == 0
        assert "signed out 1 browser(s)" in capsys.readouterr().out
        assert store.panel_session(signed[0]) is None
        assert store.panel_sign_in(unused, timedelta(days=1)) is None
    finally:
        store.close()


def test_vivo_run_prints_a_sign_in_link_for_its_own_address(tmp_path: Path) -> None:
    owner_config(tmp_path)
    ran = vivo(tmp_path, "run")
    assert ran.code == 0, ran.err
    found = re.search(r"Panel sign-in link \(one use\): (http://127\.0\.0\.1:(\d+)/\S+)", ran.err)
    assert found is not None, ran.err
    web = re.search(r"Web app: +http://127\.0\.0\.1:(\d+)", ran.err)
    assert web is not None and web.group(1) == found.group(2)


def test_vivo_demo_prints_a_working_sign_in_link() -> None:
    _, err = run_demo(["!tienda"])
    found = re.search(r"Owner's panel \(one-use sign-in link\): (\S+)/panel/entrar\?t=(\S+)", err)
    assert found is not None, err
    store = demo_store(err)
    try:
        signed = store.panel_sign_in(found.group(2), timedelta(days=1))
        assert signed is not None and signed[1].role is PanelRole.OWNER
    finally:
        store.close()

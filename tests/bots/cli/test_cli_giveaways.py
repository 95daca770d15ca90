"""`vivo giveaways show <id>`, through the real executable: the commitment, the seed, the
entry list as hashed and the winner recomputed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from commerce.store import Store
from commerce.views import ProductSpec, ViewerRef

ENV = {"MP_ACCESS_TOKEN": "TEST-cli", "MP_WEBHOOK_SECRET": "cli-secret"}


def vivo(workdir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bots.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=workdir,
        env={**os.environ, **ENV},
    )


def test_show_recomputes_the_winner(tmp_path: Path) -> None:
    assert vivo(tmp_path, "init").returncode == 0
    assert vivo(tmp_path, "db", "upgrade").returncode == 0
    store = Store(f"sqlite:///{tmp_path / 'vivo.db'}")
    try:
        store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=5)])
        shown = store.giveaway_start(
            "TAZA", None, timedelta(minutes=5), platform="twitch", channel_id="c"
        )
        missing = vivo(tmp_path, "giveaways", "show", str(shown.id + 1))
        assert missing.returncode == 1 and "no giveaway" in missing.stderr
        store.giveaway_enter(ViewerRef("twitch", "41", "ana"), "c")
        store.giveaway_enter(ViewerRef("telegram", "1002", "beto"), "c")
        before = vivo(tmp_path, "giveaways", "show", str(shown.id))
        assert before.returncode == 0 and "secret until the draw" in before.stdout
        drawn = store.giveaway_draw().changed[0]
    finally:
        store.close()
    shown_out = vivo(tmp_path, "giveaways", "verify", str(shown.id))
    assert shown_out.returncode == 0, shown_out.stderr
    out = shown_out.stdout
    assert shown.commitment in out and f"{drawn.seed_hex}  (matches the commitment)" in out
    assert "twitch:41" in out and "telegram:1002" in out
    assert drawn.winner is not None
    assert f"{drawn.winner.platform}:{drawn.winner.user_id} ({drawn.winner.name})" in out
    assert "the recorded winner" in out

"""The README's sample conversation, produced by the demo itself so it cannot drift.

`python -m scripts.readme_demo` runs `vivo demo` with SCRIPT on stdin and writes what the
console printed between the README's markers; tests/bots/test_readme.py fails when the
README and the bot disagree. Ports, the order code and a deep link's signature change
every run, so they are replaced by fixed stand-ins before comparing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- demo:start (python -m scripts.readme_demo rewrites this block) -->"
END = "<!-- demo:end -->"
SCRIPT = ["!tienda", "!comprar remera M", "/pagar"]
SAMPLE_CODE = "K7Q2M9XPZA"
SAMPLE_LINK = "_tpmlv2_pnxFinIlw0fXyYsg"


def transcript(timeout: float = 90) -> str:
    """What the demo's console prints for SCRIPT, with run-specific details made stable."""
    proc = subprocess.run(
        [sys.executable, "-m", "bots.cli", "demo"],
        input="\n".join(SCRIPT) + "\n",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=True,
    )
    text = proc.stdout
    for code in set(re.findall(r"\b[Pp]edido ([A-Z0-9]{10})\b", text)):
        text = text.replace(code, SAMPLE_CODE)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:8080", text)
    # A Telegram deep link carries its expiry and signature (bots.chat.deep_links).
    text = re.sub(r"(\?start=[A-Z0-9]{10})_[0-9a-z]+_[A-Za-z0-9_-]+", r"\1" + SAMPLE_LINK, text)
    return text.strip()


def block(readme: str) -> str:
    """The sample conversation currently in the README (without its fence)."""
    start = readme.index(START) + len(START)
    body = readme[start : readme.index(END)]
    return body.strip().removeprefix("```text").removesuffix("```").strip()


def rewrite(readme: str, conversation: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n```text\n{conversation}\n```\n{END}{tail}"


def main() -> int:
    text = README.read_text("utf-8")
    README.write_text(rewrite(text, transcript()), "utf-8")
    print(f"rewrote the sample conversation in {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Read-aloud on the server with espeak-ng, for browser sources without speech synthesis.

Optional: when `espeak-ng` is not installed (`apt-get install espeak-ng`), `available()`
is False and the overlay uses the browser's own `speechSynthesis` instead.
"""

from __future__ import annotations

import asyncio
import logging
import shutil

log = logging.getLogger(__name__)

VOICES = {"es": "es-419", "en": "en-us", "pt": "pt-br"}
TIMEOUT = 10.0


def available() -> bool:
    return shutil.which("espeak-ng") is not None


async def synthesize(text: str, locale: str) -> bytes | None:
    """A WAV of `text` in the store's language, or None if the engine is missing or fails."""
    program = shutil.which("espeak-ng")
    if program is None or not text:
        return None
    process = await asyncio.create_subprocess_exec(
        program,
        "-v",
        VOICES.get(locale, locale),
        "--stdout",
        "--",
        text,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            out, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        log.warning("espeak-ng took longer than %.0f s; not reading this message", TIMEOUT)
        return None
    if process.returncode != 0 or not out.startswith(b"RIFF"):
        log.warning("espeak-ng failed (exit %s); not reading this message", process.returncode)
        return None
    return out

"""Links out of what viewers write: an alert is no place to advertise another site.

Full addresses ("https://…", "www.…") and bare domains ("bit.ly/x", "tienda.com.ar") go,
whatever their case. A bare domain needs a known top-level domain, so "1.5 kg" or "etc."
stay; but a word glued to one after a dot ("hola.me") reads as a link and goes too.
"""

from __future__ import annotations

import re

__all__ = ["remove_links"]

TLDS = [
    "com",
    "net",
    "org",
    "info",
    "biz",
    "io",
    "gg",
    "tv",
    "ly",
    "me",
    "co",
    "app",
    "dev",
    "xyz",
    "link",
    "site",
    "online",
    "shop",
    "store",
    "live",
    "club",
    "fun",
    "top",
    "ru",
    "cn",
    "tk",
    "to",
    "sh",
    "uk",
    "us",
    "de",
    "fr",
    "it",
    "nl",
    "eu",
    "ar",
    "br",
    "mx",
    "es",
    "cl",
    "uy",
    "pe",
    "py",
    "bo",
    "ec",
    "ve",
    "pt",
    "ca",
    "au",
    "in",
]
URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)
DOMAIN = re.compile(
    r"(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + "|".join(TLDS) + r")\b"
    r"(?:[/:?#]\S*)?",
    re.IGNORECASE,
)
SPACES = re.compile(r"[ \t]{2,}")


def remove_links(text: str) -> tuple[str, bool]:
    """`text` without its links, and whether it had any."""
    cleaned = DOMAIN.sub("", URL.sub("", text))
    if cleaned == text:
        return text, False
    return SPACES.sub(" ", cleaned).strip(), True

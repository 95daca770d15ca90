"""Images and sounds the owner uploads for alerts, kept in a folder on disk.

A file is accepted only if its first bytes say it is a picture (PNG, JPEG, GIF, WebP) or a
sound (WAV, Ogg, MP3) — never SVG or HTML, which a browser could run as a page — and only
up to a size. It is stored under a name made from its content's hash and the extension
its bytes earned, so a name never comes from the uploader and the content type it is
served with is the one it was checked for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

MAX_IMAGE = 3 * 1024 * 1024  # an animated GIF of a few seconds
MAX_SOUND = 2 * 1024 * 1024
NAME = re.compile(r"[0-9a-f]{16}\.(png|jpg|gif|webp|wav|ogg|mp3)")
TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
}
IMAGES = frozenset({"png", "jpg", "gif", "webp"})


class MediaRefused(ValueError):
    """`key` names why, for the owner's language: "media_type" or "media_size"."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class MediaFile:
    name: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.name.rsplit(".", 1)[1] in IMAGES

    @property
    def url(self) -> str:
        return f"/overlay/media/{self.name}"


def sniff(head: bytes) -> str | None:
    """The extension the bytes prove, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def limit_for(head: bytes) -> int:
    kind = sniff(head)
    if kind is None:
        raise MediaRefused("media_type")
    return MAX_IMAGE if kind in IMAGES else MAX_SOUND


class MediaStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, data: bytes) -> MediaFile:
        kind = sniff(data[:16])
        if kind is None:
            raise MediaRefused("media_type")
        if len(data) > (MAX_IMAGE if kind in IMAGES else MAX_SOUND):
            raise MediaRefused("media_size")
        name = f"{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        if not path.exists():
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(path)
        return MediaFile(name, len(data))

    def path(self, name: str) -> Path | None:
        if not NAME.fullmatch(name):
            return None
        path = self.folder / name
        return path if path.is_file() else None

    def files(self) -> list[MediaFile]:
        if not self.folder.is_dir():
            return []
        found = [
            MediaFile(p.name, p.stat().st_size)
            for p in self.folder.iterdir()
            if NAME.fullmatch(p.name) and p.is_file()
        ]
        return sorted(found, key=lambda f: f.name)


def content_type(name: str) -> str:
    return TYPES[name.rsplit(".", 1)[1]]

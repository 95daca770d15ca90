"""Owner uploads: only pictures and sounds, by their bytes, up to a size, under our names."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.web.alert_media import MAX_IMAGE, MediaRefused, MediaStore, content_type

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
WAV = b"RIFF\x24\0\0\0WAVEfmt " + b"\0" * 32


def test_a_picture_and_a_sound_are_kept_under_a_name_from_their_content(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    image = media.save(PNG)
    sound = media.save(WAV)
    assert image.name.endswith(".png") and image.is_image and not sound.is_image
    assert content_type(image.name) == "image/png" and content_type(sound.name) == "audio/wav"
    assert media.save(PNG) == image  # the same file twice is one file
    assert [f.name for f in media.files()] == sorted([image.name, sound.name])
    assert media.path(image.name) == tmp_path / "media" / image.name


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<!doctype html><p>hi",
        b"",
    ],
)
def test_anything_else_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(MediaRefused) as refused:
        MediaStore(tmp_path).save(data)
    assert refused.value.key == "media_type"


def test_a_picture_too_big_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaRefused) as refused:
        MediaStore(tmp_path).save(PNG + b"\0" * MAX_IMAGE)
    assert refused.value.key == "media_size"
    assert MediaStore(tmp_path).files() == []


def test_only_our_own_names_are_served(tmp_path: Path) -> None:
    media = MediaStore(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    assert media.path("notes.txt") is None
    assert media.path("../etc/passwd") is None
    assert media.path("0123456789abcdef.png") is None  # well-formed, but not there

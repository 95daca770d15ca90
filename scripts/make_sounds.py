"""Make the alert sounds Vivo ships (bots/web/static/sounds/*.wav) from nothing but maths.

Every sample is computed here, so the sounds are the project's own work under its licence.
Run `python scripts/make_sounds.py` to write them again; the output is the same each time.
Standard library only (wave, math, struct): no sox or numpy needed.
"""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

RATE = 22050
OUT = Path(__file__).resolve().parents[1] / "bots" / "web" / "static" / "sounds"

Wave = Callable[[float], float]


def sine(t: float) -> float:
    return math.sin(2 * math.pi * t)


def soft_square(t: float) -> float:
    """A square wave with its edges rounded: a retro coin, without the harsh buzz."""
    return math.tanh(4 * math.sin(2 * math.pi * t)) * 0.8


def note(
    freq: float, seconds: float, *, shape: Wave = sine, decay: float = 4.0, attack: float = 0.005
) -> list[float]:
    samples = []
    for i in range(int(seconds * RATE)):
        t = i / RATE
        env = min(1.0, t / attack) * math.exp(-decay * t)
        # a quiet octave above gives a bell its shimmer
        value = shape(freq * t) + 0.3 * sine(2 * freq * t) + 0.12 * sine(3.01 * freq * t)
        samples.append(env * value / 1.42)
    return samples


def sweep(start: float, end: float, seconds: float) -> list[float]:
    samples = []
    phase = 0.0
    n = int(seconds * RATE)
    for i in range(n):
        freq = start * (end / start) ** (i / n)
        phase += freq / RATE
        env = math.sin(math.pi * i / n) ** 2
        samples.append(env * sine(phase))
    return samples


def mix(parts: Sequence[tuple[float, list[float]]]) -> list[float]:
    """Parts laid at their start times (seconds), summed."""
    length = max(int(at * RATE) + len(part) for at, part in parts)
    out = [0.0] * length
    for at, part in parts:
        offset = int(at * RATE)
        for i, value in enumerate(part):
            out[offset + i] += value
    return out


def write(name: str, samples: list[float], gain: float = 0.8) -> None:
    peak = max(abs(s) for s in samples) or 1.0
    frames = b"".join(
        struct.pack("<h", int(max(-1.0, min(1.0, s / peak * gain)) * 32767)) for s in samples
    )
    with wave.open(str(OUT / name), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


SOUNDS: dict[str, Callable[[], list[float]]] = {
    # two bell notes, a fourth apart: a sale
    "chime.wav": lambda: mix([(0.0, note(880, 0.9, decay=5)), (0.14, note(1174.66, 1.0, decay=4))]),
    # a quick rising pair, like a coin picked up: a tip
    "coin.wav": lambda: mix(
        [
            (0.0, note(987.77, 0.09, shape=soft_square, decay=8)),
            (0.08, note(1318.51, 0.5, shape=soft_square, decay=7)),
        ]
    ),
    # a major arpeggio that lands on the octave: a big one
    "fanfare.wav": lambda: mix(
        [
            (0.0, note(523.25, 0.5, decay=5)),
            (0.12, note(659.25, 0.5, decay=5)),
            (0.24, note(783.99, 0.5, decay=5)),
            (0.36, note(1046.5, 1.1, decay=3)),
        ]
    ),
    # a short upward sweep: Bits and Super Chats
    "pop.wav": lambda: sweep(300, 1400, 0.22),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in SOUNDS.items():
        write(name, make())
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()

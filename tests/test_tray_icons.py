"""The icon renderer, pixel by pixel, at every tray size (no screen needed).

Writes ``artifacts/screenshots/tray-icon-sizes.png``: each state at 16, 22, 24, 32 and
48 px, on a light panel, on a dark panel and in one colour (macOS template mode).
"""

from __future__ import annotations

import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path

import pytest
from PIL import Image

from mrtimer.tray.icons import Badge, Glyph, IconKey, _face, elapsed_text, render, sheet

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
SIZES = (16, 22, 24, 32)

STATES = {
    "idle": IconKey(Glyph.IDLE),
    "running": IconKey(Glyph.RUNNING, text="23"),
    "offline": IconKey(Glyph.IDLE, Badge.OFFLINE),
    "signin": IconKey(Glyph.SIGNIN),
    "error": IconKey(Glyph.IDLE, Badge.ERROR),
}



def alpha_at(img: Image.Image, x: int, y: int) -> int:
    px = img.getpixel((x, y))
    assert isinstance(px, tuple)
    return int(px[3])

def pixels(img: Image.Image) -> list[tuple[int, int, int]]:
    raw = img.convert("RGB").tobytes()
    return list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


def alpha_mask(img: Image.Image) -> list[bool]:
    return [a > 128 for a in img.getchannel("A").tobytes()]


def rgb_on(img: Image.Image, bg: tuple[int, int, int]) -> Image.Image:
    tile = Image.new("RGBA", img.size, (*bg, 255))
    tile.alpha_composite(img)
    return tile.convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> float:
    """Share of pixels that differ visibly (> 64 in a channel, on a mid-grey panel)."""
    pa = rgb_on(a, (128, 128, 128)).tobytes()
    pb = rgb_on(b, (128, 128, 128)).tobytes()
    changed = sum(1 for i in range(0, len(pa), 3)
                  if max(abs(pa[i + k] - pb[i + k]) for k in range(3)) > 64)
    return changed / (len(pa) // 3)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mono", [False, True], ids=["colour", "one-colour"])
def test_every_state_is_distinguishable(size: int, mono: bool) -> None:
    images = {name: render(key, size, mono) for name, key in STATES.items()}
    for img in images.values():
        assert img.size == (size, size) and img.mode == "RGBA"
        assert 0.15 < sum(alpha_mask(img)) / size**2 < 0.95  # a real shape, not empty/full
    for (na, a), (nb, b) in combinations(images.items(), 2):
        assert difference(a, b) > 0.04, f"{na} and {nb} look alike at {size}px"


@pytest.mark.parametrize("size", SIZES)
def test_idle_and_running_differ_by_shape_in_one_colour(size: int) -> None:
    """macOS template images: no colour, so a ring (idle) vs a solid disc (running)."""
    idle = render(STATES["idle"], size, mono=True)
    busy = render(IconKey(Glyph.RUNNING, text="7"), size, mono=True)
    for img in (idle, busy):
        rgb = img.convert("RGB").tobytes()
        assert max(rgb) == 0  # template: black ink, the shape is in the alpha
    # Inside the face, lower left, clear of the hand and the digits: paper vs ink.
    cx, cy, r = _face(size)
    x, y = round(cx - 0.45 * r), round(cy + 0.3 * r)
    assert alpha_at(idle, x, y) < 100
    assert alpha_at(busy, x, y) > 200
    assert sum(alpha_mask(busy)) > 1.3 * sum(alpha_mask(idle))


@pytest.mark.parametrize("size", SIZES)
def test_colours(size: int) -> None:
    busy = rgb_on(render(STATES["running"], size), (220, 218, 213))
    idle = rgb_on(render(STATES["idle"], size), (40, 44, 52))  # a dark panel
    green = sum(1 for px in pixels(busy) if px[1] > 120 and px[1] > px[0] + 50)
    white = sum(1 for px in pixels(idle) if min(px) > 230)
    assert green / size**2 > 0.3  # running is green
    assert white / size**2 > 0.08  # idle's white face reads on a dark panel
    err = render(STATES["error"], size)
    red = sum(1 for px in pixels(err) if px[0] > 180 and px[1] < 90)
    assert red > 4


@pytest.mark.parametrize("size", SIZES)
def test_elapsed_time_is_drawn_and_changes_the_image(size: int) -> None:
    frames = [render(IconKey(Glyph.RUNNING, text=t), size) for t in ("3", "23", "1:05", "12h")]
    for a, b in combinations(frames, 2):
        assert a.tobytes() != b.tobytes()
    # Digits are white on the green face.
    white = sum(1 for px in pixels(frames[1]) if min(px) > 240)
    assert white >= 8


def test_elapsed_text() -> None:
    assert [elapsed_text(s) for s in (0, 59, 60, 59 * 60 + 59, 3600, 3600 + 5 * 60,
                                      9 * 3600 + 59 * 60, 10 * 3600, 1000 * 3600)] == \
        ["0", "0", "1", "59", "1:00", "1:05", "9:59", "10h", "999h"]


def test_renders_are_cached_and_the_tick_is_cheap() -> None:
    key = IconKey(Glyph.RUNNING, Badge.OFFLINE, "42")
    first = render(key, 24)
    assert render(key, 24) is first
    start = time.perf_counter()
    for _ in range(1000):
        render(key, 24)
    per_call = (time.perf_counter() - start) / 1000
    assert per_call < 0.0001, per_call  # a dict lookup, far under 1 ms


def test_badges_leave_a_transparent_gap() -> None:
    img = render(IconKey(Glyph.RUNNING, Badge.ERROR, "5"), 32)
    plain = render(IconKey(Glyph.RUNNING, text="5"), 32)
    gap = [(x, y) for x in range(32) for y in range(32)
           if alpha_at(plain, x, y) > 200 and alpha_at(img, x, y) < 30]
    assert len(gap) > 10


def test_contact_sheet_for_reviewers() -> None:
    keys = [STATES["idle"], IconKey(Glyph.RUNNING, text="7"), STATES["running"],
            IconKey(Glyph.RUNNING, text="1:05"), IconKey(Glyph.RUNNING, text="12h"),
            STATES["offline"], IconKey(Glyph.RUNNING, Badge.OFFLINE, "23"), STATES["error"],
            IconKey(Glyph.RUNNING, Badge.ERROR, "1:05"), STATES["signin"]]
    img = sheet(keys)
    SHOTS.mkdir(parents=True, exist_ok=True)
    img.save(SHOTS / "tray-icon-sizes.png")
    assert img.width > 1000 and img.height > 10 * 48


def test_shipped_art_matches_its_source() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "assets" / "build_tray_art.py"),
                             "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

"""Source of the tray icon art: draws the glyphs and the digit fonts as PNG files.

The tray renders its icon at run time from these PNGs (``src/mrtimer/assets/``),
which ship inside the package. Change the drawing here, then run

    python assets/build_tray_art.py            # rewrites src/mrtimer/assets/*.png
    python assets/build_tray_art.py --check    # exit 1 when the shipped PNGs are stale

Conventions the renderer (``mrtimer.tray.icons``) relies on:

- glyphs are 256x256 RGBA; **white is "paper"**: in one-colour (template) mode every
  light pixel becomes transparent and every other opaque pixel black, so shapes must
  read by their dark/coloured parts alone (idle = ring, running = filled disc);
- the stopwatch face (idle and running) is the circle ``FACE`` below; the renderer
  centres the elapsed-time digits on it;
- badges are drawn on their own 256x256 canvas and placed bottom-right at half size;
- digit fonts are one row of cells ``CELL_W`` px apart, white on transparent, in the
  order of ``FONT_CHARS``; the renderer trims each cell to its inked columns.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

SIZE = 256
SS = 4  # supersampling factor for smooth edges
OUT = Path(__file__).resolve().parent.parent / "src" / "mrtimer" / "assets"

# The stopwatch face: centre and radius in the 256 grid (shared with the renderer).
FACE = (128, 146, 104)

INK = (55, 65, 81, 255)  # slate 700: lines on light panels
PAPER = (255, 255, 255, 255)
GREEN = (22, 163, 74, 255)  # running
GREEN_DARK = (21, 128, 61, 255)
AMBER = (217, 119, 6, 255)  # waiting to sync / offline
RED = (220, 38, 38, 255)  # error
KEY = (180, 83, 9, 255)  # sign-in needed

FONT_CHARS = "0123456789:h"

# 3x5 and 5x7 bitmap digits: '#' is ink.
FONT_3X5 = {
    "0": ["###", "#.#", "#.#", "#.#", "###"],
    "1": [".#.", "##.", ".#.", ".#.", "###"],
    "2": ["###", "..#", "###", "#..", "###"],
    "3": ["###", "..#", ".##", "..#", "###"],
    "4": ["#.#", "#.#", "###", "..#", "..#"],
    "5": ["###", "#..", "###", "..#", "###"],
    "6": ["###", "#..", "###", "#.#", "###"],
    "7": ["###", "..#", ".#.", ".#.", ".#."],
    "8": ["###", "#.#", "###", "#.#", "###"],
    "9": ["###", "#.#", "###", "..#", "###"],
    ":": ["...", ".#.", "...", ".#.", "..."],
    "h": ["#..", "#..", "###", "#.#", "#.#"],
}
FONT_5X7 = {
    "0": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
    ":": [".....", "..#..", "..#..", ".....", "..#..", "..#..", "....."],
    "h": ["#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"],
}


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGBA", (SIZE * SS, SIZE * SS), (0, 0, 0, 0))
    return img, ImageDraw.Draw(img)


def _s(*values: float) -> list[float]:
    return [v * SS for v in values]


def _done(img: Image.Image) -> Image.Image:
    return img.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _circle(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float,
            fill: tuple[int, ...] | None = None, outline: tuple[int, ...] | None = None,
            width: float = 0) -> None:
    d.ellipse(_s(cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline,
              width=int(width * SS))


def _crown(d: ImageDraw.ImageDraw, colour: tuple[int, ...]) -> None:
    cx, cy, r = FACE
    top = cy - r
    d.rounded_rectangle(_s(cx - 26, top - 40, cx + 26, top - 16), radius=6 * SS, fill=colour)
    d.rectangle(_s(cx - 11, top - 20, cx + 11, top + 4), fill=colour)


def idle() -> Image.Image:
    """A stopwatch at rest: white face, dark ring, one hand at twelve."""
    img, d = _canvas()
    cx, cy, r = FACE
    _crown(d, INK)
    _circle(d, cx, cy, r, fill=PAPER, outline=INK, width=26)
    d.rounded_rectangle(_s(cx - 12, cy - 66, cx + 12, cy + 6), radius=10 * SS, fill=INK)
    _circle(d, cx, cy, 20, fill=INK)
    return _done(img)


def running() -> Image.Image:
    """A filled green stopwatch: the renderer writes the elapsed time on the face."""
    img, d = _canvas()
    cx, cy, r = FACE
    _crown(d, GREEN_DARK)
    _circle(d, cx, cy, r, fill=GREEN, outline=GREEN_DARK, width=10)
    return _done(img)


def signin() -> Image.Image:
    """A key on a white halo (so it reads on dark panels too)."""
    img, d = _canvas()
    halo = 12

    def key(colour: tuple[int, ...], grow: float) -> None:
        _circle(d, 82, 128, 62 + grow, fill=colour)
        d.rounded_rectangle(_s(120 - grow, 110 - grow, 244 + grow, 146 + grow),
                            radius=8 * SS, fill=colour)
        d.rectangle(_s(196 - grow, 140, 218 + grow, 188 + grow), fill=colour)
        d.rectangle(_s(160 - grow, 140, 180 + grow, 176 + grow), fill=colour)

    key(PAPER, halo)
    key(KEY, 0)
    _circle(d, 82, 128, 26, fill=(0, 0, 0, 0))
    return _done(img)


def badge_offline() -> Image.Image:
    """Waiting to sync: an amber disc with three white dots."""
    img, d = _canvas()
    _circle(d, 128, 128, 124, fill=AMBER)
    for x in (70, 128, 186):
        _circle(d, x, 128, 22, fill=PAPER)
    return _done(img)


def badge_error() -> Image.Image:
    """Something failed: a red triangle with a white exclamation mark."""
    img, d = _canvas()
    d.polygon(_s(128, 6, 252, 238, 4, 238), fill=RED)
    d.rounded_rectangle(_s(112, 76, 144, 170), radius=12 * SS, fill=PAPER)
    _circle(d, 128, 204, 18, fill=PAPER)
    return _done(img)


def font(bitmaps: dict[str, list[str]]) -> Image.Image:
    h = len(bitmaps["0"])
    w = len(bitmaps["0"][0])
    cell = w + 1
    img = Image.new("RGBA", (cell * len(FONT_CHARS), h), (0, 0, 0, 0))
    px = img.load()
    assert px is not None
    for i, ch in enumerate(FONT_CHARS):
        rows = bitmaps[ch]
        assert len(rows) == h and all(len(r) == w for r in rows), ch
        for y, row in enumerate(rows):
            for x, c in enumerate(row):
                if c == "#":
                    px[i * cell + x, y] = (255, 255, 255, 255)
    return img


ART = {
    "tray-idle.png": idle,
    "tray-running.png": running,
    "tray-signin.png": signin,
    "tray-badge-offline.png": badge_offline,
    "tray-badge-error.png": badge_error,
    "digits-3x5.png": lambda: font(FONT_3X5),
    "digits-5x7.png": lambda: font(FONT_5X7),
}


def _same(a: Image.Image, b: Image.Image) -> bool:
    if a.size != b.size or a.mode != b.mode:
        return False
    diff = ImageChops.difference(a, b)
    # Pillow versions may differ by a rounding step at anti-aliased edges.
    return max(hi for _lo, hi in diff.getextrema()) <= 8  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, don't write")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    stale = []
    for name, make in ART.items():
        img = make()
        path = args.out / name
        if args.check:
            if not path.exists() or not _same(Image.open(path).convert("RGBA"), img):
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        img.save(path, optimize=True)
    if stale:
        print("stale tray art (run python assets/build_tray_art.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

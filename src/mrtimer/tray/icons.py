"""The tray icon, rendered with Pillow from the art in ``mrtimer/assets`` (drawn by
``assets/build_tray_art.py``).

An icon is described by a small hashable :class:`IconKey` (glyph, badge, elapsed
text); :func:`render` turns a key, a pixel size and a colour mode into an image and
caches the recent results, so the steady one-second tick costs a dictionary lookup.

- glyphs: idle (stopwatch outline), running (filled stopwatch with the elapsed
  time written on it), sign-in needed (a key);
- badges, top right, cut out of the glyph with a transparent halo: waiting to sync
  (offline: disc with dots) and error (triangle with "!");
- one-colour mode (macOS template images): white is paper, everything else ink, so
  idle (a ring) and running (a solid disc) differ by shape, not colour.

Pure: no UI toolkit, no threads (the lru caches are thread-safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources

from PIL import Image, ImageChops, ImageFilter, PngImagePlugin

__all__ = [
    "Badge",
    "Glyph",
    "IconKey",
    "elapsed_text",
    "render",
    "sheet",
]

ART_SIZE = 256
FACE = (128, 146, 104)  # centre x, centre y, radius of the stopwatch face in the art
COMPACT_BELOW = 21  # px: smaller icons drop the crown and use the whole square for the face
FONT_CHARS = "0123456789:h"
TEXT_RGBA = (255, 255, 255, 255)
PAPER_LUMA = 200  # art pixels lighter than this are "paper" in one-colour mode


class Glyph(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    SIGNIN = "signin"


class Badge(StrEnum):
    NONE = "none"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass(frozen=True)
class IconKey:
    glyph: Glyph
    badge: Badge = Badge.NONE
    text: str = ""  # running only: elapsed time as shown on the face

    @property
    def name(self) -> str:
        parts = [self.glyph.value]
        if self.badge is not Badge.NONE:
            parts.append(self.badge.value)
        return "+".join(parts)


def elapsed_text(seconds: float) -> str:
    """Minutes under an hour (``"23"``), then ``"1:05"``, then whole hours (``"12h"``)."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 60:
        return str(minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 10:
        return f"{hours}:{rest:02d}"
    return f"{min(hours, 999)}h"


# -- art ------------------------------------------------------------------------------


def _art(name: str) -> Image.Image:
    """A 256x256 art PNG as RGBA. Not cached: a full-size image is 256 KiB, and the
    callers cache what they derive from it (the glyph at the sizes the tray asks for)."""
    ref = resources.files("mrtimer").joinpath("assets", name)
    with ref.open("rb") as fh:
        # The art is PNG: open it with that plugin alone. Image.open() would first
        # import every image plugin Pillow has, a cost paid before the icon shows.
        img = PngImagePlugin.PngImageFile(fh)
        img.load()
    return img.convert("RGBA")


def _template(img: Image.Image) -> Image.Image:
    """One colour: light pixels become transparent, the rest black with their alpha."""
    ink = img.convert("L").point(lambda v: 255 if v < PAPER_LUMA else 0)
    alpha = ImageChops.multiply(img.getchannel("A"), ink)
    black = Image.new("L", img.size, 0)
    return Image.merge("RGBA", (black, black, black, alpha))


@lru_cache(maxsize=64)
def _glyph(glyph: Glyph, size: int, mono: bool) -> Image.Image:
    art = _art(f"tray-{glyph.value}.png")
    if mono:
        art = _template(art)
    if glyph is not Glyph.SIGNIN and size < COMPACT_BELOW:
        cx, cy, r = FACE
        art = art.crop((cx - r - 2, cy - r - 2, cx + r + 2, cy + r + 2))
    return art.resize((size, size), Image.Resampling.LANCZOS)


@lru_cache(maxsize=32)
def _badge(badge: Badge, size: int, mono: bool) -> Image.Image:
    art = _art(f"tray-badge-{badge.value}.png")
    if mono:
        art = _template(art)
    return art.resize((size, size), Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class _Font:
    glyphs: dict[str, Image.Image]  # trimmed, white on transparent
    height: int


@cache
def _font(name: str) -> _Font:
    strip = _art(name)
    cells = len(FONT_CHARS)
    cell_w = strip.width // cells
    glyphs: dict[str, Image.Image] = {}
    for i, ch in enumerate(FONT_CHARS):
        cell = strip.crop((i * cell_w, 0, (i + 1) * cell_w, strip.height))
        box = cell.getchannel("A").getbbox()
        if box is None:
            continue
        glyphs[ch] = cell.crop((box[0], 0, box[2], strip.height))
    return _Font(glyphs, strip.height)


FONTS = ("digits-5x7.png", "digits-3x5.png")


def _text_width(font: _Font, text: str) -> int:
    return sum(font.glyphs[c].width for c in text) + max(0, len(text) - 1)


def _face(size: int) -> tuple[float, float, float]:
    if size < COMPACT_BELOW:
        half = size / 2
        return half, half, half
    cx, cy, r = FACE
    k = size / ART_SIZE
    return cx * k, cy * k, r * k


def _layout_text(text: str, size: int, avoid: tuple[float, float, float, float] | None
                 ) -> tuple[_Font, int, int, int] | None:
    """The biggest crisp rendering of ``text`` on the face, clear of the badge:
    (font, scale, x, y), or None when nothing fits."""
    cx, cy, r = _face(size)
    reach = (1.06 * r) ** 2
    for name in FONTS:
        font = _font(name)
        if any(c not in font.glyphs for c in text):
            continue
        for scale in (4, 3, 2, 1):
            w, h = _text_width(font, text) * scale, font.height * scale
            if w > 2 * r * 0.98:
                continue
            x = round(cx - w / 2)
            ys = [round(cy - h / 2)]
            if avoid is not None:
                ys.append(int(avoid[3]) + 1)  # just below the badge
            for y in ys:
                corners = ((x, y), (x + w, y), (x, y + h), (x + w, y + h))
                if any((px - cx) ** 2 + (py - cy) ** 2 > reach for px, py in corners):
                    continue
                if avoid is not None:
                    ax0, ay0, ax1, ay1 = avoid
                    if x < ax1 and x + w > ax0 and y < ay1 and y + h > ay0:
                        continue
                return font, scale, x, y
    return None


def _draw_text(img: Image.Image, text: str, font: _Font, scale: int, x: int, y: int,
               mono: bool) -> None:
    mask = Image.new("L", img.size, 0)
    pos = x
    for c in text:
        g = font.glyphs[c]
        if scale != 1:
            g = g.resize((g.width * scale, g.height * scale), Image.Resampling.NEAREST)
        mask.paste(g.getchannel("A"), (pos, y))
        pos += g.width + scale
    if mono:
        # Knock the digits out of the solid face.
        img.putalpha(ImageChops.subtract(img.getchannel("A"), mask))
    else:
        img.paste(Image.new("RGBA", img.size, TEXT_RGBA), (0, 0), mask)


def _badge_size(size: int) -> int:
    return max(7, round(size * 0.5))


# The tray shows one icon at a time; its text changes once a minute while a timer runs.
# A small cache covers flipping between states without keeping every minute drawn.
@lru_cache(maxsize=16)
def render(key: IconKey, size: int, mono: bool = False) -> Image.Image:
    """The icon for ``key`` as a ``size`` x ``size`` RGBA image (cached; do not mutate)."""
    img = _glyph(key.glyph, size, mono).copy()
    avoid: tuple[float, float, float, float] | None = None
    if key.badge is not Badge.NONE:
        b = _badge_size(size)
        halo = 1 if size < 40 else 2
        x0 = size - b
        badge = _badge(key.badge, b, mono)
        cut = Image.new("L", img.size, 0)
        cut.paste(badge.getchannel("A").point(lambda v: 255 if v > 40 else 0), (x0, 0))
        cut = cut.filter(ImageFilter.MaxFilter(2 * halo + 1))
        img.putalpha(ImageChops.subtract(img.getchannel("A"), cut))
        img.alpha_composite(badge, (x0, 0))
        avoid = (x0 - halo, 0, size, b + halo)
    if key.glyph is Glyph.RUNNING and key.text:
        placed = _layout_text(key.text, size, avoid)
        if placed is None and ":" in key.text:
            short = key.text.split(":")[0] + "h"
            placed = _layout_text(short, size, avoid)
            text = short
        else:
            text = key.text
        if placed is not None:
            _draw_text(img, text, *placed, mono=mono)
    return img


def sheet(keys: list[IconKey], sizes: tuple[int, ...] = (16, 22, 24, 32, 48),
          zoom: int = 4) -> Image.Image:
    """A contact sheet: one row per key; every size on a light panel, on a dark panel
    and in one colour; zoomed with nearest-neighbour so each pixel shows."""
    from PIL import ImageDraw  # the contact sheet only (it imports FreeType)

    pad, label_w = 8, 150
    light, dark = (220, 218, 213), (40, 44, 52)
    col_w = max(sizes) * zoom + pad
    row_h = max(sizes) * zoom + pad
    modes = ((False, light), (False, dark), (True, light))
    width = label_w + pad + col_w * len(sizes) * len(modes)
    out = Image.new("RGB", (width, pad + row_h * len(keys)), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    for row, key in enumerate(keys):
        y = pad + row * row_h
        label = key.name + (f" {key.text}" if key.text else "")
        draw.text((pad, y + row_h // 2 - 6), label, fill=(0, 0, 0))
        col = 0
        for mono, bg in modes:
            for size in sizes:
                x = label_w + pad + col * col_w
                tile = Image.new("RGBA", (size, size), (*bg, 255))
                tile.alpha_composite(render(key, size, mono))
                big = tile.resize((size * zoom, size * zoom), Image.Resampling.NEAREST)
                out.paste(big.convert("RGB"), (x, y))
                col += 1
    return out

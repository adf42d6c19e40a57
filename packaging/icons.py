"""Application icon files generated with Pillow from the source art in ``assets/``.

Outputs (all generated at build time, never committed):

- ``mrtimer.ico``: Windows, 16-256 px in one file;
- ``mrtimer.icns``: macOS, 16-1024 px;
- ``hicolor/<n>x<n>/apps/mrtimer.png``: the freedesktop icon theme sizes for the .deb.

The source is the first of :data:`SOURCE_CANDIDATES` that exists (a square PNG, at
least 256 px; 1024 px keeps the large macOS sizes sharp). When none exists yet, a
placeholder is drawn and a warning printed, so a build never fails for want of art.

Usage: ``python packaging/icons.py OUT_DIR``.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = [
    "HICOLOR_SIZES",
    "ICNS_SIZES",
    "ICO_SIZES",
    "SOURCE_CANDIDATES",
    "IconSet",
    "find_source",
    "generate",
    "load_source",
    "main",
]

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"

# The application icon art, in order of preference: a dedicated app icon if the art
# ever gets one, else the tray's idle stopwatch (256 px, drawn by
# assets/build_tray_art.py and shipped in the package).
SOURCE_CANDIDATES: tuple[Path, ...] = (
    ASSETS / "app-icon.png",
    ROOT / "src" / "mrtimer" / "assets" / "tray-idle.png",
)

ICON_NAME = "mrtimer"
ICO_SIZES: tuple[int, ...] = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICNS_SIZES: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024)
HICOLOR_SIZES: tuple[int, ...] = (16, 22, 24, 32, 48, 64, 128, 256, 512)


@dataclass(frozen=True)
class IconSet:
    ico: Path
    icns: Path
    pngs: dict[int, Path] = field(default_factory=dict)
    source: Path | None = None  # None: the placeholder was drawn

    @property
    def hicolor_root(self) -> Path:
        return self.ico.parent / "hicolor"


def find_source() -> Path | None:
    for candidate in SOURCE_CANDIDATES:
        if candidate.is_file():
            return candidate
    return None


def placeholder(size: int = 1024) -> Image.Image:
    """A stand-in: a rounded square with a clock face, until real art exists."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    pad = size // 16
    draw.rounded_rectangle((pad, pad, size - pad, size - pad), radius=size // 5,
                           fill=(200, 40, 60, 255))
    c, r = size / 2, size * 0.3
    draw.ellipse((c - r, c - r, c + r, c + r), outline=(255, 255, 255, 255),
                 width=max(1, size // 18))
    w = max(1, size // 16)
    draw.line((c, c, c, c - r * 0.72), fill=(255, 255, 255, 255), width=w)
    draw.line((c, c, c + r * 0.55, c), fill=(255, 255, 255, 255), width=w)
    return img


def load_source(path: Path | None) -> Image.Image:
    """The art as a square RGBA image (centred on a transparent canvas if not square)."""
    if path is None:
        return placeholder()
    with Image.open(path) as opened:
        img = opened.convert("RGBA")
    if img.width != img.height:
        side = max(img.size)
        canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
        img = canvas
    return img


def _resized(img: Image.Image, size: int) -> Image.Image:
    if img.width == size:
        return img.copy()
    return img.resize((size, size), Image.Resampling.LANCZOS)


def generate(out_dir: Path, source: Path | None = None, *, quiet: bool = False) -> IconSet:
    """Write the .ico, .icns and hicolor PNGs into ``out_dir`` and return their paths."""
    src = source if source is not None else find_source()
    if src is None and not quiet:
        names = ", ".join(os.path.relpath(p, ROOT) for p in SOURCE_CANDIDATES)
        print(f"icons.py: warning: no source art ({names}); drawing a placeholder",
              file=sys.stderr)
    art = load_source(src)
    out_dir.mkdir(parents=True, exist_ok=True)

    ico = out_dir / f"{ICON_NAME}.ico"
    biggest = _resized(art, 256)
    biggest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=[_resized(art, s) for s in ICO_SIZES if s != 256])

    icns = out_dir / f"{ICON_NAME}.icns"
    big = _resized(art, max(ICNS_SIZES))
    big.save(icns, format="ICNS",
             append_images=[_resized(art, s) for s in ICNS_SIZES if s != big.width])

    pngs: dict[int, Path] = {}
    for size in HICOLOR_SIZES:
        target = out_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        _resized(art, size).save(target, format="PNG", optimize=True)
        pngs[size] = target
    return IconSet(ico=ico, icns=icns, pngs=pngs, source=src)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--source", type=Path, default=None,
                        help="Source art (default: assets/app-icon.png, else "
                             "src/mrtimer/assets/tray-idle.png)")
    args = parser.parse_args(argv)
    icons = generate(args.out_dir, args.source)
    print(f"{icons.ico}\n{icons.icns}\n{icons.hicolor_root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

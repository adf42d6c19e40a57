"""Build the Debian package from the PyInstaller onedir (``dist/mrtimer``).

Layout of the package:

- ``/usr/lib/mrtimer/``: the onedir as built (``mrtimer`` + ``_internal/``);
- ``/usr/bin/mrtimer`` -> ``../lib/mrtimer/mrtimer`` (relative symlink);
- ``/usr/share/applications/mrtimer.desktop`` (validated when desktop-file-validate exists);
- ``/usr/share/icons/hicolor/<n>x<n>/apps/mrtimer.png`` (``packaging/icons.py``);
- ``/usr/share/doc/meetandrock-timer/{copyright,changelog.Debian.gz}``, a man page.

``Depends`` = the packages of the libraries PyInstaller leaves to the system (glibc,
libxcb, Wayland, GL), read from the ELF files, plus ``libgtk-3-0``, which brings the icon themes,
GSettings backend and the system half of the GTK stack the bundled GTK expects. No
maintainer scripts: dpkg triggers refresh the icon cache and desktop database.

Usage: ``python packaging/linux/build_deb.py [--onedir dist/mrtimer] [--out dist]``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from email.utils import formatdate
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGING = HERE.parent
sys.path.insert(0, str(PACKAGING))

import pyi_common as common  # noqa: E402

__all__ = [
    "PACKAGE",
    "build_deb",
    "control_text",
    "debian_version",
    "main",
    "remove_runpath",
    "shlib_depends",
]

PACKAGE = "meetandrock-timer"
MAINTAINER = "Meet and Rock Timer dev <dev@meetandrock.invalid>"
HOMEPAGE = "https://meetandrock.invalid/timer"
INSTALL_DIR = "usr/lib/mrtimer"
# Always required on top of dpkg-shlibdeps' findings (see the module docstring).
BASE_DEPENDS: tuple[str, ...] = ("libgtk-3-0 (>= 3.22)",)
RECOMMENDS: tuple[str, ...] = ("gnome-keyring | kwalletmanager | keepassxc",)
SUGGESTS: tuple[str, ...] = ("gnome-shell-extension-appindicator",)
SHORT_DESCRIPTION = "light system-tray time tracker for the Meet and Rock Timer API"
LONG_DESCRIPTION = """\
Meet and Rock Timer shows a stopwatch in the system tray: start, stop and
resume timers for your tasks with a click or a global hotkey, see today's and
this week's totals, and keep working offline (actions are queued and sent
later). The same tracking is available from the shell with the mrtimer command.
.
This package ships a self-contained build (Python and its libraries bundled
under /usr/lib/mrtimer)."""


def debian_version(version: str = common.VERSION, revision: str = "1") -> str:
    """``0.2.0rc1`` -> ``0.2.0~rc1-1`` (pre-releases sort before the release)."""
    v = re.sub(r"^(\d+(?:\.\d+)*)[.-]?((?:a|b|rc|alpha|beta|dev)\d*)", r"\1~\2", version)
    return f"{v}-{revision}"


def dpkg_architecture() -> str:
    out = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def control_text(*, version: str, arch: str, depends: Iterable[str],
                 installed_kib: int) -> str:
    lines = [
        f"Package: {PACKAGE}",
        f"Version: {version}",
        f"Architecture: {arch}",
        f"Maintainer: {MAINTAINER}",
        f"Installed-Size: {installed_kib}",
        f"Depends: {', '.join(depends)}",
        f"Recommends: {', '.join(RECOMMENDS)}",
        f"Suggests: {', '.join(SUGGESTS)}",
        "Section: utils",
        "Priority: optional",
        f"Homepage: {HOMEPAGE}",
        f"Description: {SHORT_DESCRIPTION}",
    ]
    for para_line in LONG_DESCRIPTION.splitlines():
        lines.append(f" {para_line}" if para_line else " .")
    return "\n".join(lines) + "\n"


def _merge_depends(found: Iterable[str], base: Iterable[str]) -> list[str]:
    """Union by package name; an explicit entry wins over a found one."""
    merged: dict[str, str] = {}
    for dep in [*found, *base]:
        dep = dep.strip()
        if dep:
            merged[re.split(r"[\s(|]", dep, maxsplit=1)[0]] = dep
    return sorted(merged.values())


def _readelf(path: Path) -> tuple[set[str], set[tuple[int, ...]]]:
    """DT_NEEDED sonames and the GLIBC_x.y versions an ELF file requires."""
    out = subprocess.run(["readelf", "-d", "-V", "-W", str(path)], capture_output=True,
                         text=True, check=False).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
    glibc = {tuple(int(n) for n in v.split("."))
             for v in re.findall(r"Name: GLIBC_(\d+(?:\.\d+)+)", out)}
    return needed, glibc


def _system_library_paths() -> dict[str, str]:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                         check=False).stdout
    paths: dict[str, str] = {}
    for m in re.finditer(r"^\s*(\S+) \(([^)]*)\) => (\S+)$", out, re.M):
        if "x86-64" in m.group(2) or "64" in m.group(2) or m.group(1) not in paths:
            paths.setdefault(m.group(1), m.group(3))
    return paths


def _owner(path: str) -> str | None:
    for candidate in (path, os.path.realpath(path)):
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True,
                             check=False)
        if out.returncode == 0 and ":" in out.stdout:
            return out.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def shlib_depends(bundle: Path) -> tuple[list[str], list[str]]:
    """Packages for the libraries the bundle links to but does not carry.

    PyInstaller bundles every library it finds except glibc, libxcb, Wayland and GL
    (they must match the system's drivers and C library). ``dpkg-shlibdeps`` would
    list the system twins of every bundled library too, so this reads the ELF files
    directly: the sonames needed but not bundled, mapped to their packages with
    ``dpkg -S``; ``libc6`` gets the highest GLIBC symbol version any file needs.
    Returns (depends, sonames not found on this system).
    """
    bundled: set[str] = set()
    needed: set[str] = set()
    glibc: set[tuple[int, ...]] = set()
    for path in sorted(bundle.rglob("*")):
        if not path.is_file() and not path.is_symlink():
            continue
        bundled.add(path.name)
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) != b"\x7fELF":
                    continue
            n, g = _readelf(path)
            needed |= n
            glibc |= g
    external = sorted(needed - bundled)
    paths = _system_library_paths()
    packages: set[str] = set()
    missing = []
    for soname in external:
        owner = _owner(paths[soname]) if soname in paths else None
        if owner is None:
            missing.append(soname)
        else:
            packages.add(owner)
    packages.discard("libc6")
    floor = ".".join(map(str, max(glibc))) if glibc else None
    depends = [f"libc6 (>= {floor})" if floor else "libc6", *sorted(packages)]
    return depends, missing


def _man_page(version: str, help_text: str) -> bytes:
    def esc(text: str) -> str:
        return "\n".join(("\\&" + ln if ln.startswith((".", "'")) else ln)
                         for ln in text.replace("\\", "\\e").splitlines())

    page = f""".TH MRTIMER 1 "" "mrtimer {version}" "User Commands"
.SH NAME
mrtimer \\- Meet and Rock Timer, a system-tray time tracker
.SH SYNOPSIS
.B mrtimer
[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR] [\\fIARGS\\fR]...
.SH DESCRIPTION
Without a command, starts the tray app. The commands track time from the shell
over the same queue as the tray.
.PP
.nf
{esc(help_text)}
.fi
.SH ENVIRONMENT
.TP
.B MRTIMER_API_KEY
API key, used instead of the OS keyring.
.TP
.B MRTIMER_BASE_URL
API base URL.
.SH FILES
.I /usr/lib/mrtimer
holds the application.
"""
    return gzip.compress(page.encode("utf-8"), compresslevel=9, mtime=0)


def _changelog(deb_version: str, when: float) -> bytes:
    text = (f"{PACKAGE} ({deb_version}) unstable; urgency=medium\n\n"
            f"  * Release {common.VERSION} built from the PyInstaller onedir.\n\n"
            f" -- {MAINTAINER}  {formatdate(when, localtime=False)}\n")
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


COPYRIGHT = f"""Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: {common.APP_NAME}
Comment: The application bundles Python 3 and the third-party libraries it uses
 (httpx, keyring, click, platformdirs, Pillow, pystray, pynput, PyGObject, GTK 3
 and their dependencies), each under its own license.

Files: *
Copyright: (C) 2026 Meet and Rock
License: proprietary
 All rights reserved.
"""


def _is_shared_object(path: Path) -> bool:
    return path.suffix == ".so" or ".so." in path.name


def _normalise_modes(root: Path) -> None:
    """0755 for directories and programs; 0644 for shared objects and everything else."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
            continue
        executable = bool(path.stat().st_mode & stat.S_IXUSR) and not _is_shared_object(path)
        path.chmod(0o755 if executable else 0o644)


_DT_NULL, _DT_RPATH, _DT_RUNPATH = 0, 15, 29


def remove_runpath(path: Path) -> bool:
    """Delete DT_RPATH/DT_RUNPATH from a 64-bit little-endian ELF file (as ``chrpath -d``).

    The build machine's Python may carry a RUNPATH to its own prefix (pyenv:
    ``/root/.pyenv/versions/X/lib``); frozen, libraries come from the bundle
    (the bootloader sets LD_LIBRARY_PATH), so the entry is only a stray search path.
    Returns True when the file changed.
    """
    data = bytearray(path.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    changed = False
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type != 2:  # PT_DYNAMIC
            continue
        offset, = struct.unpack_from("<Q", data, phoff + i * phentsize + 8)
        size, = struct.unpack_from("<Q", data, phoff + i * phentsize + 32)
        entries = []
        for pos in range(offset, offset + size - 15, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == _DT_NULL:
                break
            entries.append((tag, value))
        kept = [e for e in entries if e[0] not in (_DT_RPATH, _DT_RUNPATH)]
        if len(kept) == len(entries):
            continue
        for n in range(size // 16):
            tag, value = kept[n] if n < len(kept) else (_DT_NULL, 0)
            struct.pack_into("<qQ", data, offset + n * 16, tag, value)
        changed = True
    if changed:
        path.write_bytes(bytes(data))
    return changed


def build_deb(onedir: Path, out_dir: Path, *, version: str = common.VERSION,
              arch: str | None = None, validate: bool = True) -> Path:
    """Assemble the tree and run ``dpkg-deb``; returns the ``.deb`` path."""
    exe = onedir / common.EXE_NAME
    if not exe.is_file():
        raise SystemExit(f"build_deb: {exe} missing: build the onedir first "
                         "(pyinstaller packaging/linux/mrtimer.spec)")
    arch = arch or dpkg_architecture()
    deb_version = debian_version(version)
    when = float(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mrtimer-deb-") as tmp:
        tree = Path(tmp) / "root"
        app = tree / INSTALL_DIR
        shutil.copytree(onedir, app, symlinks=True)

        bindir = tree / "usr" / "bin"
        bindir.mkdir(parents=True)
        (bindir / "mrtimer").symlink_to(os.path.relpath(app / common.EXE_NAME, bindir))

        share = tree / "usr" / "share"
        apps = share / "applications"
        apps.mkdir(parents=True)
        desktop = apps / "mrtimer.desktop"
        shutil.copyfile(HERE / "mrtimer.desktop", desktop)
        if validate and shutil.which("desktop-file-validate"):
            subprocess.run(["desktop-file-validate", str(desktop)], check=True)

        icons = common.make_icons(Path(tmp) / "icons")
        for size, png in icons.pngs.items():
            target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / png.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, target)

        doc = share / "doc" / PACKAGE
        doc.mkdir(parents=True)
        (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")
        (doc / "changelog.Debian.gz").write_bytes(_changelog(deb_version, when))

        help_text = subprocess.run([str(exe), "--help"], capture_output=True, text=True,
                                   check=False, env={**os.environ, "COLUMNS": "78"}).stdout
        man = share / "man" / "man1"
        man.mkdir(parents=True)
        (man / "mrtimer.1.gz").write_bytes(_man_page(version, help_text or "mrtimer --help"))

        for path in app.rglob("*"):
            if path.is_file() and not path.is_symlink():
                remove_runpath(path)
        overrides = share / "lintian" / "overrides"
        overrides.mkdir(parents=True)
        shutil.copyfile(HERE / "lintian-overrides", overrides / PACKAGE)
        _normalise_modes(tree)
        found, missing = shlib_depends(app)
        if missing:
            print(f"build_deb: warning: no package provides {', '.join(missing)}",
                  file=sys.stderr)
        depends = _merge_depends(found, BASE_DEPENDS)
        installed_kib = sum(p.stat().st_size for p in tree.rglob("*")
                            if p.is_file() and not p.is_symlink()) // 1024 + 1
        debian = tree / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(
            control_text(version=deb_version, arch=arch, depends=depends,
                         installed_kib=installed_kib), encoding="utf-8")
        _normalise_modes(debian)

        deb = out_dir / f"{PACKAGE}_{deb_version}_{arch}.deb"
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(when))}
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(tree),
                        str(deb)], check=True, env=env, stdout=subprocess.DEVNULL)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the .deb from the PyInstaller onedir.")
    parser.add_argument("--onedir", type=Path, default=common.ROOT / "dist" / common.EXE_NAME)
    parser.add_argument("--out", type=Path, default=common.ROOT / "dist")
    parser.add_argument("--arch", default=None, help="default: dpkg --print-architecture")
    args = parser.parse_args(argv)
    print(build_deb(args.onedir, args.out, arch=args.arch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the three PyInstaller specs share: names, version, modules, data, excludes.

The specs (``packaging/<os>/mrtimer.spec``) put this folder on ``sys.path`` and import
this module; nothing here imports PyInstaller at module level, so tests can use it too.

Backends are listed explicitly as hidden imports: pyinstaller-hooks-contrib's pystray
and pynput hooks import those packages at build time, which fails without a display
(then no backend is bundled and the frozen app dies on ``No module named
'pynput.keyboard._xorg'``).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "APP_NAME",
    "BUNDLE_ID",
    "CLI_EXE_NAME",
    "EXE_NAME",
    "LAUNCHER",
    "ROOT",
    "SRC",
    "VERSION",
    "excludes",
    "gi_hooksconfig",
    "hidden_imports",
    "info_plist",
    "make_icons",
    "package_datas",
    "package_modules",
    "prune_linux",
    "read_version",
    "version_tuple",
    "windows_version_text",
    "write_windows_version_file",
]

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
SRC = ROOT / "src"
PACKAGE_DIR = SRC / "mrtimer"
LAUNCHER = PACKAGING / "launcher.py"

APP_NAME = "Meet and Rock Timer"
EXE_NAME = "mrtimer"  # the tray app (windowed on Windows and macOS)
CLI_EXE_NAME = "mrtimer-cli"  # Windows only: console twin for the command line
BUNDLE_ID = "com.meetandrock.timer"
PUBLISHER = "Meet and Rock"
DESCRIPTION = "Meet and Rock Timer: a light system-tray time tracker"
COPYRIGHT = "Copyright (c) Meet and Rock"


def read_version(init_file: Path = PACKAGE_DIR / "__init__.py") -> str:
    """``mrtimer.__version__``, read without importing the package."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    raise ValueError(f"no __version__ = '...' in {init_file}")


VERSION = read_version()


def version_tuple(version: str = VERSION) -> tuple[int, int, int, int]:
    """Four integers for Windows (``1.2.3rc1`` -> ``(1, 2, 3, 0)``)."""
    release = re.match(r"\d+(\.\d+)*", version)
    if release is None:
        raise ValueError(f"version {version!r} does not start with a number")
    parts = [int(p) for p in release.group(0).split(".")][:4]
    while len(parts) < 4:
        parts.append(0)
    return parts[0], parts[1], parts[2], parts[3]


# -- modules ---------------------------------------------------------------------------

_HIDDEN: dict[str, tuple[str, ...]] = {
    "linux": (
        # pystray: appindicator (menus), gtk (menus), xorg (no GTK) -- tried in that order
        "pystray._appindicator",
        "pystray._gtk",
        "pystray._xorg",
        "pystray._util.gtk",
        "pystray._util.notify_dbus",
        # pynput's X11 backends (uinput is only chosen by PYNPUT_BACKEND=uinput)
        "pynput.keyboard._xorg",
        "pynput.mouse._xorg",
        "pynput._util.xorg",
        "pynput._util.xorg_keysyms",
        # GObject introspection: each import pulls its typelibs and libraries (gi hooks)
        "gi.repository.Gtk",
        "gi.repository.Gdk",
        "gi.repository.GdkPixbuf",
        "gi.repository.GLib",
        "gi.repository.GObject",
        "gi.repository.Gio",
        "gi.repository.DBus",
        "gi.repository.AyatanaAppIndicator3",
        # keyring: the Secret Service (D-Bus via jeepney) and libsecret backends
        "keyring.backends.SecretService",
        "keyring.backends.libsecret",
        "keyring.backends.kwallet",
    ),
    "windows": (
        "pystray._win32",
        "pystray._util.win32",
        "pynput.keyboard._win32",
        "pynput.mouse._win32",
        "pynput._util.win32",
        "pynput._util.win32_vks",
        "keyring.backends.Windows",
        "win32ctypes.core",
    ),
    "darwin": (
        "pystray._darwin",
        "pynput.keyboard._darwin",
        "pynput.mouse._darwin",
        "pynput._util.darwin",
        "pynput._util.darwin_vks",
        "keyring.backends.macOS",
        "keyring.backends.macOS.api",
    ),
}

_HIDDEN_COMMON: tuple[str, ...] = (
    "keyring.backends.chainer",
    "keyring.backends.fail",
    "keyring.backends.null",
    "platformdirs",
    "tkinter",  # the dialogs (a child process of the same executable)
    "tkinter.simpledialog",
    "tkinter.messagebox",
    "tkinter.ttk",
)

# Pillow: the app reads and writes PNG (tray art, GTK/AppIndicator temp files), ICO
# and BMP (pystray on Windows), and may meet GIF/JPEG/TIFF/PPM; every other format
# plugin is left out. Image.init() skips plugins that fail to import.
_PIL_UNUSED_PLUGINS: tuple[str, ...] = (
    "Avif", "WebP",  # the two big ones: _avif/_webp and their libraries
    "Blp", "BufrStub", "Dcx", "Dds", "Eps", "Fits", "Fli", "Fpx", "Ftex", "Gbr",
    "GribStub", "Hdf5Stub", "Icns", "Im", "Imt", "Iptc", "Jpeg2K", "McIdas", "Mic",
    "Mpeg", "Msp", "Palm", "Pcd", "Pcx", "Pdf", "Pixar", "Psd", "Qoi", "Sgi",
    "Spider", "Sun", "Tga", "Wmf", "XVThumb", "Xpm",
)

_EXCLUDES_COMMON: tuple[str, ...] = (
    # never ship a plain-text "keyring" that silently becomes the default
    "keyrings",
    "keyrings.alt",
    # tests and developer tools
    "pytest",
    "_pytest",
    "hypothesis",
    "tests",
    "test",
    "tkinter.test",
    "unittest.test",
    "lib2to3",
    "idlelib",
    "pydoc_data",
    "ensurepip",
    "distutils",
    "setuptools",
    "pkg_resources",
    "pip",
    "mypy",
    "ruff",
    "IPython",
    # httpx's own command line (httpx/_main.py: click + rich + pygments, 340 modules);
    # httpx falls back to a stub when it cannot be imported
    "httpx._main",
    "pygments",
    "rich",
    # anyio's trio backend: httpx's sync client never uses it
    "trio",
    "outcome",
    "sortedcontainers",
    # big optional imports some libraries probe for
    "numpy",
    "scipy",
    "matplotlib",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6",
    "wx",
    "PIL.ImageQt",
    *(f"PIL.{name}ImagePlugin" for name in _PIL_UNUSED_PLUGINS),
)

_EXCLUDES: dict[str, tuple[str, ...]] = {
    # no GTK/GObject outside Linux; no X11 outside Linux
    "windows": ("gi", "Xlib", "evdev", "pynput._util.uinput", "pynput.keyboard._uinput"),
    "darwin": ("gi", "Xlib", "evdev", "pynput._util.uinput", "pynput.keyboard._uinput"),
    "linux": ("evdev", "pynput._util.uinput", "pynput.keyboard._uinput"),
}

PLATFORMS = ("linux", "windows", "darwin")


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {PLATFORMS}, not {platform!r}")


def hidden_imports(platform: str) -> list[str]:
    """Every module the app may pick at run time on ``platform``, plus our package."""
    _check_platform(platform)
    return [*_HIDDEN_COMMON, *_HIDDEN[platform], *package_modules()]


def excludes(platform: str) -> list[str]:
    _check_platform(platform)
    return [*_EXCLUDES_COMMON, *_EXCLUDES[platform]]


def gi_hooksconfig() -> dict[str, Any]:
    """No icon themes, GTK 2 themes or translations in the bundle.

    GTK 3 has its Adwaita theme built in; icon themes (Adwaita, hicolor: 38 MB) come
    from the system through ``XDG_DATA_DIRS`` (PyInstaller's glib runtime hook keeps the
    system entries), and the .deb depends on ``libgtk-3-0``, which pulls them in. The
    app's own strings are English only.
    """
    return {"gi": {"icons": [], "themes": [], "languages": []}}


# Binaries left out of the Linux bundle: the SVG image loader of gdk-pixbuf drags in
# librsvg, libxml2 and ICU (45 MB) and the app never loads SVG (tray art is PNG).
# Candidates are dropped only when no remaining binary links to them.
LINUX_DROP = ("libpixbufloader-svg.so", "librsvg-2.so.2")
LINUX_DROP_IF_UNUSED = (
    r"libxml2\.so\..*", r"libicuuc\.so\..*", r"libicudata\.so\..*", r"libicui18n\.so\..*",
    r"libstdc\+\+\.so\..*",
)

Toc = list[tuple[str, str, str]]


def _needed(path: str) -> set[str]:
    """DT_NEEDED sonames of an ELF file (``readelf``, from binutils like ``strip``)."""
    import subprocess

    try:
        out = subprocess.run(["readelf", "-d", "--wide", path], capture_output=True,
                             text=True, check=False).stdout
    except OSError:
        return set()
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def prune_linux(binaries: Toc, datas: Toc, workpath: str) -> tuple[Toc, Toc]:
    """Drop :data:`LINUX_DROP` and then unused :data:`LINUX_DROP_IF_UNUSED` libraries,
    and take the dropped pixbuf loaders out of gdk-pixbuf's ``loaders.cache``."""
    dropped: set[str] = set()
    kept = [e for e in binaries if os.path.basename(e[0]) not in LINUX_DROP]
    dropped |= {os.path.basename(e[0]) for e in binaries} & set(LINUX_DROP)
    patterns = [re.compile(p) for p in LINUX_DROP_IF_UNUSED]
    needed = {e[0]: _needed(e[1]) for e in kept if e[2] in ("BINARY", "EXTENSION")}
    changed = True
    while changed:
        changed = False
        for entry in list(kept):
            name = os.path.basename(entry[0])
            if not any(p.fullmatch(name) for p in patterns):
                continue
            users = [k for k, libs in needed.items() if k != entry[0] and name in libs]
            if not users:
                kept.remove(entry)
                needed.pop(entry[0], None)
                dropped.add(name)
                changed = True
    new_datas = []
    for dest, src, typecode in datas:
        if dest.replace(os.sep, "/").endswith("lib/gdk-pixbuf/loaders.cache"):
            blocks = Path(src).read_text(encoding="utf-8").split("\n\n")
            blocks = [b for b in blocks if not any(d in b for d in dropped)]
            src = os.path.join(workpath, "mrtimer-loaders.cache")
            Path(src).write_text("\n\n".join(blocks), encoding="utf-8")
        new_datas.append((dest, src, typecode))
    if dropped:
        print(f"pyi_common: left out of the bundle: {', '.join(sorted(dropped))}")
    return kept, new_datas


def _walk_package(package_dir: Path) -> Iterable[Path]:
    for path in sorted(package_dir.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        yield path


def package_modules(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Every module of ``mrtimer`` from the file system (no import at build time).

    The tray loads some modules lazily (dialogs in a child process, optional desktop
    integration): listing them all keeps that working frozen.
    """
    names = []
    for path in _walk_package(package_dir):
        if path.suffix != ".py":
            continue
        rel = path.relative_to(package_dir.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def package_datas(package_dir: Path = PACKAGE_DIR) -> list[tuple[str, str]]:
    """``(source, dest_dir)`` for every non-Python file in the package (assets, py.typed).

    Frozen, they sit under ``sys._MEIPASS/mrtimer/...`` where
    ``importlib.resources.files("mrtimer")`` finds them, as when not frozen.
    """
    datas = []
    for path in _walk_package(package_dir):
        if path.suffix in {".py", ".pyc", ".pyi"}:
            continue
        dest = path.parent.relative_to(package_dir.parent)
        datas.append((str(path), str(dest)))
    return datas


# -- Windows version resource ----------------------------------------------------------


def windows_version_text(version: str = VERSION) -> str:
    """A version resource in the text form PyInstaller's ``EXE(version=...)`` reads."""
    nums = version_tuple(version)
    dotted = ".".join(str(n) for n in nums)
    strings = {
        "CompanyName": PUBLISHER,
        "FileDescription": APP_NAME,
        "FileVersion": version,
        "InternalName": EXE_NAME,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": f"{EXE_NAME}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": version,
    }
    table = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""# UTF-8
# Generated from mrtimer.__version__ ({dotted}) by packaging/pyi_common.py
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={nums!r},
    prodvers={nums!r},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '040904B0',
        [
{table}
        ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def write_windows_version_file(path: Path | str, version: str = VERSION) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(windows_version_text(version), encoding="utf-8")
    return path


# -- macOS -----------------------------------------------------------------------------


def info_plist(version: str = VERSION) -> dict[str, Any]:
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSUIElement": True,  # a menu-bar app: no Dock icon, no app menu
        "LSMinimumSystemVersion": "11.0",
        "NSHighResolutionCapable": True,
        "NSHumanReadableCopyright": COPYRIGHT,
        # the global hotkey (pynput) needs Input Monitoring / Accessibility permission
        "NSAppleEventsUsageDescription": (
            "Meet and Rock Timer uses a global keyboard shortcut to start and stop timers."
        ),
    }


# -- icons -----------------------------------------------------------------------------


def make_icons(out_dir: Path | str) -> Any:
    """Generate the .ico/.icns/PNGs (``packaging/icons.py``) and return its ``IconSet``."""
    import importlib.util
    import sys

    name = "mrtimer_packaging_icons"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, PACKAGING / "icons.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module.generate(Path(out_dir), quiet=bool(os.environ.get("MRTIMER_ICONS_QUIET")))

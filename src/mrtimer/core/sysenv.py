"""Starting the desktop's own programs (xdg-open, notify-send, a browser) from the app.

A PyInstaller build on Linux points ``LD_LIBRARY_PATH`` and GTK's module paths at the
bundle; a system program started with that environment may load our libraries instead
of its own and crash. :func:`system_env` undoes it for children.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["open_target", "system_env"]

_BUNDLE_VARS = (
    "GTK_PATH", "GTK_DATA_PREFIX", "GTK_EXE_PREFIX", "GI_TYPELIB_PATH",
    "GDK_PIXBUF_MODULE_FILE", "GIO_MODULE_DIR", "GSETTINGS_SCHEMA_DIR",
)


def system_env(environ: dict[str, str] | None = None, frozen: bool | None = None,
               platform: str | None = None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    platform = sys.platform if platform is None else platform
    if not frozen or not platform.startswith("linux"):
        return env
    original = env.pop("LD_LIBRARY_PATH_ORIG", None)
    if original:
        env["LD_LIBRARY_PATH"] = original
    else:
        env.pop("LD_LIBRARY_PATH", None)
    for name in _BUNDLE_VARS:
        env.pop(name, None)
    return env


def open_target(target: Path | str) -> bool:
    """Open a file, folder or URL with the desktop's default program; False if none."""
    import webbrowser  # here: only a menu action needs it, not the tray's start

    text = target.resolve().as_uri() if isinstance(target, Path) else target
    if sys.platform == "win32":
        return webbrowser.open(text)
    opener = "open" if sys.platform == "darwin" else shutil.which("xdg-open")
    if opener is None:
        return webbrowser.open(text)
    try:
        subprocess.Popen([opener, text], env=system_env(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        return False
    return True

"""Start at login, per OS, registering the command that is running now.

- Linux (XDG): ``$XDG_CONFIG_HOME/autostart/mrtimer.desktop`` (default ``~/.config``);
- macOS: ``~/Library/LaunchAgents/com.meetandrock.timer.plist`` (RunAtLoad);
- Windows: the ``MeetAndRockTimer`` value under
  ``HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

The command: a frozen (PyInstaller) app registers its own executable; a pip install
registers the ``mrtimer`` script it was started from with ``tray``, else
``<python> -m mrtimer tray`` (``pythonw.exe`` on Windows, so no console window opens).
"""

from __future__ import annotations

import importlib
import os
import plistlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from mrtimer.core.atomic import atomic_write

from ._session import Session

__all__ = [
    "Autostart",
    "LinuxAutostart",
    "MacAutostart",
    "RunKey",
    "WindowsAutostart",
    "autostart_for",
    "desktop_exec",
    "launch_command",
]

APP_ID = "mrtimer"
MAC_LABEL = "com.meetandrock.timer"
WIN_VALUE = "MeetAndRockTimer"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    argv0: str | None = None,
    windows: bool | None = None,
) -> list[str]:
    """The command that starts the tray the way this process was started."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    argv0 = sys.argv[0] if argv0 is None else argv0
    windows = (sys.platform == "win32") if windows is None else windows
    if frozen:
        return [str(Path(executable).resolve())]
    script = Path(argv0)
    if script.stem.lower() == "mrtimer" and script.suffix.lower() in ("", ".exe") \
            and script.is_file():
        return [str(script.resolve()), "tray"]
    python = Path(executable)
    if windows and python.name.lower() == "python.exe":
        quiet = python.with_name("pythonw.exe")
        if quiet.is_file():
            python = quiet
    return [str(python), "-m", "mrtimer", "tray"]


class Autostart(Protocol):
    """One OS's start-at-login entry (only ever ours: named by this app)."""

    @property
    def location(self) -> str:
        """Where it lives, for people (a path or a registry value)."""
        ...

    def registered(self) -> list[str] | None:
        """The registered command, or None when there is no entry."""
        ...

    def enable(self, command: Sequence[str]) -> None: ...

    def disable(self) -> None: ...


# -- Linux -----------------------------------------------------------------------------------

_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def desktop_exec(command: Sequence[str]) -> str:
    """A ``.desktop`` Exec value: quoted per the Desktop Entry spec, then escaped as a
    string value (so a backslash is written four times inside quotes)."""
    out: list[str] = []
    for arg in command:
        arg = arg.replace("%", "%%")  # field codes
        if not arg or any(c in _RESERVED for c in arg):
            inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
            arg = f'"{inner}"'
        out.append(arg)
    return " ".join(out).replace("\\", "\\\\")


def parse_desktop_exec(value: str) -> list[str]:
    """The reverse of :func:`desktop_exec` (for checks and tests)."""
    text = value.replace("\\\\", "\x00").replace("\x00", "\\")
    args: list[str] = []
    i, cur, in_arg = 0, "", False
    while i < len(text):
        c = text[i]
        if c == '"':
            in_arg = True
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                cur += text[i]
                i += 1
            i += 1
            continue
        if c == " ":
            if in_arg:
                args.append(cur.replace("%%", "%"))
            cur, in_arg = "", False
        else:
            cur += c
            in_arg = True
        i += 1
    if in_arg:
        args.append(cur.replace("%%", "%"))
    return args


class LinuxAutostart:
    def __init__(self, config_home: Path | None = None) -> None:
        if config_home is None:
            env = os.environ.get("XDG_CONFIG_HOME")
            config_home = Path(env) if env else Path.home() / ".config"
        self.path = config_home / "autostart" / f"{APP_ID}.desktop"

    @property
    def location(self) -> str:
        return str(self.path)

    def registered(self) -> list[str] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        for line in text.splitlines():
            if line.startswith("Exec="):
                return parse_desktop_exec(line[5:])
        return []

    def enable(self, command: Sequence[str]) -> None:
        body = "\n".join([
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            "Name=Meet and Rock Timer",
            "Comment=Time tracking from the system tray",
            f"Exec={desktop_exec(command)}",
            "Icon=mrtimer",
            "Terminal=false",
            "Categories=Office;",
            "X-GNOME-Autostart-enabled=true",
            "",
        ])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, body.encode("utf-8"), mode=0o644)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


# -- macOS -----------------------------------------------------------------------------------


class MacAutostart:
    def __init__(self, agents_dir: Path | None = None) -> None:
        agents_dir = agents_dir or Path.home() / "Library" / "LaunchAgents"
        self.path = agents_dir / f"{MAC_LABEL}.plist"

    @property
    def location(self) -> str:
        return str(self.path)

    def registered(self) -> list[str] | None:
        try:
            with self.path.open("rb") as f:
                data = plistlib.load(f)
        except FileNotFoundError:
            return None
        except (plistlib.InvalidFileException, ValueError, OSError):
            return []
        args = data.get("ProgramArguments") if isinstance(data, dict) else None
        return [str(a) for a in args] if isinstance(args, list) else []

    def enable(self, command: Sequence[str]) -> None:
        plist = {
            "Label": MAC_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, plistlib.dumps(plist, fmt=plistlib.FMT_XML), mode=0o644)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


# -- Windows ---------------------------------------------------------------------------------


class RunKey(Protocol):
    """The HKCU Run key's values (the only registry calls made; faked in tests)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def _winreg() -> Any:
    return importlib.import_module("winreg")  # Windows only


class WinregRunKey:  # pragma: no cover - Windows only
    def get(self, name: str) -> str | None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        winreg = _winreg()

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0,
                                winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0,
                                winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def _split_windows(cmdline: str) -> list[str]:
    """Split a command line written by ``subprocess.list2cmdline`` (quotes, backslashes)."""
    args: list[str] = []
    cur, quoted, any_char, slashes = "", False, False, 0
    for c in cmdline:
        if c == "\\":
            slashes += 1
            continue
        if c == '"':
            cur += "\\" * (slashes // 2)
            if slashes % 2:
                cur += '"'
            else:
                quoted = not quoted
            any_char, slashes = True, 0
            continue
        cur += "\\" * slashes
        slashes = 0
        if c in " \t" and not quoted:
            if any_char or cur:
                args.append(cur)
            cur, any_char = "", False
        else:
            cur += c
            any_char = True
    cur += "\\" * slashes
    if any_char or cur:
        args.append(cur)
    return args


class WindowsAutostart:
    def __init__(self, run_key: RunKey | None = None) -> None:
        self._key: RunKey = run_key if run_key is not None else WinregRunKey()

    @property
    def location(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{WIN_VALUE}"

    def registered(self) -> list[str] | None:
        value = self._key.get(WIN_VALUE)
        return None if value is None else _split_windows(value)

    def enable(self, command: Sequence[str]) -> None:
        self._key.set(WIN_VALUE, subprocess.list2cmdline(list(command)))

    def disable(self) -> None:
        self._key.delete(WIN_VALUE)


def autostart_for(session: Session) -> Autostart | None:
    if session.os == "windows":
        return WindowsAutostart()
    if session.os == "macos":
        return MacAutostart()
    if session.os == "linux" or session.os == "other":
        return LinuxAutostart()
    return None


def sync_autostart(entry: Autostart, wanted: bool,
                   command: Sequence[str] | None = None) -> bool:
    """Make the entry match the setting; rewrite it when the command moved.
    Returns True when something changed."""
    current = entry.registered()
    if not wanted:
        if current is None:
            return False
        entry.disable()
        return True
    command = list(command) if command is not None else launch_command()
    if current == command:
        return False
    entry.enable(command)
    return True

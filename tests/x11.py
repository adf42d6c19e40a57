"""A real X server for tests: Xvfb, a tray (trayer), optionally a private D-Bus
session with a notification server (dunst), and helpers to find, click, type into
and photograph what is on it. Shared by the tray, hotkey and packaging tests.

Usage::

    import x11

    @pytest.fixture(scope="module")
    def desktop(tmp_path_factory):
        x11.require()                      # skip (or fail under MRTIMER_REQUIRE_X11=1)
        with x11.Desktop.start(tmp_path_factory.mktemp("x11"), dbus=True) as d:
            yield d

    def test_something(desktop):
        app = desktop.spawn([sys.executable, "-m", "mrtimer", "tray"], env={...})
        icon = desktop.wait_for_icon()
        desktop.click(*icon.center, button=3)
        shot = desktop.screenshot(ARTIFACTS / "menu.png")

Every process started here (Xvfb, dbus-daemon, dunst, trayer, and whatever a test
starts with :meth:`Desktop.spawn`) runs in its own process group and is ended by
its id (SIGTERM, then SIGKILL) when the desktop closes. Waits poll with a deadline;
nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from PIL import Image

__all__ = ["BASE_TOOLS", "Desktop", "Window", "differs", "missing_tools", "poll", "require",
           "share"]

BASE_TOOLS = ("Xvfb", "xdpyinfo", "xdotool", "xwininfo", "xprop", "trayer", "import")
DBUS_TOOLS = ("dbus-daemon", "dbus-send", "dunst")
INSTALL_HINT = "apt-get install -y xvfb xdotool x11-utils imagemagick trayer dbus dunst"

T = TypeVar("T")


def missing_tools(*tools: str) -> list[str]:
    return [t for t in tools if shutil.which(t) is None]


def require(*extra: str, dbus: bool = False) -> None:
    """Skip the test (fail when ``MRTIMER_REQUIRE_X11=1``) if a tool is missing."""
    missing = missing_tools(*BASE_TOOLS, *(DBUS_TOOLS if dbus else ()), *extra)
    if not missing:
        return
    msg = f"needs {', '.join(missing)} ({INSTALL_HINT})"
    if os.environ.get("MRTIMER_REQUIRE_X11") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


def poll(predicate: Callable[[], T | None], timeout: float, interval: float = 0.02,
         what: str = "condition") -> T:
    """Return ``predicate()``'s first truthy value; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


@dataclass(frozen=True)
class Window:
    id: int
    name: str | None
    wm_class: str
    x: int  # absolute, root coordinates
    y: int
    width: int
    height: int
    depth: int = 0  # nesting below the window that was listed

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.width, self.y + self.height


_LINE = re.compile(
    r"^(?P<indent>\s+)(?P<id>0x[0-9a-f]+) (?P<name>\(has no name\)|\".*\"): "
    r"\((?P<cls>.*?)\)\s+(?P<w>\d+)x(?P<h>\d+)\+(?P<rx>-?\d+)\+(?P<ry>-?\d+)"
    r"\s+\+(?P<ax>-?\d+)\+(?P<ay>-?\d+)")


def parse_tree(text: str) -> list[Window]:
    """Windows from ``xwininfo -tree`` output (children, grandchildren...)."""
    out: list[Window] = []
    base: int | None = None
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        indent = len(m["indent"])
        if base is None:
            base = indent
        name = None if m["name"] == "(has no name)" else m["name"][1:-1]
        out.append(Window(int(m["id"], 16), name, m["cls"], int(m["ax"]), int(m["ay"]),
                          int(m["w"]), int(m["h"]), (indent - base) // 3))
    return out


class Desktop:
    """A running Xvfb (+ trayer, + D-Bus and dunst). Build it with :meth:`start`."""

    def __init__(self, tmp: Path, size: tuple[int, int]) -> None:
        self.tmp = tmp
        self.size = size
        self.display = ""
        self.env: dict[str, str] = {}
        self.panel: int | None = None
        self.panel_height = 0
        self._procs: list[subprocess.Popen[bytes]] = []
        self._files: list[IO[bytes]] = []
        self._xconn: Any = None

    # -- building ---------------------------------------------------------------------

    @classmethod
    @contextmanager
    def start(cls, tmp: Path, *, tray: bool = True, dbus: bool = False,
              size: tuple[int, int] = (1024, 768), panel_height: int = 64,
              timeout: float = 15.0) -> Iterator[Desktop]:
        desktop = cls(tmp, size)
        try:
            desktop._start_xvfb(timeout)
            if dbus:
                desktop._start_dbus(timeout)
            if tray:
                desktop._start_trayer(panel_height, timeout)
            yield desktop
        finally:
            desktop.close()

    def _start_xvfb(self, timeout: float) -> None:
        read, write = os.pipe()
        w, h = self.size
        proc = self.spawn(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{w}x{h}x24",
                           "-nolisten", "tcp", "-nocursor"], pass_fds=(write,), log="xvfb")
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            number = pipe.readline().strip().decode()
        if not number.isdigit():
            raise RuntimeError(f"Xvfb did not report a display (exit {proc.poll()})")
        self.display = f":{number}"
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        self.env = {
            "DISPLAY": self.display,
            "NO_AT_BRIDGE": "1",  # no accessibility bus daemons that outlive us
            "GTK_A11Y": "none",
            "XDG_SESSION_TYPE": "x11",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_RUNTIME_DIR": str(self._runtime_dir()),
        }
        poll(lambda: self.run(["xdpyinfo"], check=False).returncode == 0, timeout,
             what=f"Xvfb on {self.display}")

    def _runtime_dir(self) -> Path:
        path = self.tmp / "runtime"
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def _start_dbus(self, timeout: float) -> None:
        proc = self.spawn(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                           "--print-address=1"], stdout=subprocess.PIPE, log="dbus")
        assert proc.stdout is not None
        address = proc.stdout.readline().decode().strip()
        if not address:
            raise RuntimeError("dbus-daemon printed no address")
        self._files.append(proc.stdout)
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        self.spawn(["dunst"], log="dunst")
        poll(lambda: self.name_has_owner("org.freedesktop.Notifications"), timeout,
             what="dunst on the session bus")

    def _start_trayer(self, height: int, timeout: float) -> None:
        self.spawn(["trayer", "--edge", "top", "--align", "left", "--widthtype", "pixel",
                    "--width", "300", "--heighttype", "pixel", "--height", str(height),
                    "--SetDockType", "true", "--expand", "true", "--transparent", "false"],
                   log="trayer")

        def panel() -> int | None:
            found = self.run(["xdotool", "search", "--name", "^panel$"], check=False)
            ids = found.stdout.split()
            return int(ids[0]) if ids else None

        self.panel = poll(panel, timeout, what="trayer's panel window")
        self.panel_height = height

    # -- processes ----------------------------------------------------------------------

    def spawn(self, argv: Sequence[str], env: dict[str, str] | None = None,
              log: str | None = None, **kwargs: object) -> subprocess.Popen[bytes]:
        """Start a process on this desktop (its own process group; ended on close).
        ``log`` names a file under ``tmp`` for its stdout/stderr."""
        full = {**os.environ, **self.env, **(env or {})}
        if log is not None and "stdout" not in kwargs:
            fh = open(self.tmp / f"{log}.log", "ab")  # noqa: SIM115 - closed in close()
            self._files.append(fh)
            kwargs.setdefault("stdout", fh)
            kwargs.setdefault("stderr", subprocess.STDOUT)
        elif log is not None:
            fh = open(self.tmp / f"{log}.log", "ab")  # noqa: SIM115
            self._files.append(fh)
            kwargs.setdefault("stderr", fh)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(list(argv), env=full, start_new_session=True,
                                **kwargs)  # type: ignore[call-overload]
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 5.0) -> int | None:
        """End a spawned process (and its group) by id: SIGTERM, then SIGKILL."""
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout)
        _signal_group(proc, signal.SIGKILL)  # children left in its group
        return proc.returncode

    def run(self, argv: Sequence[str], check: bool = True, timeout: float = 20.0,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), env={**os.environ, **self.env, **(env or {})},
                              capture_output=True, text=True, errors="replace", check=check,
                              timeout=timeout)

    def close(self) -> None:
        if self._xconn is not None:
            self._xconn.close()
            self._xconn = None
        for proc in reversed(self._procs):
            try:
                self.stop(proc, timeout=3.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._procs.clear()
        for fh in self._files:
            fh.close()
        self._files.clear()

    # -- D-Bus ----------------------------------------------------------------------------

    def name_has_owner(self, name: str) -> bool:
        out = self.run(["dbus-send", "--session", "--print-reply",
                        "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.NameHasOwner", f"string:{name}"], check=False)
        return "boolean true" in out.stdout

    # -- windows --------------------------------------------------------------------------

    def tree(self, window: int | str = "root") -> list[Window]:
        target = ["-root"] if window == "root" else ["-id", str(window)]
        out = self.run(["xwininfo", "-tree", *target], check=False)
        return parse_tree(out.stdout)

    def toplevels(self) -> list[Window]:
        return [w for w in self.tree() if w.depth == 0]

    def _x(self) -> Any:
        """A python-xlib connection (pystray's dependency) for quick window queries."""
        if self._xconn is None:
            from Xlib import display as xdisplay

            self._xconn = xdisplay.Display(self.display)
        return self._xconn

    def visible(self, window: int) -> bool:
        from Xlib import X
        from Xlib.error import XError

        try:
            win = self._x().create_resource_object("window", window)
            return bool(win.get_attributes().map_state == X.IsViewable)
        except XError:
            return False

    def geometry(self, window: int) -> Window | None:
        """Where ``window`` is on the screen (any window, not only top-level ones)."""
        out = self.run(["xwininfo", "-id", str(window)], check=False)
        values: dict[str, int] = {}
        for line in out.stdout.splitlines():
            key, _, value = line.strip().partition(":")
            if key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height"):
                values[key] = int(value.strip())
        if len(values) < 4:
            return None
        return Window(window, None, "", values["Absolute upper-left X"],
                      values["Absolute upper-left Y"], values["Width"], values["Height"])

    def wait_viewable(self, window: int, timeout: float = 10.0) -> Window:
        """``window`` once it is on screen, with its geometry."""
        return poll(lambda: self.geometry(window) if self.visible(window) else None, timeout,
                    what=f"window {window:#x} on screen")

    def tray_icons(self) -> list[Window]:
        """The icons docked in trayer: its socket windows that have a size, in order."""
        if self.panel is None:
            return []
        return [w for w in self.tree(self.panel) if w.depth == 0 and w.width > 1
                and w.height > 1 and w.x >= 0]

    def icon_window(self, icon: Window) -> Window | None:
        """The app's own window inside a tray socket (its WM_NAME is the app's title)."""
        inner = [w for w in self.tree(icon.id) if w.depth == 0]
        return inner[0] if inner else None

    def wait_for_icon(self, timeout: float = 15.0, count: int = 1) -> Window:
        """The ``count``-th docked icon once it has a real size."""
        icons = poll(lambda: (lambda found: found if len(found) >= count else None)(
            self.tray_icons()), timeout, what=f"{count} docked tray icon(s)")
        return icons[count - 1]

    def wait_for_window(self, predicate: Callable[[Window], bool], timeout: float = 10.0,
                        what: str = "a window") -> Window:
        def find() -> Window | None:
            for w in self.toplevels():
                if self.visible(w.id) and predicate(w):
                    return w
            return None

        return poll(find, timeout, what=what)

    def props(self, window: int) -> dict[str, str]:
        """A few X properties of ``window`` (xprop's text after ``=``)."""
        out = self.run(["xprop", "-id", str(window), "WM_CLASS", "WM_NAME", "_NET_WM_NAME",
                        "_NET_WM_WINDOW_TYPE"], check=False)
        found: dict[str, str] = {}
        for line in out.stdout.splitlines():
            if "=" in line and "not found" not in line:
                key, value = line.split("=", 1)
                found[key.split("(")[0].strip()] = value.strip()
        return found

    def wm_name(self, window: int) -> str:
        """The title (UTF-8 ``_NET_WM_NAME``, else ``WM_NAME``)."""
        found = self.props(window)
        raw = found.get("_NET_WM_NAME") or found.get("WM_NAME") or '""'
        return raw.strip('"')

    def wait_for_window_type(self, kind: str, timeout: float = 10.0) -> Window:
        """A viewable top-level window of ``_NET_WM_WINDOW_TYPE_<kind>`` (TOOLTIP, ...)."""
        return self.wait_for_window(
            lambda w: f"_NET_WM_WINDOW_TYPE_{kind}" in self.props(w.id).get(
                "_NET_WM_WINDOW_TYPE", ""), timeout, what=f"a {kind.lower()} window")

    # -- input ----------------------------------------------------------------------------

    def xdotool(self, *args: str) -> str:
        return self.run(["xdotool", *args]).stdout

    def pointer(self) -> tuple[int, int]:
        out = self.xdotool("getmouselocation", "--shell")
        values = dict(line.split("=", 1) for line in out.split() if "=" in line)
        return int(values["X"]), int(values["Y"])

    def move(self, x: int, y: int) -> None:
        # Not ``mousemove --sync``: it waits for motion, forever when already there.
        self.xdotool("mousemove", str(x), str(y))
        poll(lambda: self.pointer() == (x, y), 5, what=f"the pointer at {x},{y}")

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.move(x, y)
        self.xdotool("click", str(button))

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--delay", "40", *keys)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "15", "--", text)

    def focus(self, window: int) -> None:
        self.xdotool("windowfocus", "--sync", str(window))

    # -- pictures -------------------------------------------------------------------------

    def screenshot(self, path: Path | None = None, box: tuple[int, int, int, int] | None = None
                   ) -> Image.Image:
        """The screen (or ``box`` of it) as RGB; also saved as PNG when ``path`` is given."""
        target = self.tmp / "screen.png"
        self.run(["import", "-window", "root", f"png:{target}"])
        with Image.open(target) as raw:
            img = raw.convert("RGB")
        if box is not None:
            img = img.crop(box)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            img.save(path)
        return img


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group we created for it (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass


# -- pixels -------------------------------------------------------------------------------


def _pixels(img: Image.Image) -> list[tuple[int, int, int]]:
    raw = img.convert("RGB").tobytes()
    return list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


def share(img: Image.Image, predicate: Callable[[tuple[int, int, int]], bool]) -> float:
    """The fraction of ``img``'s pixels for which ``predicate(rgb)`` holds."""
    data = _pixels(img)
    return sum(1 for px in data if predicate(px)) / max(1, len(data))


def differs(a: Image.Image, b: Image.Image, tolerance: int = 24) -> float:
    """The fraction of pixels that differ by more than ``tolerance`` in some channel."""
    assert a.size == b.size
    pa, pb = _pixels(a), _pixels(b)
    changed = sum(1 for x, y in zip(pa, pb, strict=True)
                  if max(abs(x[0] - y[0]), abs(x[1] - y[1]), abs(x[2] - y[2])) > tolerance)
    return changed / max(1, len(pa))

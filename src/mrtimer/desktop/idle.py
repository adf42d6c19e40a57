"""How long the user has been away: per-OS idle sources and a pure idle state machine.

Sources (``idle_seconds()``, raising :class:`IdleUnavailable`):
- X11: the MIT-SCREEN-SAVER extension through libXss (ctypes), else python-xlib;
- Windows: ``GetLastInputInfo`` and ``GetTickCount`` (user32/kernel32 through ctypes);
- macOS: IOKit's ``HIDIdleTime`` as printed by ``ioreg -c IOHIDSystem``;
- GNOME/KDE on Wayland: ``org.gnome.Mutter.IdleMonitor.GetIdletime`` or
  ``org.freedesktop.ScreenSaver.GetSessionIdleTime`` on the session bus (milliseconds).

The screen locked counts as idle by itself (no input reaches the session). Sleep does
not reset the sources' counters in a way we can trust, so :class:`IdleMonitor` also
treats a long gap between two of its ticks (wall clock) as time away.
"""

from __future__ import annotations

import ctypes
import logging
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from mrtimer.core import Running
from mrtimer.core.sysenv import system_env

from ._session import Session

__all__ = [
    "AwayStopped",
    "AwayWhileRunning",
    "DBusIdleSource",
    "IdleEvent",
    "IdleMonitor",
    "IdleSource",
    "IdleUnavailable",
    "MacIdleSource",
    "StopForIdle",
    "TimerRef",
    "WindowsIdleSource",
    "X11IdleSource",
    "detect_idle_source",
    "parse_ioreg_idle",
]

log = logging.getLogger("mrtimer.desktop.idle")


class IdleUnavailable(Exception):
    """The idle time can't be read (now, or on this desktop at all)."""


class IdleSource(Protocol):
    name: str

    def idle_seconds(self) -> float: ...

    def close(self) -> None: ...


# -- X11 -------------------------------------------------------------------------------------


def _close_quietly(conn: Any) -> None:
    """Close a connection that may already be broken (that is why it is closed)."""
    if conn is not None:
        try:
            conn.close()
        except Exception:
            pass


class _XScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("event_mask", ctypes.c_ulong),
    ]


class _LibXss:
    """libX11 + libXss through ctypes: one display connection and one info struct.

    Far lighter than python-xlib's ``Display`` (which builds its keysym and extension
    tables in Python: about 1 MiB kept for as long as the tray runs). libX11 >= 1.8
    initialises its own thread support, so this connection may live on our idle thread
    while the toolkit uses its own."""

    def __init__(self, display_name: str | None) -> None:
        x11 = ctypes.CDLL("libX11.so.6")
        xss = ctypes.CDLL("libXss.so.1")
        x11.XOpenDisplay.argtypes = (ctypes.c_char_p,)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XDefaultRootWindow.argtypes = (ctypes.c_void_p,)
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XCloseDisplay.argtypes = (ctypes.c_void_p,)
        x11.XFree.argtypes = (ctypes.c_void_p,)
        xss.XScreenSaverQueryExtension.argtypes = (
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
        xss.XScreenSaverQueryExtension.restype = ctypes.c_int
        xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(_XScreenSaverInfo)
        xss.XScreenSaverQueryInfo.argtypes = (
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XScreenSaverInfo))
        xss.XScreenSaverQueryInfo.restype = ctypes.c_int
        name = display_name.encode() if display_name is not None else None
        display = x11.XOpenDisplay(name)
        if not display:
            raise IdleUnavailable(f"X11: can't open display {display_name or '$DISPLAY'}")
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not xss.XScreenSaverQueryExtension(display, ctypes.byref(event_base),
                                              ctypes.byref(error_base)):
            x11.XCloseDisplay(display)
            raise IdleUnavailable("the X server has no MIT-SCREEN-SAVER extension")
        info = xss.XScreenSaverAllocInfo()
        if not info:
            x11.XCloseDisplay(display)
            raise IdleUnavailable("X11: XScreenSaverAllocInfo failed")
        self._x11, self._xss = x11, xss
        self._display: int | None = display
        self._root = x11.XDefaultRootWindow(display)
        self._info = info

    def idle_ms(self) -> int:
        if self._display is None:
            raise IdleUnavailable("X11: closed")
        if not self._xss.XScreenSaverQueryInfo(self._display, self._root, self._info):
            raise IdleUnavailable("X11: XScreenSaverQueryInfo failed")
        return int(self._info.contents.idle)

    def close(self) -> None:
        display, self._display = self._display, None
        if display is not None:
            self._x11.XFree(self._info)
            self._x11.XCloseDisplay(display)


class _PyXlib:
    """The same query through python-xlib, where libXss is not installed."""

    def __init__(self, display_name: str | None) -> None:
        from Xlib import display as xdisplay

        d = xdisplay.Display(display_name)
        if not d.has_extension("MIT-SCREEN-SAVER"):
            d.close()
            raise IdleUnavailable("the X server has no MIT-SCREEN-SAVER extension")
        self._display = d

    def idle_ms(self) -> int:
        return int(self._display.screen().root.screensaver_query_info().idle)

    def close(self) -> None:
        self._display.close()


class X11IdleSource:
    """XScreenSaverQueryInfo ``idle`` (ms since the last input on this X server), through
    libXss (ctypes) or, where that library is missing, python-xlib.

    Keeps one connection, opened on first use; use it from one thread."""

    name = "X11 XScreenSaver"

    def __init__(self, display_name: str | None = None, *, use_libxss: bool = True) -> None:
        self._display_name = display_name
        self._use_libxss = use_libxss
        self._conn: _LibXss | _PyXlib | None = None

    def _open(self) -> _LibXss | _PyXlib:
        if self._use_libxss:
            try:
                return _LibXss(self._display_name)
            except OSError as exc:  # libX11/libXss not installed
                log.info("libXss not usable (%s); idle time through python-xlib", exc)
                self._use_libxss = False
        return _PyXlib(self._display_name)

    def idle_seconds(self) -> float:
        try:
            if self._conn is None:
                self._conn = self._open()
            return self._conn.idle_ms() / 1000.0
        except IdleUnavailable:
            self.close()
            raise
        except Exception as exc:  # python-xlib's display and connection errors, OSError
            self.close()
            raise IdleUnavailable(f"X11: {exc}") from exc

    @property
    def backend(self) -> str:
        """``"libXss"`` or ``"python-xlib"``: what the next reading goes through."""
        return "libXss" if self._use_libxss else "python-xlib"

    def close(self) -> None:
        conn, self._conn = self._conn, None
        _close_quietly(conn)


# -- Windows ---------------------------------------------------------------------------------


class Win32InputApi(Protocol):
    def last_input_tick(self) -> int:
        """``GetLastInputInfo().dwTime`` (ms, 32-bit tick count)."""
        ...

    def tick_count(self) -> int:
        """``GetTickCount()`` (ms, wraps every 49.7 days)."""
        ...


class _Win32Input:  # pragma: no cover - Windows only
    def __init__(self) -> None:
        from ctypes import wintypes

        class LASTINPUTINFO(ctypes.Structure):
            _fields_ = [("cbSize", wintypes.UINT), ("dwTime", wintypes.DWORD)]

        self._info_type = LASTINPUTINFO
        self._user32 = ctypes.WinDLL("user32")  # type: ignore[attr-defined]
        self._kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
        self._user32.GetLastInputInfo.argtypes = (ctypes.POINTER(LASTINPUTINFO),)
        self._user32.GetLastInputInfo.restype = wintypes.BOOL
        self._kernel32.GetTickCount.restype = wintypes.DWORD

    def last_input_tick(self) -> int:
        info = self._info_type()
        info.cbSize = ctypes.sizeof(info)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            raise IdleUnavailable("GetLastInputInfo failed")
        return int(info.dwTime)

    def tick_count(self) -> int:
        return int(self._kernel32.GetTickCount())


class WindowsIdleSource:
    name = "Windows GetLastInputInfo"

    def __init__(self, api: Win32InputApi | None = None) -> None:
        self._api = api if api is not None else _Win32Input()

    def idle_seconds(self) -> float:
        last = self._api.last_input_tick()
        now = self._api.tick_count()
        return ((now - last) & 0xFFFFFFFF) / 1000.0  # both wrap at 2**32 ms

    def close(self) -> None:
        pass


# -- macOS -----------------------------------------------------------------------------------

_HID_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')


def parse_ioreg_idle(text: str) -> float:
    """Seconds from ``ioreg -c IOHIDSystem -d 4`` output (HIDIdleTime is nanoseconds)."""
    m = _HID_IDLE.search(text)
    if not m:
        raise IdleUnavailable("ioreg printed no HIDIdleTime")
    return int(m.group(1)) / 1e9


class MacIdleSource:
    name = "macOS IOKit HIDIdleTime"

    def __init__(self, run: Callable[[list[str]], str] | None = None) -> None:
        self._run = run or _run_text

    def idle_seconds(self) -> float:
        return parse_ioreg_idle(self._run(["ioreg", "-c", "IOHIDSystem", "-d", "4"]))

    def close(self) -> None:
        pass


def _run_text(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=5, check=True,
                              env=system_env())
    except (OSError, subprocess.SubprocessError) as exc:
        raise IdleUnavailable(f"{argv[0]}: {exc}") from exc
    return done.stdout.decode("utf-8", "replace")


# -- D-Bus (GNOME/KDE, also on Wayland) ------------------------------------------------------

_DBUS_METHODS = (
    ("GNOME Mutter IdleMonitor", "org.gnome.Mutter.IdleMonitor",
     "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor", "GetIdletime"),
    ("org.freedesktop.ScreenSaver", "org.freedesktop.ScreenSaver",
     "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "GetSessionIdleTime"),
)


class DBusIdleSource:
    """Asks the compositor over the session bus (both methods answer milliseconds)."""

    def __init__(self, method: tuple[str, str, str, str, str] = _DBUS_METHODS[0],
                 timeout: float = 2.0) -> None:
        self.name, self._bus_name, self._path, self._iface, self._method = method
        self.timeout = timeout
        self._conn: Any = None
        self._lock = threading.Lock()

    def idle_seconds(self) -> float:
        try:
            from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
            from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]
        except ImportError as exc:
            raise IdleUnavailable(f"jeepney is not installed: {exc}") from exc
        addr = DBusAddress(self._path, bus_name=self._bus_name, interface=self._iface)
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = open_dbus_connection(bus="SESSION", auth_timeout=self.timeout)
                reply = self._conn.send_and_get_reply(
                    new_method_call(addr, self._method), timeout=self.timeout)
                body = unwrap_msg(reply)
            except Exception as exc:
                self._close()
                raise IdleUnavailable(f"{self.name}: {exc}") from exc
        return float(body[0]) / 1000.0

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        _close_quietly(conn)

    def close(self) -> None:
        with self._lock:
            self._close()


def detect_idle_source(
    session: Session,
    *,
    x11: Callable[[], IdleSource] = X11IdleSource,
    dbus: Callable[[tuple[str, str, str, str, str]], IdleSource] = DBusIdleSource,
    windows: Callable[[], IdleSource] = WindowsIdleSource,
    mac: Callable[[], IdleSource] = MacIdleSource,
) -> tuple[IdleSource | None, str | None]:
    """The first source that answers now, or None and a one-line note for the user."""
    candidates: list[Callable[[], IdleSource]] = []
    if session.os == "windows":
        candidates = [windows]
    elif session.os == "macos":
        candidates = [mac]
    else:
        if session.display == "x11":
            candidates.append(x11)
        candidates += [lambda m=m: dbus(m) for m in _DBUS_METHODS]  # type: ignore[misc]
    problems: list[str] = []
    for make in candidates:
        try:
            source = make()
            source.idle_seconds()
        except IdleUnavailable as exc:
            problems.append(str(exc))
            continue
        except Exception as exc:  # a platform library missing or failing
            problems.append(f"{exc.__class__.__name__}: {exc}")
            continue
        log.info("idle time from %s", source.name)
        return source, None
    if problems:
        log.info("no idle source: %s", "; ".join(problems))
    where = "Wayland" if session.wayland else "this desktop"
    return None, (f"Idle detection is off: {where} does not tell how long you have been "
                  "away (supported: X11, GNOME/KDE over D-Bus, Windows, macOS).")


# -- the state machine -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerRef:
    """Enough of a running timer to name it and resume it later (by ``parent_id``)."""

    label: str
    start: datetime
    resume_id: str | None  # the root timer's id when known
    task_id: str | None = None
    description: str | None = None

    @classmethod
    def of(cls, running: Running) -> TimerRef:
        return cls(running.label, running.start, running.root_id or running.id,
                   running.task_id, running.description)


@dataclass(frozen=True)
class StopForIdle:
    """"Stop when idle": stop this timer now (the user has been away since ``since``)."""

    timer: TimerRef
    since: datetime


@dataclass(frozen=True)
class AwayWhileRunning:
    """Back after ``minutes`` away while the timer ran: offer Keep / Stop now."""

    minutes: int
    timer: TimerRef
    since: datetime


@dataclass(frozen=True)
class AwayStopped:
    """Back after ``minutes`` away; the timer was stopped for it: offer Resume."""

    minutes: int
    timer: TimerRef
    since: datetime


IdleEvent = StopForIdle | AwayWhileRunning | AwayStopped


class _Phase(Enum):
    ACTIVE = "active"
    AWAY = "away"


class IdleMonitor:
    """Pure: fed ``(now, idle seconds, running timer)`` on each tick, returns events.

    ``threshold`` seconds without input count as away. A wall-clock gap between two
    ticks longer than ``sleep_gap`` is taken as sleep: time away too."""

    def __init__(self, threshold: float, stop_when_idle: bool = False,
                 sleep_gap: float = 90.0) -> None:
        self.threshold = threshold
        self.stop_when_idle = stop_when_idle
        self.sleep_gap = sleep_gap
        self._phase = _Phase.ACTIVE
        self._since: datetime | None = None  # when the current away began
        self._stopped: TimerRef | None = None
        self._last: tuple[datetime, float] | None = None

    @property
    def away(self) -> bool:
        return self._phase is _Phase.AWAY

    def update(self, now: datetime, idle: float, running: Running | None) -> list[IdleEvent]:
        idle = max(0.0, idle)
        last, self._last = self._last, (now, idle)
        last_input = now - timedelta(seconds=idle)
        slept_from: datetime | None = None
        if last is not None and (now - last[0]).total_seconds() > self.sleep_gap:
            slept_from = last[0] - timedelta(seconds=last[1])  # last input before the gap
        events: list[IdleEvent] = []
        if self._phase is _Phase.ACTIVE:
            since = last_input if slept_from is None else min(last_input, slept_from)
            if idle >= self.threshold:
                self._phase, self._since, self._stopped = _Phase.AWAY, since, None
                if running is not None and self.stop_when_idle and running.start <= since:
                    self._stopped = TimerRef.of(running)
                    events.append(StopForIdle(self._stopped, since))
                return events
            if slept_from is not None and (last_input - since).total_seconds() >= self.threshold:
                # Slept and already back: the away is over before we could see it.
                events += self._came_back(since, last_input, running, stopped=None)
            return events
        # AWAY
        assert self._since is not None
        if idle < self.threshold:
            events += self._came_back(self._since, last_input, running, self._stopped)
            self._phase, self._since, self._stopped = _Phase.ACTIVE, None, None
        elif (running is not None and self.stop_when_idle and self._stopped is None
              and running.start <= self._since):
            self._stopped = TimerRef.of(running)  # setting turned on while away
            events.append(StopForIdle(self._stopped, self._since))
        return events

    def _came_back(self, since: datetime, back: datetime, running: Running | None,
                   stopped: TimerRef | None) -> list[IdleEvent]:
        minutes = max(1, round((back - since).total_seconds() / 60))
        if stopped is not None:
            return [AwayStopped(minutes, stopped, since)]
        if running is not None and running.start <= since:
            return [AwayWhileRunning(minutes, TimerRef.of(running), since)]
        return []  # nothing ran, or it was started while away (elsewhere): no prompt

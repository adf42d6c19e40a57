"""Desktop integration for real: Xvfb, xdotool, a private session bus and dunst.

Uses the shared fixture module tests/x11.py. Skipped with the reason when the tools are
missing, unless MRTIMER_REQUIRE_X11=1. Needs: apt-get install -y xvfb xdotool x11-utils
imagemagick trayer dbus dunst (libnotify-bin for the notify-send test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mrtimer.api import ApiClient, Timer
from mrtimer.core import App, Worker
from mrtimer.desktop import DesktopIntegration, Session
from mrtimer.desktop.hotkey import parse_hotkey, x11_taken
from mrtimer.desktop.idle import IdleUnavailable, X11IdleSource
from mrtimer.desktop.notify import (
    CommandNotifier,
    ControllerNotifier,
    DBusNotifier,
    NotificationCenter,
)
from mrtimer.sandbox import SandboxServer

import x11 as x11lib
from conftest import wait_until

pytestmark = pytest.mark.x11

API_KEY = "x11-desktop-key"


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[x11lib.Desktop]:
    """The shared X11 fixture: Xvfb plus a private session bus with dunst (no tray)."""
    x11lib.require("dunstctl", dbus=True)
    with x11lib.Desktop.start(tmp_path_factory.mktemp("desktop-x11"), tray=False,
                              dbus=True) as d:
        yield d


@pytest.fixture
def x11(desktop: x11lib.Desktop, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process on the test's X server (pynput and python-xlib read DISPLAY)."""
    monkeypatch.setenv("DISPLAY", desktop.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    return desktop.display


@pytest.fixture
def session_bus(desktop: x11lib.Desktop) -> dict[str, str]:
    return {"DISPLAY": desktop.display,
            "DBUS_SESSION_BUS_ADDRESS": desktop.env["DBUS_SESSION_BUS_ADDRESS"]}


def xdo(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=True,
                   timeout=10)


def dunst_seen(env: dict[str, str]) -> list[dict[str, object]]:
    """Every notification dunst got so far: close the shown ones, then read the history."""
    full = {**os.environ, **env}
    subprocess.run(["dunstctl", "close-all"], env=full, check=True, timeout=10)
    out = subprocess.run(["dunstctl", "history"], env=full, check=True, timeout=10,
                         capture_output=True).stdout
    items = json.loads(out)["data"][0]
    return [{k: v["data"] for k, v in item.items()} for item in items]


def wait_dunst(env: dict[str, str], summary: str, body: str) -> dict[str, object]:
    found: list[dict[str, object]] = []

    def seen() -> bool:
        found[:] = [n for n in dunst_seen(env) if n["summary"] == summary and n["body"] == body]
        return bool(found)

    assert wait_until(seen, timeout=10, interval=0.05), dunst_seen(env)
    return found[0]


# -- idle ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_libxss", [True, False], ids=["libXss", "python-xlib"])
def test_real_xscreensaver_idle_reading(x11: str, use_libxss: bool) -> None:
    source = X11IdleSource(use_libxss=use_libxss)
    try:
        assert wait_until(lambda: source.idle_seconds() >= 0.3, timeout=10)
        assert source.backend == ("libXss" if use_libxss else "python-xlib")
        xdo(x11, "mousemove", "40", "40")
        assert source.idle_seconds() < 0.3  # input resets the server's idle counter
        assert wait_until(lambda: source.idle_seconds() >= 0.3, timeout=10)  # counts again
    finally:
        source.close()
    source.close()  # twice: no-op


def test_xscreensaver_on_a_display_that_is_not_there(x11: str) -> None:
    for use_libxss in (True, False):
        source = X11IdleSource(":97", use_libxss=use_libxss)
        with pytest.raises(IdleUnavailable, match="X11"):
            source.idle_seconds()


# -- hotkeys against the sandbox ------------------------------------------------------------------


class Door:
    """The tray's door for these tests: notifications recorded, worker woken."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self.notes: list[tuple[str, str]] = []
        self.asked = threading.Event()
        self.cond = threading.Condition()

    def notify(self, title: str, text: str) -> None:
        with self.cond:
            self.notes.append((title, text))
            self.cond.notify_all()

    def can_notify(self) -> bool:
        return True

    def ask_description(self, callback: Callable[[str | None], None]) -> None:
        self.asked.set()
        callback(None)

    def desktop_changed(self) -> None:
        pass

    def action_queued(self) -> None:
        self.wake()

    def wait_note(self, title: str, count: int = 1) -> None:
        with self.cond:
            assert self.cond.wait_for(
                lambda: sum(t == title for t, _ in self.notes) >= count, 10), self.notes


def server_timers(server: SandboxServer) -> list[Timer]:
    with ApiClient(server.base_url, lambda: API_KEY) as c:
        from datetime import UTC, datetime
        return [t for root in c.list_week(datetime.now(UTC).date()) for t in root.walk()]


def server_running(server: SandboxServer) -> Timer | None:
    found = [t for t in server_timers(server) if t.running]
    return found[0] if found else None


def test_xdotool_hotkey_toggles_the_sandbox_timer(x11: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server = SandboxServer(port=0).start()
    monkeypatch.setenv("MRTIMER_API_KEY", API_KEY)
    app = App.load(base_url=server.base_url)
    worker = Worker(app.tracker)
    door = Door(worker.wake)
    desktop = DesktopIntegration(app, app.tracker, door, session=Session.detect(),
                                 autostart=None, notifiers=[], hotkey_debounce=0.0)
    try:
        worker.start()
        app.tracker.start(description="Hotkey test")
        worker.wake()
        assert wait_until(lambda: server_running(server) is not None)
        root = server_running(server)
        assert root is not None

        desktop.start()
        assert wait_until(lambda: desktop.hotkeys is not None and desktop.hotkeys.ready.is_set())
        assert desktop.status().hotkeys_active and desktop.status().notes == ()

        xdo(x11, "key", parse_hotkey(app.settings.hotkey_toggle).xdotool)
        door.wait_note("Stopped")
        assert wait_until(lambda: server_running(server) is None)

        # A wrong combination changes nothing. The "new timer" hotkey pressed after it
        # proves the listener has seen both (X delivers keys in order).
        before = server_timers(server)
        xdo(x11, "key", "ctrl+alt+t")
        xdo(x11, "key", "ctrl+shift+t")
        xdo(x11, "key", parse_hotkey(app.settings.hotkey_new).xdotool)
        assert door.asked.wait(10)
        assert desktop.wait_idle(5)
        assert app.tracker.state.pending == () and app.tracker.state.running is None
        assert server_timers(server) == before
        assert [t for t, _ in door.notes] == ["Stopped"]

        xdo(x11, "key", "ctrl+alt+shift+t")
        door.wait_note("Started")
        assert wait_until(lambda: server_running(server) is not None)
        resumed = server_running(server)
        assert resumed is not None and resumed.parent_id == root.id
    finally:
        stopped = desktop.stop(1.0)
        worker.stop()
        app.close()
        server.stop()
    assert stopped
    assert not [t.name for t in threading.enumerate()
                if t.name.startswith(("mrtimer-hotkey", "mrtimer-desktop", "mrtimer-notify"))]


def test_pynput_accepts_what_we_parse(x11: str) -> None:
    from pynput.keyboard import HotKey

    for text in ("<ctrl>+<alt>+<shift>+t", "<cmd>+<f5>", "<ctrl>+<65>", "<ctrl>++"):
        assert len(HotKey.parse(parse_hotkey(text).text)) == len(HotKey.parse(text))


def test_a_hotkey_grabbed_by_another_program_is_reported(x11: str) -> None:
    from Xlib import X
    from Xlib import display as xdisplay

    toggle = parse_hotkey("<ctrl>+<alt>+<shift>+t")
    new = parse_hotkey("<ctrl>+<alt>+<shift>+n")
    other = xdisplay.Display(x11)  # "another program" holding the toggle combination
    keycode = other.keysym_to_keycode(ord("t"))
    mods = X.ControlMask | X.Mod1Mask | X.ShiftMask
    other.screen().root.grab_key(keycode, mods, False, X.GrabModeAsync, X.GrabModeAsync)
    other.sync()
    try:
        assert x11_taken([toggle, new]) == [toggle]
        # Our probe released what it grabbed: another program can still take "new".
        assert x11_taken([new]) == []
        probe = xdisplay.Display(x11)
        from Xlib import error
        catch = error.CatchError(error.BadAccess)
        probe.screen().root.grab_key(other.keysym_to_keycode(ord("n")), mods, False,
                                     X.GrabModeAsync, X.GrabModeAsync, onerror=catch)
        probe.sync()
        assert catch.get_error() is None
        probe.close()

        reports: list[str] = []
        from mrtimer.desktop.hotkey import HotkeyService
        svc = HotkeyService({"toggle": toggle, "new": new}, lambda n: None, reports.append,
                            preflight=x11_taken, names={"toggle": "hotkey_toggle"})
        svc.start()
        try:
            assert wait_until(lambda: svc.ready.is_set())
        finally:
            assert svc.stop(1.0)
        assert reports == ["Hotkey Ctrl+Alt+Shift+T is already used by another program: "
                           "choose another one in the settings (hotkey_toggle)."]
    finally:
        other.close()


# -- notifications through a real notification server ---------------------------------------------


def test_dbus_notification_reaches_dunst(session_bus: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in session_bus.items():
        monkeypatch.setenv(k, v)
    notifier = DBusNotifier()
    assert notifier.available()
    notifier.send("Stopped", "Write docs 'quoted' & <b>")
    got = wait_dunst(session_bus, "Stopped", "Write docs 'quoted' & <b>")
    assert got["appname"] == "Meet and Rock Timer"


def test_center_falls_back_to_dbus_when_the_tray_cannot(session_bus: dict[str, str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in session_bus.items():
        monkeypatch.setenv(k, v)
    door = Door(lambda: None)
    door.can_notify = lambda: False  # type: ignore[method-assign]  # the xorg backend
    center = NotificationCenter([ControllerNotifier(door), DBusNotifier()])
    center.start()
    try:
        assert center.post("Offline", "1 action waiting")
        assert center.wait_idle(10)
    finally:
        assert center.stop(1.0)
    assert door.notes == [] and center.sent[-1][0] == "D-Bus org.freedesktop.Notifications"
    wait_dunst(session_bus, "Offline", "1 action waiting")


def test_notify_send_reaches_dunst(session_bus: dict[str, str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("notify-send") is None:
        pytest.skip("notify-send is not installed (apt-get install libnotify-bin)")
    for k, v in session_bus.items():
        monkeypatch.setenv(k, v)
    CommandNotifier.notify_send().send("Back online", "Waiting actions were sent.")
    wait_dunst(session_bus, "Back online", "Waiting actions were sent.")


def test_no_notification_server_is_an_error_not_a_hang(x11: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    from mrtimer.desktop.notify import NotifyError
    start = time.monotonic()
    with pytest.raises(NotifyError):
        DBusNotifier(timeout=2).send("t", "x")
    assert time.monotonic() - start < 3


# -- idle over D-Bus (the GNOME/KDE Wayland path) against a stand-in Mutter ------------------------


class FakeMutter:
    """Answers org.gnome.Mutter.IdleMonitor.GetIdletime on the private bus (a thread)."""

    def __init__(self, idle_ms: int) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.idle_ms = idle_ms
        self.conn = open_dbus_connection(bus="SESSION")
        reply = self.conn.send_and_get_reply(
            message_bus.RequestName("org.gnome.Mutter.IdleMonitor"), timeout=5)
        assert reply.body == (1,)  # primary owner
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="test-fake-mutter")
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import MessageType, new_error, new_method_return

        while not self.done.is_set():
            try:
                msg = self.conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            if msg.header.message_type != MessageType.method_call:
                continue
            if msg.header.fields.get(3) == "GetIdletime":  # 3: the member field
                self.conn.send(new_method_return(msg, "t", (self.idle_ms,)))
            else:
                self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def close(self) -> None:
        self.done.set()
        self.thread.join(2)
        self.conn.close()


def test_idle_from_mutter_over_dbus_on_wayland(session_bus: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from mrtimer.desktop.idle import DBusIdleSource, detect_idle_source

    for k, v in session_bus.items():
        monkeypatch.setenv(k, v)
    source, note = detect_idle_source(Session("linux", "wayland", "gnome"))
    assert source is None and note is not None and "Wayland" in note  # nobody answers yet
    mutter = FakeMutter(idle_ms=754_000)
    try:
        source, note = detect_idle_source(Session("linux", "wayland", "gnome"))
        assert note is None and isinstance(source, DBusIdleSource)
        assert source.name == "GNOME Mutter IdleMonitor"
        assert source.idle_seconds() == 754.0
        mutter.idle_ms = 1_500
        assert source.idle_seconds() == 1.5
        source.close()
    finally:
        mutter.close()

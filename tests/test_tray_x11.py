"""The tray app on a real X server: Xvfb + trayer + a private session bus with dunst.

`mrtimer tray` runs as a subprocess against a sandbox API running in this process.
Each test drives it as a person would (xdotool clicks and keys), checks what the
screen shows by pixels, and checks the sandbox's state after each menu action.
Screenshots go to ``artifacts/screenshots/`` (named in the README).

The tray writes what it shows to ``MRTIMER_TRAY_PROBE/state.json`` (title, icon,
menu model) and its dialogs write ``dialog-KIND.json`` (window ids, the popup menu's
entry positions): tests wait on those files instead of sleeping.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mrtimer.api import Timer
from mrtimer.api._models import decode_timer
from mrtimer.core.state import find_running
from mrtimer.sandbox import DEMO_TASKS, Fault, SandboxServer

import x11

pytestmark = pytest.mark.x11

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
TESTS = Path(__file__).resolve().parent
KEY = "tray-x11-key-5c1e"
TASK = {title: task_id for task_id, title, _project in DEMO_TASKS}


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[x11.Desktop]:
    x11.require(dbus=True)
    with x11.Desktop.start(tmp_path_factory.mktemp("x11"), dbus=True) as d:
        yield d


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    srv = SandboxServer("127.0.0.1", 0, key=KEY).start()
    srv.seed_demo(KEY)
    yield srv
    srv.stop()


# -- the app under test ---------------------------------------------------------------------


def zoom(img: Image.Image, factor: int = 3) -> Image.Image:
    return img.resize((img.width * factor, img.height * factor), Image.Resampling.NEAREST)


def green(px: tuple[int, int, int]) -> bool:
    r, g, b = px
    return g > 110 and g > r + 50 and g > b + 40


def white(px: tuple[int, int, int]) -> bool:
    return min(px) > 235


def ink(px: tuple[int, int, int]) -> bool:  # the idle stopwatch's slate outline
    r, g, b = px
    return r < 100 and g < 110 and b < 130


class Tray:
    """One `mrtimer tray` process and what it shows."""

    def __init__(self, desktop: x11.Desktop, home: Path, backend: str,
                 proc: subprocess.Popen[bytes]) -> None:
        self.desktop = desktop
        self.home = home
        self.backend = backend
        self.proc = proc
        self.probe = home / "probe"

    def state(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.probe / "state.json").read_text())
        except (OSError, ValueError):
            return None
        return data

    def wait_state(self, predicate: Callable[[dict[str, Any]], bool], what: str,
                   timeout: float = 15.0) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            self.assert_alive()
            st = self.state()
            return st if st is not None and predicate(st) else None

        try:
            return x11.poll(check, timeout, what=what)
        except AssertionError as exc:
            st = self.state() or {}
            log = (self.home / "logs" / "mrtimer.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"{exc}; last shown: {st.get('title')!r} {st.get('icon')!r}"
                                 f" (seq {st.get('seq')})\n{log}") from None

    def assert_alive(self) -> None:
        code = self.proc.poll()
        if code is not None:
            log = (self.home / "tray.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"the tray exited with {code}:\n{log}")

    def dialog(self, kind: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.probe / f"dialog-{kind}.json").read_text())
        except (OSError, ValueError):
            return None
        return data

    def wait_dialog(self, kind: str) -> dict[str, Any]:
        """A dialog once it is shown and has the keyboard focus."""
        return x11.poll(lambda: (lambda d: d if d and d.get("ready") else None)(
            self.dialog(kind)), 10, what=f"the {kind} dialog")

    def forget_dialog(self, kind: str) -> None:
        (self.probe / f"dialog-{kind}.json").unlink(missing_ok=True)

    def icon(self) -> x11.Window:
        return self.desktop.wait_for_icon(timeout=15)

    def menu_texts(self) -> list[str]:
        st = self.state()
        assert st is not None
        return [e["text"] for e in st["menu"]]

    # -- native menus (gtk, appindicator): keyboard after a click ---------------------

    def choose(self, text: str, button: int) -> None:
        """Open the native menu and activate the entry whose text starts with ``text``."""
        st = self.state()
        assert st is not None
        active = [e for e in st["menu"] if e["active"]]
        index = next((i for i, e in enumerate(active) if e["text"].startswith(text)), None)
        assert index is not None, f"no active menu entry {text!r} in {st['menu']}"
        self.open_native_menu(button)
        if text == "Quit":
            self.desktop.key("Up", "Return")  # the last entry
        else:
            self.desktop.key(*["Down"] * (index + 1), "Return")
        self.desktop.move(600, 600)

    def open_native_menu(self, button: int) -> x11.Window:
        icon = self.icon()
        self.desktop.click(*icon.center, button=button)
        return self.desktop.wait_for_window_type("POPUP_MENU", timeout=10)

    # -- the xorg fallback: the popup menu child, clicked by position -----------------

    def choose_popup(self, text: str) -> None:
        self.forget_dialog("menu")
        icon = self.icon()
        self.desktop.click(*icon.center, button=1)
        entries = x11.poll(lambda: (self.dialog("menu") or {}).get("entries"), 10,
                           what="the popup menu")
        entry = next((e for e in entries if e["text"].startswith(text)), None)
        assert entry is not None and entry["state"] == "normal", (text, entries)
        self.desktop.click(entry["x"], entry["y"])
        self.desktop.move(600, 600)

    def stop(self) -> int | None:
        return self.desktop.stop(self.proc)


def launch(desktop: x11.Desktop, home: Path, backend: str, server: SandboxServer | None,
           key: str | None = KEY, extra: dict[str, str] | None = None,
           wait_icon: bool = True, command: list[str] | None = None) -> Tray:
    """Start `mrtimer tray` (hotkeys off: the desktop tests cover them); ``command``
    replaces `python -m mrtimer` (a frozen build's executable)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "settings.toml").write_text("hotkeys_enabled = false\n")
    env = {
        "MRTIMER_HOME": str(home),
        "MRTIMER_TRAY_PROBE": str(home / "probe"),
        "PYSTRAY_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "PYTHON_KEYRING_BACKEND": "memkeyring.FileKeyring",
        "MRTIMER_TEST_KEYRING": str(home / "keyring.json"),
        **(extra or {}),
    }
    if key is not None:
        env["MRTIMER_API_KEY"] = key
    argv = list(command) if command else [sys.executable, "-m", "mrtimer"]
    if server is not None:
        argv += ["--base-url", server.base_url]
    argv.append("tray")
    with open(home / "tray.log", "ab") as log:
        proc = desktop.spawn(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    tray = Tray(desktop, home, backend, proc)
    if wait_icon:
        tray.icon()
        tray.wait_state(lambda st: st["backend"] == backend, "the tray's first view")
    return tray


def launch_docked(desktop: x11.Desktop, home: Path, backend: str, server: SandboxServer,
                  **kw: Any) -> Tray:
    """xorg docking is not certain (pystray asks the tray once): retry the launch once."""
    for attempt in (1, 2):
        tray = launch(desktop, home, backend, server, wait_icon=False, **kw)
        try:
            desktop.wait_for_icon(timeout=10)
            tray.wait_state(lambda st: st["backend"] == backend, "the tray's first view")
            return tray
        except AssertionError:
            tray.stop()
            if attempt == 2:
                raise
            x11.poll(lambda: not desktop.tray_icons(), 10, what="the old icon to go")
    raise AssertionError("unreachable")


def running(server: SandboxServer) -> Timer | None:
    """The sandbox's running timer for our key, read from its store (no HTTP)."""
    user = hashlib.sha256(KEY.encode()).hexdigest()[:32]
    today = datetime.now(UTC).date()
    roots = [decode_timer(t) for t in server.store.list_week(user, today)]
    found = find_running(roots)
    return found[0] if found else None


def wait_running(server: SandboxServer, task: str | None, timeout: float = 10.0) -> None:
    want = TASK.get(task) if task else None

    def check() -> bool:
        timer = running(server)
        if task is None:
            return timer is None
        return timer is not None and timer.task_id == want

    x11.poll(check, timeout, what=f"the sandbox to run {task!r}")


def icon_box(icon: x11.Window) -> tuple[int, int, int, int]:
    """The square the icon is drawn in, centred in its tray slot."""
    side = min(icon.width, icon.height)
    x = icon.x + (icon.width - side) // 2
    y = icon.y + (icon.height - side) // 2
    return x, y, x + side, y + side


def wait_icon_pixels(tray: Tray, predicate: Callable[[Image.Image], bool], what: str
                     ) -> Image.Image:
    """The docked icon's pixels once ``predicate`` holds (the redraw can lag the probe)."""
    def check() -> Image.Image | None:
        img = tray.desktop.screenshot(box=icon_box(tray.icon()))
        return img if predicate(img) else None

    return x11.poll(check, 10, interval=0.1, what=what)


def is_idle(img: Image.Image) -> bool:
    return x11.share(img, white) > 0.08 and x11.share(img, ink) > 0.05 and \
        x11.share(img, green) < 0.01


def is_running(img: Image.Image) -> bool:
    return x11.share(img, green) > 0.20


# -- tests ------------------------------------------------------------------------------------


def test_gtk_icon_docks_and_the_menu_starts_switches_and_stops(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    tray = launch(desktop, tmp_path / "gtk", "gtk", server)
    try:
        st = tray.wait_state(lambda st: any(e["text"] == "Code review" for e in st["menu"]),
                             "recent tasks from the sandbox")
        assert st["session"] == "api" and st["title"].startswith("Not tracking · today")
        idle = wait_icon_pixels(tray, is_idle, "the idle stopwatch")
        zoom(idle, 4).save(SHOTS / "tray-gtk-idle.png")

        # The title is a real tooltip on the gtk backend.
        desktop.move(*tray.icon().center)
        tip = desktop.wait_for_window_type("TOOLTIP")
        desktop.screenshot(SHOTS / "tray-gtk-tooltip.png",
                           box=(0, 0, max(320, tip.x + tip.width + 8), tip.y + tip.height + 8))
        desktop.move(600, 600)

        # Start a recent task from the menu.
        menu = tray.open_native_menu(button=3)
        desktop.screenshot(SHOTS / "tray-gtk-menu.png",
                           box=(0, 0, max(320, menu.x + menu.width + 8),
                                menu.y + menu.height + 8))
        desktop.key("Escape")
        tray.choose("Fix login bug", button=3)
        wait_running(server, "Fix login bug")
        st = tray.wait_state(lambda st: st["icon"] == "running" and
                             st["title"].startswith("Fix login bug · 0:0"), "running")
        assert "Fix login bug · 0:0" in st["menu"][0]["text"]
        busy = wait_icon_pixels(tray, is_running, "the green running stopwatch")
        zoom(busy, 4).save(SHOTS / "tray-gtk-running.png")
        assert x11.differs(idle, busy) > 0.15

        # Switch: another recent task while one runs.
        tray.choose("Code review", button=3)
        wait_running(server, "Code review")
        tray.wait_state(lambda st: st["title"].startswith("Code review ·"), "switched")

        # Stop.
        tray.choose("Stop", button=3)
        wait_running(server, None)
        tray.wait_state(lambda st: st["icon"] == "idle" and not st["running"], "stopped")
        wait_icon_pixels(tray, is_idle, "the idle stopwatch again")

        # Quit from the menu: the process ends by itself, cleanly.
        tray.choose("Quit", button=3)
        assert tray.proc.wait(10) == 0
        x11.poll(lambda: not desktop.tray_icons(), 10, what="the icon to go away")
    finally:
        tray.stop()


def test_appindicator_menu_opens_on_a_left_click(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    tray = launch(desktop, tmp_path / "ai", "appindicator", server)
    try:
        tray.wait_state(lambda st: any(e["text"] == "Team meeting" for e in st["menu"]),
                        "recent tasks")
        menu = tray.open_native_menu(button=1)
        desktop.screenshot(SHOTS / "tray-appindicator-menu.png",
                           box=(0, 0, max(320, menu.x + menu.width + 8),
                                menu.y + menu.height + 8))
        desktop.key("Escape")
        tray.choose("Team meeting", button=1)
        wait_running(server, "Team meeting")
        tray.wait_state(lambda st: st["title"].startswith("Team meeting ·"), "running")
        wait_icon_pixels(tray, is_running, "the running icon")
        tray.choose("Stop", button=1)
        wait_running(server, None)
        tray.choose("Quit", button=1)
        assert tray.proc.wait(10) == 0
    finally:
        tray.stop()


def test_xorg_fallback_click_opens_the_full_menu(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    tray = launch_docked(desktop, tmp_path / "xorg", "xorg", server)
    try:
        st = tray.wait_state(lambda st: any(e["text"] == "Write release notes"
                                            for e in st["menu"]), "recent tasks")
        idle = wait_icon_pixels(tray, is_idle, "the idle icon on the panel's background")
        zoom(idle, 4).save(SHOTS / "tray-xorg-idle.png")
        # The icon is drawn square over the panel colour, not stretched over black.
        assert x11.share(idle, lambda px: max(px) < 20) < 0.02

        # Its title: UTF-8 _NET_WM_NAME, and a tooltip window on hover.
        window = desktop.icon_window(tray.icon())
        assert window is not None and desktop.wm_name(window.id) == st["title"]
        desktop.move(*tray.icon().center)
        tip = desktop.wait_for_window_type("TOOLTIP")
        desktop.screenshot(SHOTS / "tray-xorg-tooltip.png",
                           box=(0, 0, max(320, tip.x + tip.width + 8), tip.y + tip.height + 8))

        # A click opens the whole menu (a popup child process); pick a recent task.
        tray.forget_dialog("menu")
        desktop.click(*tray.icon().center)
        x11.poll(lambda: (tray.dialog("menu") or {}).get("entries"), 10, what="the popup")
        shot = desktop.screenshot()
        box = shot.getbbox()
        assert box is not None
        desktop.screenshot(SHOTS / "tray-xorg-menu.png", box=(0, 0, 320, min(box[3], 560)))
        desktop.click(700, 600)  # a click elsewhere closes it, choosing nothing
        x11.poll(lambda: not _alive(tray.dialog("menu")), 10, what="the popup to close")

        tray.choose_popup("Write release notes")
        wait_running(server, "Write release notes")
        tray.wait_state(lambda st: st["icon"] == "running", "running")
        busy = wait_icon_pixels(tray, is_running, "the running icon")
        zoom(busy, 4).save(SHOTS / "tray-xorg-running.png")
        tray.choose_popup("Fix login bug")
        wait_running(server, "Fix login bug")
        tray.choose_popup("Stop")
        wait_running(server, None)
        tray.choose_popup("Quit")
        assert tray.proc.wait(10) == 0
    finally:
        tray.stop()


def _alive(dialog: dict[str, Any] | None) -> bool:
    if not dialog:
        return False
    try:
        os.kill(int(dialog["pid"]), 0)
    except (OSError, ValueError):
        return False
    return True


def test_a_click_shows_at_once_whatever_the_api_does(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    tray = launch(desktop, tmp_path / "slow", "gtk", server)
    try:
        tray.wait_state(lambda st: any(e["text"] == "Code review" for e in st["menu"]),
                        "recent tasks")
        server.faults.latency = 3.0  # every request now takes 3 s
        tray.choose("Code review", button=3)
        pressed = time.monotonic()
        st = tray.wait_state(lambda st: st["icon"] == "running", "the optimistic state", 5)
        shown = time.monotonic() - pressed
        assert running(server) is None  # the API hasn't got it yet
        assert shown < 1.5, shown  # includes xdotool and file polling; unit test: < 50 ms
        assert "(waiting to sync)" in st["menu"][0]["text"]
        wait_running(server, "Code review", timeout=20)
        tray.wait_state(lambda st: "(waiting to sync)" not in st["menu"][0]["text"],
                        "the confirmed state", 20)
    finally:
        server.faults.latency = 0.0
        tray.stop()


def test_a_second_start_says_so_and_opens_the_menu(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    home = tmp_path / "one"
    tray = launch(desktop, home, "gtk", server)
    try:
        before = tray.wait_state(lambda st: True, "the first view")["menus_shown"]
        env = {**os.environ, **desktop.env, "MRTIMER_HOME": str(home),
               "MRTIMER_API_KEY": KEY, "PYSTRAY_BACKEND": "gtk"}
        second = subprocess.run([sys.executable, "-m", "mrtimer", "tray"], env=env,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == "Meet and Rock Timer is already running"
        tray.wait_state(lambda st: st["menus_shown"] > before, "the first to open its menu")
        desktop.wait_for_window_type("POPUP_MENU")
        desktop.key("Escape")
        assert len(desktop.tray_icons()) == 1
    finally:
        tray.stop()


def test_quit_while_the_api_hangs_keeps_the_queued_action(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    home = tmp_path / "hang"
    tray = launch(desktop, home, "gtk", server)
    try:
        tray.wait_state(lambda st: any(e["text"] == "Fix login bug" for e in st["menu"]),
                        "recent tasks")
        tray.choose("Fix login bug", button=3)
        wait_running(server, "Fix login bug")
        tray.wait_state(lambda st: st["icon"] == "running" and
                        "(waiting" not in st["menu"][0]["text"], "confirmed running")
        server.faults.add(Fault("delay", method="POST", path_contains="/stop", seconds=60))
        tray.choose("Stop", button=3)
        x11.poll(lambda: any(m == "POST" and p.endswith("/stop") for m, p in server.requests),
                 10, what="the stop request to hang")
        tray.wait_state(lambda st: st["icon"] == "idle", "stopped (optimistic)")
        asked = time.monotonic()
        tray.choose("Quit", button=3)
        assert tray.proc.wait(10) == 0
        assert time.monotonic() - asked < 5.0  # 2 s to join threads, the rest is startup
    finally:
        tray.stop()
        server.delay_gate.set()  # let the hung request finish (the server stops it anyway)
    # The stop stayed in the outbox; the next mrtimer command sends it (once it's
    # reconciled with what the hung request did).
    env = {**os.environ, "MRTIMER_HOME": str(home), "MRTIMER_API_KEY": KEY,
           "MRTIMER_BASE_URL": server.base_url}
    queued = subprocess.run([sys.executable, "-m", "mrtimer", "queue", "--json"], env=env,
                            capture_output=True, text=True, timeout=30)
    pending = json.loads(queued.stdout)["pending"]
    assert [a["action"] for a in pending] == ["stop"], queued.stdout
    status = subprocess.run([sys.executable, "-m", "mrtimer", "status", "--json"], env=env,
                            capture_output=True, text=True, timeout=30)
    assert json.loads(status.stdout)["running"] is None, status.stdout
    wait_running(server, None)


def test_sign_in_checks_the_key_then_leaves_the_sandbox(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    home = tmp_path / "signin"
    tray = launch(desktop, home, "gtk", server, key=None)
    try:
        st = tray.wait_state(lambda st: st["session"] == "sandbox" and any(
            e["text"] == "Fix login bug" for e in st["menu"]), "the sandbox's demo tasks")
        assert st["title"].endswith("· Sandbox")
        assert st["menu"][0]["text"].startswith("Sandbox")
        tray.choose("Sign in…", button=3)
        dialog = tray.wait_dialog("signin")
        desktop.wait_viewable(dialog["window"])
        desktop.focus(dialog["window"])
        desktop.type("not-the-key")
        desktop.key("Return")
        refused = x11.poll(lambda: (lambda d: d if "refused" in d.get("status", "") else None)(
            tray.dialog("signin") or {}), 15, what="the refusal")
        assert "Nothing was stored" in refused["status"]
        assert not (home / "keyring.json").exists()
        win = desktop.wait_viewable(dialog["window"])
        desktop.screenshot(SHOTS / "tray-signin-dialog.png",
                           box=(max(0, win.x - 8), max(0, win.y - 8),
                                win.x + win.width + 8, win.y + win.height + 8))
        desktop.type(KEY)  # the refused key is selected: typing replaces it
        desktop.key("Return")
        tray.wait_state(lambda st: st["session"] == "api" and st["auth"] == "ok",
                        "the API session", 20)
        stored = json.loads((home / "keyring.json").read_text())
        assert list(stored.values()) == [KEY]
        st = tray.wait_state(lambda st: "Sandbox" not in st["title"] and
                             any(e["text"] == "Sign out" for e in st["menu"]), "signed in")
        assert not st["menu"][0]["text"].startswith("Sandbox")
    finally:
        tray.stop()


def test_new_timer_discard_and_settings_dialogs(
        desktop: x11.Desktop, server: SandboxServer, tmp_path: Path) -> None:
    tray = launch(desktop, tmp_path / "dialogs", "gtk", server)
    try:
        tray.wait_state(lambda st: any(e["text"] == "Code review" for e in st["menu"]),
                        "recent tasks")
        # New timer…: a description prompt; Return starts it.
        tray.choose("New timer…", button=3)
        dialog = tray.wait_dialog("describe")
        desktop.wait_viewable(dialog["window"])
        desktop.focus(dialog["window"])
        desktop.type("Pairing on the importer")
        win = desktop.wait_viewable(dialog["window"])
        desktop.screenshot(SHOTS / "tray-new-timer-dialog.png",
                           box=(win.x - 8, win.y - 8, win.x + win.width + 8,
                                win.y + win.height + 8))
        desktop.key("Return")

        def described() -> bool:
            timer = running(server)
            return timer is not None and timer.description == "Pairing on the importer"

        x11.poll(described, 10, what="the described timer on the server")
        st = tray.wait_state(lambda st: st["title"].startswith("Pairing on the importer ·") and
                             "(waiting" not in st["menu"][0]["text"], "the new timer")

        # Discard running timer…: a confirmation; the safe button has the focus.
        tray.choose("Discard running timer…", button=3)
        confirm = tray.wait_dialog("confirm")
        win = desktop.wait_viewable(confirm["window"])
        desktop.screenshot(SHOTS / "tray-discard-dialog.png",
                           box=(win.x - 8, win.y - 8, win.x + win.width + 8,
                                win.y + win.height + 8))
        desktop.focus(confirm["window"])
        desktop.key("Tab", "space")  # from "Keep it" to "Discard"
        wait_running(server, None)
        user = hashlib.sha256(KEY.encode()).hexdigest()[:32]
        descriptions = [t["description"] for t in
                        server.store.list_week(user, datetime.now(UTC).date())]
        assert "Pairing on the importer" not in descriptions  # deleted, not stopped
        st = tray.wait_state(lambda st: st["icon"] == "idle" and not any(
            e["text"].startswith("Pairing") for e in st["menu"]), "idle, the timer gone")

        # Settings…: the form opens (and Escape closes it without saving).
        tray.choose("Settings…", button=3)
        form = tray.wait_dialog("settings")
        win = desktop.wait_viewable(form["window"])
        desktop.screenshot(SHOTS / "tray-settings-dialog.png",
                           box=(win.x - 8, win.y - 8, win.x + win.width + 8,
                                win.y + win.height + 8))
        desktop.focus(form["window"])
        desktop.key("Escape")
        x11.poll(lambda: not _alive(tray.dialog("settings")), 10, what="the form to close")
        assert not (tmp_path / "dialogs" / "config" / "settings.toml").read_text().count("\n") > 1
        assert st["session"] == "api"
    finally:
        tray.stop()

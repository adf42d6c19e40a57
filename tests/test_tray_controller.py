"""The tray's controller (the one door to the UI thread) with a stand-in tray, against a
real sandbox API: optimistic updates, the tick, quitting, sign-in, settings, reports,
desktop integration hooks. No screen needed."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PIL import Image

import mrtimer.tray.controller as controller_module
from mrtimer.core import App, Worker
from mrtimer.sandbox import DEMO_TASKS, Fault, SandboxServer
from mrtimer.tray.controller import TrayController
from mrtimer.tray.dialogs import DialogHandle, Dialogs
from mrtimer.tray.model import Cmd, Command
from mrtimer.tray.session import Session, open_initial, open_real

from conftest import wait_until

KEY = "tray-unit-key-81f0"
TASK = {title: task_id for task_id, title, _p in DEMO_TASKS}


class FakeTray:
    """Stands in for pystray: a UI thread that runs what ``call_soon`` hands it, and a
    record of what was shown (and from which thread)."""

    backend = "fake"
    mono = False
    native_menu = True
    size = 24
    can_notify = True

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.ui: threading.Thread | None = None
        self.shown: list[tuple[float, str, object]] = []
        self.wrong_thread: list[str] = []
        self.changed = threading.Condition()
        self.notes: list[tuple[str, str]] = []
        self.popups = 0

    def call_soon(self, fn: Callable[[], None]) -> None:
        self.calls.put(fn)

    def run(self, setup: Callable[[], None]) -> None:
        self.ui = threading.current_thread()
        helper = threading.Thread(target=setup, name="setup")
        helper.start()
        while True:
            fn = self.calls.get()
            if fn is None:
                break
            fn()
        helper.join()

    def _record(self, what: str, value: object) -> None:
        if threading.current_thread() is not self.ui:
            self.wrong_thread.append(what)
        with self.changed:
            self.shown.append((time.perf_counter(), what, value))
            self.changed.notify_all()

    def show(self) -> None:
        self._record("show", True)

    def wait_shown(self, timeout: float) -> bool:
        return True  # shown() is recorded at once

    def stop(self) -> None:
        self._record("stop", True)
        self.calls.put(None)

    def set_image(self, image: Image.Image) -> None:
        self._record("image", image)

    def set_title(self, title: str) -> None:
        self._record("title", title)

    def update_menu(self) -> None:
        self._record("menu", None)

    def popup_menu(self) -> bool:
        self._record("popup", None)
        self.popups += 1
        return True

    def notify(self, title: str, text: str) -> bool:
        self._record("notify", (title, text))
        self.notes.append((title, text))
        return True

    def titles(self) -> list[str]:
        with self.changed:
            return [str(v) for _t, what, v in self.shown if what == "title"]

    def wait_title(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> float:
        """When (perf_counter) a title matching ``predicate`` was shown."""
        with self.changed:
            ok = self.changed.wait_for(lambda: any(
                w == "title" and predicate(str(v)) for _t, w, v in self.shown), timeout)
            assert ok, f"no such title in {[v for _t, w, v in self.shown if w == 'title']}"
            return next(t for t, w, v in self.shown if w == "title" and predicate(str(v)))


class Rig:
    def __init__(self, controller: TrayController, tray: FakeTray) -> None:
        self.controller = controller
        self.tray = tray
        self.ui = threading.Thread(target=controller.run, name="fake-ui")

    def start(self) -> Rig:
        self.controller.bind(self.tray)  # type: ignore[arg-type]
        self.ui.start()
        return self

    def on_ui(self, fn: Callable[[], None]) -> None:
        self.controller.post(fn)

    def quit(self) -> bool:
        self.controller.quit()
        self.ui.join(5)
        assert not self.ui.is_alive()
        return self.controller.shutdown(time.monotonic() + 2.0)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    srv = SandboxServer("127.0.0.1", 0, key=KEY).start()
    srv.seed_demo(KEY)
    yield srv
    srv.stop()


@pytest.fixture
def rig(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.setenv("MRTIMER_API_KEY", KEY)
    session = open_real(server.base_url)
    tray = FakeTray()
    r = Rig(TrayController(session, base_url_arg=server.base_url), tray).start()
    assert wait_until(lambda: len(r.controller.state.recent) == 4, timeout=10)
    yield r
    if r.ui.is_alive():
        r.quit()


def running_task(server: SandboxServer) -> str | None:
    from mrtimer.api import ApiClient
    from mrtimer.core.state import find_running

    with ApiClient(server.base_url, lambda: KEY) as client:
        found = find_running(client.list_week(None))
    return found[0].task_id if found else None


def test_a_click_shows_within_50ms_while_the_api_hangs(rig: Rig, server: SandboxServer) -> None:
    server.faults.add(Fault("delay", method="POST", path_contains="/play", seconds=30))
    clicked: list[float] = []

    def click() -> None:  # what a menu item does, on the UI thread
        clicked.append(time.perf_counter())
        rig.controller.command(Command(Cmd.START, task_id=TASK["Code review"],
                                       label="Code review"))

    rig.on_ui(click)
    shown = rig.tray.wait_title(lambda t: t.startswith("Code review · 0:00"))
    assert shown - clicked[0] < 0.050, shown - clicked[0]
    assert wait_until(lambda: any(m == "POST" for m, _p in server.requests), timeout=5)
    assert running_task(server) is None  # the API still hasn't answered
    server.delay_gate.set()
    assert wait_until(lambda: running_task(server) == TASK["Code review"], timeout=10)
    assert wait_until(lambda: rig.controller.state.running is not None
                      and rig.controller.state.running.id is not None, timeout=10)
    assert rig.tray.wrong_thread == []  # pystray was touched only from its thread
    assert rig.quit()


def test_switch_and_stop_reach_the_api(rig: Rig, server: SandboxServer) -> None:
    rig.controller.command(Command(Cmd.START, task_id=TASK["Team meeting"]))
    assert wait_until(lambda: running_task(server) == TASK["Team meeting"], timeout=10)
    rig.controller.command(Command(Cmd.START, task_id=TASK["Fix login bug"]))
    assert wait_until(lambda: running_task(server) == TASK["Fix login bug"], timeout=10)
    rig.controller.command(Command(Cmd.STOP))
    assert wait_until(lambda: running_task(server) is None, timeout=10)
    rig.tray.wait_title(lambda t: t.startswith("Not tracking"))
    assert rig.quit()


def test_the_steady_tick_redraws_nothing_and_costs_well_under_a_millisecond(rig: Rig) -> None:
    rig.tray.wait_title(lambda t: t.startswith("Not tracking"))
    assert wait_until(lambda: rig.controller.state.online is True, timeout=10)
    time.sleep(0)  # let a pending drain finish
    settled = wait_until(lambda: rig.controller._poked is False, timeout=5)
    assert settled
    with rig.tray.changed:
        before = len(rig.tray.shown)
    start = time.perf_counter()
    for _ in range(500):
        rig.controller.refresh()
    per_tick = (time.perf_counter() - start) / 500
    assert per_tick < 0.001, per_tick
    with rig.tray.changed:
        assert len(rig.tray.shown) == before  # nothing was redrawn
    assert rig.quit()


def test_quit_joins_every_thread_within_two_seconds(rig: Rig) -> None:
    rig.controller.command(Command(Cmd.START, task_id=TASK["Code review"]))
    started = time.monotonic()
    assert rig.quit()
    assert time.monotonic() - started < 2.5
    alive = [t.name for t in threading.enumerate() if t.name.startswith("mrtimer-")
             and t.name != "mrtimer-sandbox"]
    assert alive == []


def test_quit_while_the_api_hangs_keeps_the_action_queued(
        rig: Rig, server: SandboxServer) -> None:
    server.faults.add(Fault("delay", method="POST", path_contains="/play", seconds=30))
    rig.controller.command(Command(Cmd.START, task_id=TASK["Code review"]))
    assert wait_until(lambda: any(m == "POST" for m, _p in server.requests), timeout=5)
    started = time.monotonic()
    clean = rig.quit()
    assert time.monotonic() - started < 2.6
    assert not clean  # the worker is still inside the hung request
    app = App.load(server.base_url)
    try:
        assert [a.kind for a in app.tracker.outbox.open_actions()] == ["start"]
    finally:
        app.close()
        server.delay_gate.set()


def test_desktop_integration_hooks(server: SandboxServer,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from mrtimer.desktop import DesktopStatus, Prompt, PromptAction

    monkeypatch.setenv("MRTIMER_API_KEY", KEY)
    made: list[Any] = []

    class FakeIntegration:
        def __init__(self, app: App, tracker: Any, controller: TrayController) -> None:
            self.controller = controller
            self.chosen: list[tuple[str, str]] = []
            self.settings_seen = 0
            self.stopped = False
            made.append(self)

        def start(self) -> None:
            pass

        def stop(self) -> bool:
            self.stopped = True
            return True

        def status(self) -> DesktopStatus:
            return DesktopStatus(notes=("Hotkeys are off on Wayland",), prompts=(
                Prompt("away-1", "away", "You were away 20 min", "Still running.",
                       (PromptAction("stop", "Stop now"),)),), pomodoro_phase="work",
                pomodoro_remaining=12)

        def choose(self, prompt_id: str, key: str) -> None:
            self.chosen.append((prompt_id, key))

        def settings_changed(self) -> None:
            self.settings_seen += 1

    tray = FakeTray()
    controller = TrayController(open_real(server.base_url), base_url_arg=server.base_url,
                                integration_factory=FakeIntegration)
    rig = Rig(controller, tray).start()
    assert wait_until(lambda: bool(made), timeout=5)
    controller.desktop_changed()
    menu = controller.initial_view().menu
    texts = [i.text for i in menu]
    assert "You were away 20 min" in texts and "Hotkeys are off on Wayland" in texts
    assert "Pomodoro: work, 12 min left" in texts
    stop_now = next(i for i in menu if i.text == "Stop now")
    assert stop_now.command is not None
    controller.command(stop_now.command)
    assert made[0].chosen == [("away-1", "stop")]
    assert wait_until(controller.can_notify, timeout=5)
    controller.notify("Started", "Code review")
    assert wait_until(lambda: tray.notes == [("Started", "Code review")], timeout=5)
    controller.show_menu()
    assert wait_until(lambda: tray.popups == 1, timeout=5)
    controller.action_queued()
    rig.quit()
    assert made[0].stopped


class FakeHandle:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def test_settings_are_validated_saved_and_applied(rig: Rig) -> None:
    handle = FakeHandle()
    save = rig.controller._save_settings
    save(handle, {"poll_interval": "5"})  # type: ignore[arg-type]
    assert handle.sent[-1]["ok"] is False and "poll_interval" in handle.sent[-1]["message"]
    save(handle, {"poll_interval": "120", "notifications": False,  # type: ignore[arg-type]
                  "hotkey_toggle": "<ctrl>+<alt>+k"})
    assert handle.sent[-1] == {"event": "result", "ok": True, "message": "Saved."}
    app = rig.controller.app
    text = app.paths.settings_file.read_text()
    assert "poll_interval = 120" in text and "notifications = false" in text
    assert app.settings.poll_interval == 120 and rig.controller.tracker.poll_interval == 120
    assert rig.quit()


def test_sign_in_checks_the_key_and_leaves_the_sandbox(
        server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    session = open_initial(server.base_url, sandbox=False)  # no key: the sandbox
    assert session.sandbox
    tray = FakeTray()
    controller = TrayController(session, base_url_arg=server.base_url)
    rig = Rig(controller, tray).start()
    tray.wait_title(lambda t: t.endswith("· Sandbox"))
    handle = FakeHandle()
    controller._check_key(handle, server.base_url, "wrong-key")  # type: ignore[arg-type]
    assert handle.sent[-1]["ok"] is False
    assert "refused" in handle.sent[-1]["message"]
    assert keyring.get_password("meetandrock-timer", server.base_url.rsplit("/v1", 1)[0]) is None
    controller._check_key(handle, server.base_url, KEY)  # type: ignore[arg-type]
    assert handle.sent[-1]["ok"] is True
    assert not controller.session.sandbox
    assert keyring.get_password("meetandrock-timer",
                                server.base_url.rsplit("/v1", 1)[0]) == KEY
    tray.wait_title(lambda t: t.startswith("Not tracking") and "Sandbox" not in t)
    assert rig.quit()


def test_weekly_report_opens_in_the_browser(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    def fake_open(target: Path) -> bool:
        opened.append(target)
        return True

    monkeypatch.setattr(controller_module, "open_target", fake_open)
    rig.controller.command(Command(Cmd.WEEKLY_REPORT))
    assert wait_until(lambda: bool(opened), timeout=15)
    assert opened[0].name == "weekly-report.html"
    page = opened[0].read_text()
    assert "Fix login bug" in page or "<html" in page.lower()
    assert rig.quit()


def test_sign_out_then_use_the_sandbox(rig: Rig) -> None:
    keyring.set_password("meetandrock-timer", rig.controller.session.label, KEY)
    rig.controller.app.keys._loaded = False  # the key now also lives in the keyring
    rig.controller._sign_out()
    assert keyring.get_password("meetandrock-timer", rig.controller.session.label) is None
    # The key also comes from MRTIMER_API_KEY here: the user is told why they are still in.
    assert wait_until(lambda: any("MRTIMER_API_KEY is set" in text
                                  for _t, text in rig.tray.notes), timeout=5)
    rig.controller._switch(lambda: open_initial(None, sandbox=True))
    assert rig.controller.session.sandbox
    rig.tray.wait_title(lambda t: t.endswith("· Sandbox"))
    assert rig.quit()


# -- dialogs: the JSON-over-pipes protocol, with a stand-in child -----------------------------

CHILD = r"""
import json, sys
request = json.loads(sys.stdin.readline())
print(json.dumps({"event": "submit", "text": request["say"]}), flush=True)
seen = []
for line in sys.stdin:
    seen.append(json.loads(line)["event"])
    if seen[-1] == "result":
        break
print(json.dumps({"event": "echo", "got": sorted(seen)}), flush=True)
"""


def test_dialog_protocol_both_ways() -> None:
    dialogs = Dialogs(argv=lambda kind: [sys.executable, "-c", CHILD])
    events: list[dict[str, Any]] = []
    exited = threading.Event()

    def on_event(handle: DialogHandle, event: dict[str, Any]) -> None:
        events.append(event)
        if event["event"] == "submit":
            handle.send({"event": "result", "ok": True})

    handle = dialogs.open("describe", {"say": "hello"}, on_event, lambda h: exited.set())
    assert handle is not None
    assert dialogs.open("describe", {"say": "again"}, on_event) is None  # one at a time
    assert exited.wait(10)
    # The second open raised the first dialog instead of starting another.
    assert events == [{"event": "submit", "text": "hello"},
                      {"event": "echo", "got": ["raise", "result"]}]
    dialogs.close_all()
    assert handle.proc.returncode == 0


def test_the_dialog_child_says_why_it_cannot_open(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "mrtimer.tray.dialogs", "describe"],
                            input='{"heading": "x"}\n', capture_output=True, text=True,
                            env=env, timeout=30)
    assert result.returncode == 3
    assert json.loads(result.stdout)["event"] == "error"
    bad = subprocess.run([sys.executable, "-m", "mrtimer.tray.dialogs", "nope"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert bad.returncode == 2


def test_sessions(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = open_initial(server.base_url, sandbox=False)
    try:
        assert sandbox.sandbox and sandbox.server is not None
        assert sandbox.app.origin == "sandbox:local"
        assert sandbox.tracker.sync(force=True).ok
        assert {r.title for r in sandbox.tracker.state.recent} == set(TASK)
    finally:
        sandbox.close(time.monotonic() + 2)
    monkeypatch.setenv("MRTIMER_API_KEY", KEY)
    real = open_initial(server.base_url, sandbox=False)
    forced = open_initial(server.base_url, sandbox=True)
    try:
        assert not real.sandbox and real.app.base_url == server.base_url
        assert forced.sandbox
    finally:
        for s in (real, forced):
            s.close(time.monotonic() + 2)
    assert isinstance(Session(real.app, Worker(real.app.tracker)).label, str)


class SlowToShowTray(FakeTray):
    """A tray host that embeds the icon only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = threading.Event()
        self.waited: list[float] = []

    def wait_shown(self, timeout: float) -> bool:
        self.waited.append(timeout)
        return self.embedded.wait(timeout)


def test_nothing_starts_before_the_icon_is_on_screen(
        server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first sync (httpx, TLS) and the desktop integration would compete with the
    UI thread for the GIL while it draws the first icon: they wait for it."""
    monkeypatch.setenv("MRTIMER_API_KEY", KEY)
    tray = SlowToShowTray()
    r = Rig(TrayController(open_real(server.base_url), base_url_arg=server.base_url),
            tray).start()
    try:
        with tray.changed:
            assert tray.changed.wait_for(lambda: any(w == "show" for _t, w, _v in tray.shown),
                                         10)
        assert wait_until(lambda: bool(tray.waited), timeout=10)
        assert server.request_count() == 0
        assert not any(t.name.startswith("mrtimer-worker") for t in threading.enumerate())
        tray.embedded.set()
        assert wait_until(lambda: len(r.controller.state.recent) == 4, timeout=10)
        assert server.request_count() >= 1
    finally:
        tray.embedded.set()
        assert r.quit()


def test_without_a_tray_host_the_app_starts_after_the_wait(
        server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from mrtimer.tray import controller as module

    monkeypatch.setattr(module, "SHOWN_WAIT", 0.05)
    monkeypatch.setenv("MRTIMER_API_KEY", KEY)
    tray = SlowToShowTray()  # never embedded
    r = Rig(TrayController(open_real(server.base_url), base_url_arg=server.base_url),
            tray).start()
    try:
        assert wait_until(lambda: len(r.controller.state.recent) == 4, timeout=10)
        assert tray.waited == [0.05]
    finally:
        assert r.quit()

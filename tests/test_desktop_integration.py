"""DesktopIntegration with a real tracker and sandbox, a fake clock, idle source and tray."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from types import SimpleNamespace

import filelock
import pytest

from mrtimer.api import ApiClient, Timer
from mrtimer.core import Action, AuthStatus, Outbox, Tracker, TrackerState
from mrtimer.desktop import DesktopIntegration, DesktopSettings, Session, state_notifications
from mrtimer.desktop.hotkey import HotkeyService
from mrtimer.sandbox import SandboxServer

from conftest import wait_until
from fakeclock import FakeClock

KEY = "desktop-key"


class FakeController:
    """The tray's door as desktop integration sees it; records everything."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []
        self.asked: list[Callable[[str | None], None]] = []
        self.changed = 0
        self.queued = 0
        self.tray_notifications = True
        self.lock = threading.Lock()
        self.notified = threading.Condition(self.lock)

    def notify(self, title: str, text: str) -> None:
        with self.notified:
            self.notes.append((title, text))
            self.notified.notify_all()

    def can_notify(self) -> bool:
        return self.tray_notifications

    def ask_description(self, callback: Callable[[str | None], None]) -> None:
        self.asked.append(callback)

    def desktop_changed(self) -> None:
        self.changed += 1

    def action_queued(self) -> None:
        self.queued += 1

    def wait_note(self, title: str, timeout: float = 5.0) -> tuple[str, str]:
        with self.notified:
            self.notified.wait_for(lambda: any(t == title for t, _ in self.notes), timeout)
            found = [n for n in self.notes if n[0] == title]
        assert found, f"no notification {title!r} in {self.notes}"
        return found[-1]


class FakeIdle:
    name = "fake idle"

    def __init__(self) -> None:
        self.seconds = 0.0
        self.closed = False

    def idle_seconds(self) -> float:
        return self.seconds

    def close(self) -> None:
        self.closed = True


class Rig:
    def __init__(self, server: SandboxServer, clock: FakeClock, tmp: Path,
                 **settings: object) -> None:
        self.server = server
        self.clock = clock
        self.client = ApiClient(server.base_url, lambda: KEY, read_timeout=5, connect_timeout=2,
                                wall_clock=lambda: clock.now().timestamp())
        self.outbox = Outbox(tmp / "outbox.sqlite3", "test")
        self.tracker = Tracker(self.client, self.outbox, clock,
                               filelock.FileLock(str(tmp / "sync.lock")), tz=UTC,
                               rng=lambda: 0.0)
        base = {"hotkeys_enabled": False, "start_at_login": False, **settings}
        self.app = SimpleNamespace(settings=DesktopSettings(**base), tz=UTC)  # type: ignore[arg-type]
        self.controller = FakeController()
        self.idle = FakeIdle()
        self.desktop: DesktopIntegration | None = None

    def make(self, **kw: object) -> DesktopIntegration:
        args: dict[str, object] = dict(session=Session("linux", "x11"), idle_source=self.idle,
                                       notifiers=[], autostart=None, tick_seconds=3600.0,
                                       hotkey_preflight=None)
        args.update(kw)
        self.desktop = DesktopIntegration(self.app, self.tracker, self.controller,
                                          **args)  # type: ignore[arg-type]
        return self.desktop

    def started(self, **kw: object) -> DesktopIntegration:
        d = self.make(**kw)
        d.start()
        assert d.wait_idle(5)
        return d

    def tick(self, minutes: float, idle_minutes: float) -> None:
        """Advance the clock, set the idle time, run one tick and wait for it."""
        assert self.desktop is not None
        self.clock.advance(minutes * 60)
        self.idle.seconds = idle_minutes * 60
        self.desktop.request_tick()
        assert self.desktop.wait_idle(5)

    def choose(self, kind: str, action: str) -> None:
        assert self.desktop is not None
        prompt = next(p for p in self.desktop.status().prompts if p.kind == kind)
        self.desktop.choose(prompt.id, action)
        assert self.desktop.wait_idle(5)

    def sync(self) -> None:
        outcome = self.tracker.sync(force=True)
        assert outcome.ok, outcome.error

    def server_timers(self) -> list[Timer]:
        with ApiClient(self.server.base_url, lambda: KEY) as c:
            return c.list_week(self.clock.now().date())

    def running_on_server(self) -> Timer | None:
        found = [t for root in self.server_timers() for t in root.walk() if t.running]
        return found[0] if found else None

    def close(self) -> None:
        if self.desktop is not None:
            assert self.desktop.stop(1.0)
        self.outbox.close()
        self.client.close()


@pytest.fixture
def rig_factory(clocked_sandbox: SandboxServer, clock: FakeClock,
                tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(**settings: object) -> Rig:
        r = Rig(clocked_sandbox, clock, tmp_path / f"rig{len(rigs)}", **settings)
        rigs.append(r)
        return r

    (tmp_path / "rig0").mkdir()
    (tmp_path / "rig1").mkdir()
    yield make
    for r in rigs:
        r.close()


def start_timer(rig: Rig, description: str = "Write docs") -> Timer:
    rig.tracker.start(description=description)
    rig.sync()
    timer = rig.running_on_server()
    assert timer is not None
    return timer


def desktop_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate()
                  if t.name.startswith(("mrtimer-desktop", "mrtimer-notify", "mrtimer-hotkey")))


# -- idle --------------------------------------------------------------------------------------


def test_away_while_running_keep_then_stop_now(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(idle_threshold_minutes=10)
    start_timer(rig)
    d = rig.started()
    rig.tick(1, 0)
    rig.tick(14, 13)  # last input 13 min ago: away since minute 2
    assert d.status().prompts == ()  # still away: nothing to ask yet
    rig.tick(12, 0.2)  # back at minute 26.8: away ~25 min
    (prompt,) = d.status().prompts
    assert prompt.kind == "away" and prompt.title == "You were away 25 min"
    assert [a.label for a in prompt.actions] == ["Keep", "Stop now"]
    title, text = rig.controller.wait_note("You were away 25 min")
    assert "'Write docs' kept running" in text and "Keep or Stop now" in text
    rig.choose("away", "keep")
    assert d.status().prompts == () and rig.tracker.state.running is not None
    # Away again; this time "Stop now".
    rig.tick(20, 20)
    rig.tick(1, 0)
    rig.choose("away", "stop")
    assert rig.tracker.state.running is None and rig.controller.queued >= 1
    rig.sync()
    assert rig.running_on_server() is None


def test_stop_when_idle_stops_at_threshold_and_resume_uses_parent_id(
        rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(idle_threshold_minutes=10, stop_when_idle=True)
    root = start_timer(rig)
    d = rig.started()
    rig.tick(1, 0)
    rig.tick(5, 5)
    assert rig.tracker.state.running is not None
    rig.tick(5, 10)  # threshold reached: stopped now
    assert rig.tracker.state.running is None
    rig.sync()
    assert rig.running_on_server() is None
    assert d.status().prompts == ()
    rig.tick(30, 40)
    rig.tick(1, 0.1)
    (prompt,) = d.status().prompts
    assert prompt.kind == "stopped" and prompt.title == "You were away 41 min"
    assert prompt.actions[0].label == "Resume Write docs"
    rig.choose("stopped", "resume")
    rig.sync()
    (server_root,) = rig.server_timers()
    assert server_root.id == root.id
    assert len(server_root.children) == 1 and server_root.children[0].running


def test_no_prompt_when_nothing_ran(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(idle_threshold_minutes=10)
    d = rig.started()
    rig.tick(1, 0)
    rig.tick(30, 29)
    rig.tick(1, 0)
    assert d.status().prompts == ()
    assert not [n for n in rig.controller.notes if "away" in n[0]]


def test_idle_source_failures_become_one_note(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()

    class Broken(FakeIdle):
        def idle_seconds(self) -> float:
            from mrtimer.desktop.idle import IdleUnavailable
            raise IdleUnavailable("server went away")

    rig.idle = Broken()
    d = rig.started()
    for _ in range(4):
        rig.tick(1, 0)
    notes = d.status().notes
    assert len(notes) == 1 and "Idle detection is not working" in notes[0]


# -- reminders and pomodoro ----------------------------------------------------------------------


def test_reminder_offers_the_recent_task(rig_factory: Callable[..., Rig], clock: FakeClock) -> None:
    # FakeClock starts on Thursday 2026-12-03 10:00 UTC: inside the default hours.
    rig = rig_factory(remind_after_minutes=20)
    start_timer(rig, "Review")
    rig.tracker.stop()
    rig.sync()
    d = rig.started()
    for _ in range(20):
        rig.tick(1, 0.5)
    (prompt,) = d.status().prompts
    assert prompt.kind == "reminder"
    assert [a.label for a in prompt.actions] == ["Start Review", "New timer…", "Dismiss"]
    rig.choose("reminder", "resume")
    assert rig.tracker.state.running is not None
    rig.tick(1, 0)
    assert d.status().prompts == ()


def test_pomodoro_counts_down_and_stops_at_the_end(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(pomodoro=True, pomodoro_work_minutes=25, pomodoro_break_minutes=5,
                      pomodoro_stop_at_end=True)
    start_timer(rig)
    d = rig.started()
    rig.tick(0, 0)
    st = d.status()
    assert st.pomodoro_phase == "work" and st.pomodoro_remaining == 25
    changed = rig.controller.changed
    rig.tick(10, 0)
    assert d.status().pomodoro_remaining == 15 and rig.controller.changed > changed
    rig.tick(15, 0)
    assert rig.tracker.state.running is None
    _, text = rig.controller.wait_note("Pomodoro done")
    assert text == "Time for a 5 min break. 'Write docs' was stopped."
    assert d.status().pomodoro_phase == "break" and d.status().pomodoro_remaining == 5
    rig.tick(5, 0)
    (prompt,) = d.status().prompts
    assert prompt.kind == "pomodoro" and prompt.actions[0].label == "Start Write docs"


# -- hotkey actions, notes, settings -------------------------------------------------------------


def test_toggle_action_stops_then_resumes_with_feedback(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    d = rig.started()
    d.run_hotkey("toggle")
    assert rig.controller.wait_note("Nothing to resume")
    start_timer(rig)
    d.run_hotkey("toggle")
    assert rig.tracker.state.running is None
    assert rig.controller.wait_note("Stopped") == ("Stopped", "Write docs")
    rig.sync()
    d.run_hotkey("toggle")
    assert rig.controller.wait_note("Started") == ("Started", "Write docs")
    rig.sync()
    assert rig.running_on_server() is not None


def test_new_timer_hotkey_asks_a_description(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    d = rig.started()
    d.run_hotkey("new")
    (callback,) = rig.controller.asked
    callback(None)  # cancelled
    assert d.wait_idle(5) and rig.tracker.state.running is None
    callback("  Plan sprint ")
    assert d.wait_idle(5)
    assert rig.tracker.state.running is not None
    assert rig.tracker.state.running.label == "Plan sprint"


def test_wayland_disables_hotkeys_with_one_clear_note(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(hotkeys_enabled=True)
    d = rig.started(session=Session("linux", "wayland", "gnome"))
    assert d.hotkeys is None
    (note,) = d.status().notes
    assert "Wayland" in note and "mrtimer toggle" in note
    assert rig.controller.wait_note("Meet and Rock Timer")[1] == note


def test_macos_without_accessibility_says_so(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(hotkeys_enabled=True)
    d = rig.started(session=Session("macos", "native"), accessibility=lambda: False)
    assert d.hotkeys is None
    (note,) = d.status().notes
    assert "Accessibility" in note


def test_invalid_hotkey_setting_is_a_note_and_the_other_hotkey_still_works(
        rig_factory: Callable[..., Rig]) -> None:
    from test_desktop_units import FakeListener

    rig = rig_factory(hotkeys_enabled=True, hotkey_toggle="<ctrl>+<bogus>")
    d = rig.started(hotkey_factory=FakeListener)
    assert d.hotkeys is not None and list(d.hotkeys.bindings) == ["new"]
    assert any("hotkey_toggle is not valid" in n for n in d.status().notes)
    # Turning hotkeys off at run time stops the service.
    rig.app.settings = dataclasses.replace(rig.app.settings, hotkeys_enabled=False)
    d.settings_changed()
    assert d.wait_idle(5)
    assert d.hotkeys is None and d.status().notes == ()


def test_notifications_off_means_none(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(notifications=False)
    d = rig.started()
    start_timer(rig)
    d.run_hotkey("toggle")
    assert d.wait_idle(5) and d.notifications.wait_idle(5)
    assert rig.controller.notes == []


def test_platform_notifier_when_the_tray_cannot(rig_factory: Callable[..., Rig]) -> None:
    from test_desktop_units import FakeNotifier

    rig = rig_factory()
    rig.controller.tray_notifications = False
    fallback = FakeNotifier("notify-send")
    d = rig.started(notifiers=[fallback])
    d.run_hotkey("toggle")
    assert d.notifications.wait_idle(5)
    assert fallback.shown and fallback.shown[0][0] == "Nothing to resume"


def test_stop_joins_every_thread_within_a_second(rig_factory: Callable[..., Rig]) -> None:
    from test_desktop_units import FakeListener

    before = desktop_threads()
    rig = rig_factory(hotkeys_enabled=True)
    d = rig.started(hotkey_factory=FakeListener)
    assert isinstance(d.hotkeys, HotkeyService)
    assert "mrtimer-desktop" in desktop_threads() and "mrtimer-hotkeys" in desktop_threads()
    assert d.stop(1.0)
    rig.desktop = None
    assert desktop_threads() == before
    assert rig.idle.closed


def test_autostart_follows_the_setting(rig_factory: Callable[..., Rig], tmp_path: Path) -> None:
    from mrtimer.desktop.autostart import LinuxAutostart

    entry = LinuxAutostart(tmp_path / "xdg")
    rig = rig_factory(start_at_login=True)
    d = rig.started(autostart=entry, launch_command=["/usr/bin/mrtimer", "tray"])
    assert entry.registered() == ["/usr/bin/mrtimer", "tray"]
    assert d.status().autostart == str(entry.path)
    rig.app.settings = dataclasses.replace(rig.app.settings, start_at_login=False)
    d.settings_changed()
    assert d.wait_idle(5)
    assert entry.registered() is None and d.status().autostart is None


# -- tracker state -> notifications ---------------------------------------------------------------


def _action(aid: int, error: str | None = None) -> Action:
    return Action(aid, "stop", {"timer_id": "t1"}, 0.0, status="failed", last_error=error)


def test_state_notifications() -> None:
    base = TrackerState(online=True, auth=AuthStatus.OK)
    waiting = dataclasses.replace(base, online=False, pending=(_action(1),))
    assert [k for k, *_ in state_notifications(base, waiting)] == ["offline"]
    assert state_notifications(waiting, waiting) == []  # said once
    back = dataclasses.replace(base, online=True)
    assert state_notifications(waiting, back) == [("online", "Back online",
                                                   "Waiting actions were sent.")]
    refused = dataclasses.replace(base, auth=AuthStatus.NEEDS_SIGN_IN)
    assert [k for k, *_ in state_notifications(base, refused)] == ["auth"]
    failed = dataclasses.replace(base, failed=(_action(7, "timer not found"),))
    ((key, title, text),) = state_notifications(base, failed)
    assert key == "failed-7" and text == "Could not stop timer: timer not found"
    assert state_notifications(failed, failed) == []
    # Offline with nothing waiting is not worth a notification.
    assert state_notifications(base, dataclasses.replace(base, online=False)) == []


def test_offline_notification_from_the_real_tracker(rig_factory: Callable[..., Rig],
                                          clocked_sandbox: SandboxServer) -> None:
    from mrtimer.sandbox import Fault

    rig = rig_factory()
    d = rig.started()
    clocked_sandbox.faults.add(Fault("status", status=503))
    rig.tracker.start(description="On a train")
    rig.tracker.sync(force=True)
    assert rig.controller.wait_note("Offline")[1].startswith("1 action waiting")
    clocked_sandbox.faults.clear()
    rig.sync()
    assert rig.controller.wait_note("Back online")
    assert d.stop(1.0)
    rig.desktop = None


def test_taken_hotkey_becomes_a_menu_note_and_one_notification(
        rig_factory: Callable[..., Rig]) -> None:
    from test_desktop_units import FakeListener

    rig = rig_factory(hotkeys_enabled=True)
    d = rig.started(hotkey_factory=FakeListener, hotkey_preflight=lambda combos: combos)
    assert wait_until(lambda: len(d.status().notes) == 2)
    notes = d.status().notes
    assert all("already used by another program" in n for n in notes)
    assert {n.split(" ")[1] for n in notes} == {"Ctrl+Alt+Shift+T", "Ctrl+Alt+Shift+N"}
    assert d.notifications.wait_idle(5)
    assert sorted(t for _, t in rig.controller.notes) == sorted(notes)
    assert d.status().hotkeys == (("hotkey_toggle", "Ctrl+Alt+Shift+T"),
                                  ("hotkey_new", "Ctrl+Alt+Shift+N"))

"""Desktop integration pieces with their OS calls faked: no display, no bus, no waiting."""

from __future__ import annotations

import ctypes
import plistlib
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mrtimer.core import Running, SettingsError
from mrtimer.desktop import DesktopSettings, Session, WorkingHours
from mrtimer.desktop.autostart import (
    LinuxAutostart,
    MacAutostart,
    WindowsAutostart,
    _split_windows,
    desktop_exec,
    launch_command,
    parse_desktop_exec,
    sync_autostart,
)
from mrtimer.desktop.hotkey import (
    ERROR_HOTKEY_ALREADY_REGISTERED,
    Combo,
    HotkeyError,
    HotkeyService,
    macos_accessibility_trusted,
    parse_hotkey,
    windows_taken,
)
from mrtimer.desktop.idle import (
    AwayStopped,
    AwayWhileRunning,
    IdleMonitor,
    IdleUnavailable,
    MacIdleSource,
    StopForIdle,
    WindowsIdleSource,
    detect_idle_source,
    parse_ioreg_idle,
)
from mrtimer.desktop.notify import (
    CommandNotifier,
    NotificationCenter,
    NotifyError,
    RateLimiter,
    platform_notifiers,
)
from mrtimer.desktop.reminders import BreakOver, Phase, Pomodoro, TrackReminder, WorkDone

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def running(start_min: float = 0, label: str = "Write docs", root: str | None = "r1",
            tid: str | None = "t1") -> Running:
    return Running(tid, at(start_min), description=label, root_id=root)


# -- hotkey parsing --------------------------------------------------------------------------


def test_parse_default_hotkeys() -> None:
    c = parse_hotkey("<ctrl>+<alt>+<shift>+t")
    assert c == Combo(frozenset({"ctrl", "alt", "shift"}), "t")
    assert c.label == "Ctrl+Alt+Shift+T"
    assert c.text == "<ctrl>+<alt>+<shift>+t"
    assert c.xdotool == "ctrl+alt+shift+t"
    assert parse_hotkey("<shift>+<ALT>+<ctrl>+T") == c  # order and case don't matter


def test_parse_special_and_vk_keys() -> None:
    assert parse_hotkey("<cmd>+<f5>").label == "Super+F5"
    assert parse_hotkey("<ctrl>+<page_up>").xdotool == "ctrl+Prior"
    assert parse_hotkey("<ctrl>+<65>").text == "<ctrl>+<65>"
    assert parse_hotkey("<ctrl>++").key == "+"  # pynput: a '+' after '+' is the key


@pytest.mark.parametrize("text", ["", "<ctrl>+", "<ctrl>+<alt>", "<ctrl>+ab", "<ctrl>+<bogus>",
                                  "<ctrl>+<ctrl>+t", "<ctrl>+a+b"])
def test_parse_rejects_bad_hotkeys(text: str) -> None:
    with pytest.raises(HotkeyError):
        parse_hotkey(text)


# -- "taken" checks and macOS permission, OS calls faked --------------------------------------


class FakeUser32:
    def __init__(self, taken: set[tuple[int, int]], error: int = ERROR_HOTKEY_ALREADY_REGISTERED):
        self.taken = taken
        self.error = error
        self.registered: dict[int, tuple[int, int]] = {}
        self.calls: list[tuple[str, int]] = []

    def register_hotkey(self, ident: int, modifiers: int, vk: int) -> bool:
        self.calls.append(("register", ident))
        if (modifiers & ~0x4000, vk) in self.taken:
            return False
        self.registered[ident] = (modifiers, vk)
        return True

    def unregister_hotkey(self, ident: int) -> None:
        self.calls.append(("unregister", ident))
        del self.registered[ident]

    def last_error(self) -> int:
        return self.error


def test_windows_taken_reports_registered_hotkeys_and_releases_its_probe() -> None:
    toggle, new = parse_hotkey("<ctrl>+<alt>+<shift>+t"), parse_hotkey("<ctrl>+<alt>+<shift>+n")
    fake = FakeUser32({(0x1 | 0x2 | 0x4, ord("T"))})
    assert windows_taken([toggle, new], fake) == [toggle]
    assert fake.registered == {}  # our probe registration was undone
    assert [c for c, _ in fake.calls] == ["register", "register", "unregister"]


def test_windows_taken_ignores_other_errors() -> None:
    fake = FakeUser32({(0x2, ord("T"))}, error=5)
    assert windows_taken([parse_hotkey("<ctrl>+t")], fake) == []


class FakeAxLib:
    def __init__(self, trusted: bool) -> None:
        self.trusted = trusted
        outer = self

        class Fn:
            argtypes: list[object] = []
            restype: object = None

            def __call__(self) -> bool:
                assert self.restype is ctypes.c_bool
                return outer.trusted

        self.AXIsProcessTrusted = Fn()


def test_macos_accessibility_check_with_the_os_call_faked() -> None:
    paths: list[str] = []

    def load(path: str) -> FakeAxLib:
        paths.append(path)
        return FakeAxLib(False)

    assert macos_accessibility_trusted(load) is False
    assert paths and paths[0].endswith("ApplicationServices")
    assert macos_accessibility_trusted(lambda p: FakeAxLib(True)) is True

    def missing(path: str) -> object:
        raise OSError("no such framework")

    assert macos_accessibility_trusted(missing) is None


# -- the hotkey supervisor with a fake listener -------------------------------------------------


class FakeListener:
    instances: list[FakeListener] = []

    def __init__(self, callbacks, changed, *, fail_start=False, never_ready=False):
        self.callbacks = callbacks
        self.changed = changed
        self.ready = threading.Event()
        self.ended = threading.Event()
        self.error: BaseException | None = None
        self.fail_start = fail_start
        self.never_ready = never_ready
        self.stopped = False
        FakeListener.instances.append(self)

    def start(self) -> None:
        if self.fail_start:
            self.error = RuntimeError("RECORD extension missing")
            self.ended.set()
        elif not self.never_ready:
            self.ready.set()
        self.changed()

    def die(self, error: BaseException) -> None:
        self.error = error
        self.ended.set()
        self.changed()

    def stop(self) -> None:
        self.stopped = True
        self.ended.set()
        self.changed()

    def join(self, timeout: float | None = None) -> None:
        pass

    def is_alive(self) -> bool:
        return not self.ended.is_set()


def wait_for(pred, timeout: float = 5.0) -> bool:
    ev = threading.Event()
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        ev.wait(0.005)
    return pred()


def make_service(factory, **kw):
    FakeListener.instances = []
    fired: list[str] = []
    reports: list[str] = []
    svc = HotkeyService({"toggle": parse_hotkey("<ctrl>+<alt>+<shift>+t")}, fired.append,
                        reports.append, factory=factory, backoff=0.0, debounce=0.0, **kw)
    return svc, fired, reports


def test_hotkey_callbacks_dispatch_never_raise_and_debounce() -> None:
    mono = [100.0]

    def boom(name: str) -> None:
        raise RuntimeError("bug in the dispatcher")

    svc = HotkeyService({"toggle": parse_hotkey("<ctrl>+t")}, boom, lambda m: None,
                        factory=FakeListener, monotonic=lambda: mono[0])
    svc._fire("toggle")  # logged, not raised into the listener
    fired: list[str] = []
    svc._dispatch = fired.append
    mono[0] += 1.0
    svc._fire("toggle")
    for _ in range(20):  # auto-repeat while held: ignored, however long
        mono[0] += 0.05
        svc._fire("toggle")
    mono[0] += 1.0
    svc._fire("toggle")
    assert fired == ["toggle", "toggle"]
    assert list(svc._callbacks()) == ["<ctrl>+t"]


def test_dead_listener_is_restarted_and_hotkeys_keep_working() -> None:
    svc, fired, reports = make_service(FakeListener)
    svc.start()
    try:
        assert wait_for(lambda: svc.ready.is_set())
        first = FakeListener.instances[0]
        first.callbacks["<ctrl>+<alt>+<shift>+t"]()
        first.die(RuntimeError("X connection lost"))
        assert wait_for(lambda: len(FakeListener.instances) == 2 and svc.ready.is_set())
        FakeListener.instances[1].callbacks["<ctrl>+<alt>+<shift>+t"]()
        assert wait_for(lambda: len(fired) == 2)
    finally:
        assert svc.stop(1.0)
    assert FakeListener.instances[-1].stopped
    assert reports == []


def test_restarts_are_bounded_and_giving_up_is_reported_once() -> None:
    def factory(cb, changed):
        return FakeListener(cb, changed, fail_start=True)

    svc, _fired, reports = make_service(factory, max_restarts=3)
    svc.start()
    assert wait_for(lambda: svc.gave_up.is_set())
    assert svc.stop(1.0)
    assert len(FakeListener.instances) == 4
    assert len(reports) == 1 and "stopped working" in reports[0]
    assert "RECORD" in reports[0]


def test_listener_that_cannot_be_built_is_reported_not_retried() -> None:
    def factory(cb, changed):
        raise ImportError("this platform is not supported: no display")

    svc, _fired, reports = make_service(factory)
    svc.start()
    assert wait_for(lambda: svc.gave_up.is_set())
    assert svc.stop(1.0)
    assert reports == ["Global hotkeys are off: this platform is not supported: no display"]


def test_never_ready_listener_times_out_and_stop_is_prompt() -> None:
    def factory(cb, changed):
        return FakeListener(cb, changed, never_ready=True)

    svc, _fired, reports = make_service(factory, ready_timeout=60.0)
    svc.start()
    assert wait_for(lambda: len(FakeListener.instances) == 1)
    assert svc.stop(1.0)  # stop does not wait for the 60 s readiness timeout


def test_taken_hotkeys_are_reported_with_the_setting_name() -> None:
    svc, _fired, reports = make_service(FakeListener, preflight=lambda combos: combos,
                                        names={"toggle": "hotkey_toggle"})
    svc.start()
    assert wait_for(lambda: svc.ready.is_set())
    assert svc.stop(1.0)
    assert reports == ["Hotkey Ctrl+Alt+Shift+T is already used by another program: choose "
                       "another one in the settings (hotkey_toggle)."]


# -- session, settings -------------------------------------------------------------------------


@pytest.mark.parametrize("env,display", [
    ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
     "wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
    ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, "x11"),
    ({"DISPLAY": ":1"}, "x11"),
    ({}, "none"),
])
def test_session_detection(env: dict[str, str], display: str) -> None:
    assert Session.detect(env, "linux").display == display
    assert Session.detect(env, "darwin") == Session("macos", "native")
    assert Session.detect(env, "win32") == Session("windows", "native")


def test_desktop_settings_are_the_validated_core_settings() -> None:
    s = DesktopSettings().with_value("idle_threshold_minutes", "15")
    assert s.idle_threshold == 900.0 and s.remind_after_minutes == 0 and s.pomodoro is False
    assert s.hours() == WorkingHours()
    with pytest.raises(SettingsError, match="working_hours"):
        DesktopSettings().with_value("working_hours", "nonsense")


def test_working_hours() -> None:
    wh = WorkingHours.parse("08:30-17:00", "mon-wed,fri")
    assert wh.days == frozenset({0, 1, 2, 4})
    assert wh.contains(datetime(2026, 12, 7, 8, 30)) and not wh.contains(datetime(2026, 12, 7, 17))
    assert not wh.contains(datetime(2026, 12, 10, 10))  # a Thursday
    night = WorkingHours.parse("22:00-06:00", "sat-mon")
    assert night.days == frozenset({5, 6, 0})
    assert night.contains(datetime(2026, 12, 7, 23)) and night.contains(datetime(2026, 12, 7, 5))
    for hours, days in (("9-17", "mon"), ("09:00-25:00", "mon"), ("09:00-17:00", "funday")):
        with pytest.raises(ValueError):
            WorkingHours.parse(hours, days)


# -- notifications -----------------------------------------------------------------------------


class FakeNotifier:
    def __init__(self, name: str, available: bool = True, fail: bool = False) -> None:
        self.name = name
        self._available = available
        self.fail = fail
        self.shown: list[tuple[str, str]] = []

    def available(self) -> bool:
        return self._available

    def send(self, title: str, text: str) -> None:
        if self.fail:
            raise NotifyError("server gone")
        self.shown.append((title, text))


def test_rate_limiter() -> None:
    rl = RateLimiter(burst=2, per=10.0, repeat_after=30.0)
    assert rl.allow("a", 0) and rl.allow("b", 1)
    assert not rl.allow("c", 2)  # burst used up
    assert rl.allow("c", 10.5)
    assert not rl.allow("a", 20)  # same text within 30 s
    assert rl.allow("a", 31)


def test_center_falls_back_in_order_and_can_be_turned_off() -> None:
    tray = FakeNotifier("tray", available=False)
    broken = FakeNotifier("dbus", fail=True)
    cmd = FakeNotifier("notify-send")
    on = [True]
    center = NotificationCenter([tray, broken, cmd], lambda: on[0],
                                limiter=RateLimiter(burst=2, per=60))
    center.start()
    try:
        assert center.post("Stopped", "Write docs")
        assert center.post("Started", "Review")
        assert not center.post("Third", "dropped by the rate limit")
        assert center.post("Forced", "user asked", force=True)
        on[0] = False
        assert not center.post("Off", "not shown")
        assert center.wait_idle(5)
    finally:
        assert center.stop(1.0)
    assert cmd.shown == [("Stopped", "Write docs"), ("Started", "Review"), ("Forced", "user asked")]
    assert tray.shown == [] and center.dropped == 1
    assert [s[0] for s in center.sent] == ["notify-send"] * 3


def test_osascript_gets_texts_as_arguments_not_script() -> None:
    calls: list[list[str]] = []

    def run(argv, **kw):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    n = CommandNotifier.osascript(run=run, which=lambda name: "/usr/bin/" + name)
    assert n.available()
    n.send('Say "hi"', "it's \\ fine")
    argv = calls[0]
    assert argv[0] == "osascript" and argv[-2:] == ['Say "hi"', "it's \\ fine"]
    assert all('"hi"' not in a for a in argv[:-2])

    def failing(argv, **kw):
        return subprocess.CompletedProcess(argv, 1, b"", b"execution error")

    with pytest.raises(NotifyError, match="execution error"):
        CommandNotifier.notify_send(run=failing).send("t", "x")
    assert not CommandNotifier.notify_send(which=lambda name: None).available()


def test_platform_notifier_names() -> None:
    assert [n.name for n in platform_notifiers(Session("linux", "x11"))] == [
        "D-Bus org.freedesktop.Notifications", "notify-send"]
    assert [n.name for n in platform_notifiers(Session("macos", "native"))] == ["osascript"]
    assert platform_notifiers(Session("windows", "native")) == []


# -- idle sources with their OS calls faked ----------------------------------------------------


class FakeWinInput:
    def __init__(self, last: int, now: int) -> None:
        self.last, self.now = last, now

    def last_input_tick(self) -> int:
        return self.last

    def tick_count(self) -> int:
        return self.now


def test_windows_idle_source_handles_tick_wraparound() -> None:
    assert WindowsIdleSource(FakeWinInput(1_000, 61_000)).idle_seconds() == 60.0
    wrapped = WindowsIdleSource(FakeWinInput(0xFFFFFFFF - 999, 9_000))
    assert wrapped.idle_seconds() == 10.0


IOREG = """+-o IOHIDSystem  <class IOHIDSystem, id 0x100000123, registered>
    {
      "HIDIdleTime" = 83500000000
      "HIDParameters" = {"HIDClickTime"=500000000}
    }
"""


def test_macos_idle_from_ioreg() -> None:
    assert parse_ioreg_idle(IOREG) == 83.5
    argvs: list[list[str]] = []

    def run(argv: list[str]) -> str:
        argvs.append(argv)
        return IOREG

    assert MacIdleSource(run).idle_seconds() == 83.5
    assert argvs == [["ioreg", "-c", "IOHIDSystem", "-d", "4"]]
    with pytest.raises(IdleUnavailable):
        parse_ioreg_idle("nothing here")


class StubSource:
    def __init__(self, name: str, value: float | Exception) -> None:
        self.name, self.value = name, value

    def idle_seconds(self) -> float:
        if isinstance(self.value, Exception):
            raise self.value
        return self.value

    def close(self) -> None:
        pass


def test_detect_idle_source_order_and_note() -> None:
    dead = StubSource("x", IdleUnavailable("no extension"))
    src, note = detect_idle_source(
        Session("linux", "x11"), x11=lambda: dead,
        dbus=lambda m: StubSource(m[0], 3.0))
    assert src is not None and src.name == "GNOME Mutter IdleMonitor" and note is None
    src, note = detect_idle_source(
        Session("linux", "wayland"), dbus=lambda m: StubSource(m[0], IdleUnavailable("no")))
    assert src is None and note is not None and "Wayland" in note
    src, _ = detect_idle_source(Session("windows", "native"),
                                windows=lambda: StubSource("win", 1.0))
    assert src is not None and src.name == "win"


# -- the idle state machine --------------------------------------------------------------------


def feed(mon: IdleMonitor, minute: float, idle_min: float, run: Running | None):
    return mon.update(at(minute), idle_min * 60, run)


def test_away_while_running_asks_keep_or_stop_with_the_minutes_away() -> None:
    mon = IdleMonitor(threshold=600)
    r = running(0)
    t = 0.0
    while t < 40:  # last input at 5 min, back at 28 min
        idle = max(0.0, t - 5) if t < 28 else 0.0
        events = feed(mon, t, idle, r)
        if t < 28:
            assert events == []
        t += 0.25
        if t >= 28:
            break
    events = feed(mon, 28.25, 0.25, r)
    assert events == [AwayWhileRunning(23, events[0].timer, at(5))]
    assert events[0].timer.label == "Write docs" and events[0].timer.resume_id == "r1"
    assert feed(mon, 28.5, 0.5, r) == []


def test_no_prompt_when_nothing_ran_or_it_started_while_away() -> None:
    mon = IdleMonitor(threshold=600)
    assert feed(mon, 0, 0, None) == []
    assert feed(mon, 12, 12, None) == []
    assert mon.away
    assert feed(mon, 30, 0, None) == []
    # Started from a phone while away: not the desk's business.
    assert feed(mon, 50, 20, None) == []
    assert feed(mon, 55, 0.1, running(start_min=45)) == []


def test_stop_when_idle_stops_at_the_threshold_and_offers_resume() -> None:
    mon = IdleMonitor(threshold=600, stop_when_idle=True)
    r = running(0)
    assert feed(mon, 1, 0, r) == []
    assert feed(mon, 10.9, 9.9, r) == []
    events = feed(mon, 11, 10, r)
    assert len(events) == 1 and isinstance(events[0], StopForIdle)
    assert events[0].since == at(1)
    assert feed(mon, 20, 19, None) == []  # stopped now
    events = feed(mon, 40, 0.5, None)
    assert len(events) == 1 and isinstance(events[0], AwayStopped)
    assert events[0].minutes == 38 and events[0].timer.resume_id == "r1"


def test_sleep_counts_as_away() -> None:
    mon = IdleMonitor(threshold=600, sleep_gap=90)
    r = running(0)
    assert feed(mon, 10, 1, r) == []
    # The lid closed at 10 min; 2 h later the first tick sees little idle time.
    events = feed(mon, 130, 0.2, r)
    assert len(events) == 1 and isinstance(events[0], AwayWhileRunning)
    assert events[0].since == at(9) and events[0].minutes == 121
    # A short gap is not sleep.
    assert feed(mon, 131.5, 0.1, r) == []


# -- reminders and pomodoro --------------------------------------------------------------------


def test_reminder_after_active_minutes_without_a_timer_in_working_hours() -> None:
    rem = TrackReminder(30, WorkingHours(), active_idle=300, max_step=60, tz=UTC)
    fired = [m for m in range(0, 70) if rem.update(at(m), idle=5, running=False)]
    assert fired == [30, 60]
    rem = TrackReminder(30, WorkingHours(), active_idle=300, tz=UTC)
    assert not any(rem.update(at(m), idle=5, running=True) for m in range(60))
    # Time away resets the count.
    rem = TrackReminder(30, WorkingHours(), active_idle=300, tz=UTC)
    assert not any(rem.update(at(m), idle=5 if m != 20 else 600, running=False)
                   for m in range(45))
    # Outside working hours (Monday 20:00): never.
    rem = TrackReminder(30, WorkingHours(), active_idle=300, tz=UTC)
    assert not any(rem.update(at(660 + m), idle=5, running=False) for m in range(60))
    # Off.
    rem = TrackReminder(0, WorkingHours(), active_idle=300, tz=UTC)
    assert not any(rem.update(at(m), idle=5, running=False) for m in range(60))


def test_pomodoro_work_break_and_remaining_minutes() -> None:
    p = Pomodoro(25, 5, stop_at_end=False)
    assert p.update(at(0), None) == [] and p.remaining_minutes(at(0)) is None
    r = running(0)
    assert p.update(at(0.5), r) == []
    assert p.phase is Phase.WORK and p.remaining_minutes(at(0.5)) == 25
    assert p.remaining_minutes(at(24.1)) == 1
    assert p.update(at(25), r) == [WorkDone("Write docs", 5, False)]
    assert p.phase is Phase.BREAK and p.remaining_minutes(at(25)) == 5
    assert p.update(at(30), r) == [BreakOver(True)]
    assert p.phase is Phase.WORK and p.remaining_minutes(at(30)) == 25
    assert p.update(at(31), None) == []  # stopped during work: off
    assert p.phase is Phase.OFF


def test_pomodoro_stop_at_end_then_start_during_break() -> None:
    p = Pomodoro(25, 5, stop_at_end=True)
    r = running(0)
    p.update(at(0), r)
    assert p.update(at(25), r) == [WorkDone("Write docs", 5, True)]
    assert p.update(at(26), None) == []
    assert p.phase is Phase.BREAK
    assert p.update(at(30), None) == [BreakOver(False)] and p.phase is Phase.OFF
    p.update(at(40), running(40))
    p.update(at(65), running(40))
    assert p.phase is Phase.BREAK
    p.update(at(66), None)
    assert p.update(at(67), running(67)) == [] and p.phase is Phase.WORK  # break cut short


def test_pomodoro_for_a_timer_started_long_ago_starts_now() -> None:
    p = Pomodoro(25, 5, stop_at_end=False)
    p.update(at(120), running(0))
    assert p.remaining_minutes(at(120)) == 25


# -- start at login ----------------------------------------------------------------------------


def test_launch_command_frozen_script_and_module(tmp_path: Path) -> None:
    assert launch_command(frozen=True, executable="/opt/mrtimer/mrtimer", argv0="x") == [
        str(Path("/opt/mrtimer/mrtimer").resolve())]
    script = tmp_path / "bin" / "mrtimer"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert launch_command(frozen=False, executable="/usr/bin/python3", argv0=str(script),
                          windows=False) == [str(script.resolve()), "tray"]
    assert launch_command(frozen=False, executable="/usr/bin/python3",
                          argv0="/x/mrtimer/__main__.py", windows=False) == [
        "/usr/bin/python3", "-m", "mrtimer", "tray"]
    py = tmp_path / "Scripts" / "python.exe"
    py.parent.mkdir()
    py.write_text("")
    (py.parent / "pythonw.exe").write_text("")
    assert launch_command(frozen=False, executable=str(py), argv0="-c", windows=True)[0] == str(
        py.parent / "pythonw.exe")


@pytest.mark.parametrize("command", [
    ["/usr/bin/mrtimer", "tray"],
    ["/home/a b/.venv/bin/python", "-m", "mrtimer", "tray"],
    ["/opt/we$ird \"name\"/x`y\\z", "100%"],
])
def test_desktop_exec_round_trip(command: list[str]) -> None:
    assert parse_desktop_exec(desktop_exec(command)) == command


def test_desktop_exec_quoting() -> None:
    assert desktop_exec(["/usr/bin/mrtimer", "tray"]) == "/usr/bin/mrtimer tray"
    assert desktop_exec(["/a b/python"]) == '"/a b/python"'
    assert desktop_exec(["/x$y"]) == '"/x\\\\$y"'  # \$ inside quotes, then \ doubled


def test_linux_autostart_file(tmp_path: Path) -> None:
    entry = LinuxAutostart(tmp_path)
    assert entry.registered() is None
    assert sync_autostart(entry, True, ["/usr/bin/mrtimer", "tray"])
    assert entry.path == tmp_path / "autostart" / "mrtimer.desktop"
    assert entry.registered() == ["/usr/bin/mrtimer", "tray"]
    assert not sync_autostart(entry, True, ["/usr/bin/mrtimer", "tray"])  # unchanged
    assert sync_autostart(entry, True, ["/new/mrtimer", "tray"])  # the app moved
    assert entry.registered() == ["/new/mrtimer", "tray"]
    assert sync_autostart(entry, False) and not entry.path.exists()
    assert not sync_autostart(entry, False)


def test_macos_launch_agent_plist(tmp_path: Path) -> None:
    entry = MacAutostart(tmp_path / "LaunchAgents")
    cmd = ["/Applications/Meet and Rock Timer.app/Contents/MacOS/mrtimer"]
    assert sync_autostart(entry, True, cmd)
    data = plistlib.loads(entry.path.read_bytes())
    assert data["Label"] == "com.meetandrock.timer"
    assert data["ProgramArguments"] == cmd and data["RunAtLoad"] is True
    assert entry.registered() == cmd
    assert entry.path.name == "com.meetandrock.timer.plist"
    assert sync_autostart(entry, False) and entry.registered() is None


class FakeRunKey:
    def __init__(self) -> None:
        self.values: dict[str, str] = {"OtherApp": r'"C:\Other\other.exe"'}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_windows_run_value_with_the_registry_faked() -> None:
    key = FakeRunKey()
    entry = WindowsAutostart(key)
    cmd = [r"C:\Users\Ann Lee\AppData\Local\Programs\Python\pythonw.exe", "-m", "mrtimer", "tray"]
    assert sync_autostart(entry, True, cmd)
    assert key.values["MeetAndRockTimer"] == (
        r'"C:\Users\Ann Lee\AppData\Local\Programs\Python\pythonw.exe" -m mrtimer tray')
    assert entry.registered() == cmd
    assert not sync_autostart(entry, True, cmd)
    assert sync_autostart(entry, False)
    assert key.values == {"OtherApp": r'"C:\Other\other.exe"'}  # only ours removed
    assert "HKEY_CURRENT_USER" in entry.location


@pytest.mark.parametrize("args", [["a b", "c"], ['say "hi"', "x\\"], ["C:\\dir\\", ""],
                                  ["plain"]])
def test_windows_command_line_split(args: list[str]) -> None:
    assert _split_windows(subprocess.list2cmdline(args)) == args

"""DesktopIntegration: hotkeys, notifications, start at login, idle, reminders, pomodoro.

Threads (all named, stopped and joined by :meth:`DesktopIntegration.stop`):
- ``mrtimer-desktop``: runs hotkey actions, prompt choices and a tick every
  ``tick_seconds`` (idle, reminders, pomodoro) from one queue: the only thread that
  calls the tracker's UI-side methods from here;
- ``mrtimer-notify``: sends notifications (rate-limited);
- ``mrtimer-hotkeys`` (supervisor) and ``mrtimer-hotkey-listener`` (pynput).

Everything a platform can't provide turns into one line in :attr:`DesktopStatus.notes`
(shown by the tray) and one notification, and the rest keeps working.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Protocol

from mrtimer.core import AuthStatus, Tracker, TrackerState

from ._session import Session
from ._settings import DesktopSettings
from .autostart import Autostart, autostart_for, sync_autostart
from .hotkey import (
    Combo,
    HotkeyError,
    HotkeyService,
    ListenerFactory,
    macos_accessibility_trusted,
    parse_hotkey,
    pynput_listener,
    windows_taken,
    x11_taken,
)
from .idle import (
    AwayStopped,
    AwayWhileRunning,
    IdleMonitor,
    IdleSource,
    IdleUnavailable,
    StopForIdle,
    TimerRef,
    detect_idle_source,
)
from .notify import ControllerNotifier, NotificationCenter, Notifier, platform_notifiers
from .reminders import BreakOver, Pomodoro, TrackReminder, WorkDone

__all__ = [
    "DesktopController",
    "DesktopIntegration",
    "DesktopStatus",
    "Prompt",
    "PromptAction",
    "state_notifications",
]

log = logging.getLogger("mrtimer.desktop")

WAYLAND_NOTE = ("Global hotkeys are not available on Wayland: bind the command "
                "`mrtimer toggle` to a keyboard shortcut in your desktop's settings.")
NO_DISPLAY_NOTE = "Global hotkeys are off: there is no X11 display (DISPLAY is not set)."
MAC_AX_NOTE = ("Global hotkeys need the Accessibility permission: System Settings > Privacy "
               "& Security > Accessibility (and Input Monitoring), allow Meet and Rock "
               "Timer, then restart it.")


class DesktopController(Protocol):
    """What desktop integration needs from the tray's one UI door (all thread-safe)."""

    def notify(self, title: str, text: str) -> None:
        """Show a notification through the tray icon (pystray ``Icon.notify``)."""
        ...

    def can_notify(self) -> bool:
        """True when :meth:`notify` can show something now (``Icon.HAS_NOTIFICATION``
        and the icon is visible); else the platform's notifier is used."""
        ...

    def ask_description(self, callback: Callable[[str | None], None]) -> None:
        """Open the "new timer" description dialog; call ``callback`` with the text,
        or None when cancelled (from any thread)."""
        ...

    def desktop_changed(self) -> None:
        """:meth:`DesktopIntegration.status` changed (prompts, notes, pomodoro minutes):
        re-read it and refresh the menu and icon."""
        ...

    def action_queued(self) -> None:
        """A tracker action was queued from here: wake the network worker."""
        ...


@dataclass(frozen=True)
class PromptAction:
    key: str  # pass to DesktopIntegration.choose
    label: str  # menu text


@dataclass(frozen=True)
class Prompt:
    """A question waiting in the tray menu (e.g. "You were away 23 min": Keep / Stop now)."""

    id: str
    kind: str  # "away", "stopped", "reminder", "pomodoro"
    title: str
    text: str
    actions: tuple[PromptAction, ...]


@dataclass(frozen=True)
class DesktopStatus:
    notes: tuple[str, ...] = ()  # one line each: what is off or broken, and why
    prompts: tuple[Prompt, ...] = ()
    hotkeys: tuple[tuple[str, str], ...] = ()  # (setting name, "Ctrl+Alt+Shift+T") listened to
    hotkeys_active: bool = False
    idle_source: str | None = None
    pomodoro_phase: str = "off"  # "off", "work", "break"
    pomodoro_remaining: int | None = None  # minutes left in the phase, for the icon
    autostart: str | None = None  # where the start-at-login entry is, when registered


class _AppLike(Protocol):
    @property
    def settings(self) -> Any: ...


_AUTO: Any = object()
_TICK: Any = object()


def state_notifications(prev: TrackerState, new: TrackerState) -> list[tuple[str, str, str]]:
    """(key, title, text) for tracker state changes a person should hear about."""
    out: list[tuple[str, str, str]] = []
    if new.auth is AuthStatus.NEEDS_SIGN_IN and prev.auth is not AuthStatus.NEEDS_SIGN_IN:
        out.append(("auth", "Sign in again",
                    "The API key was refused (401): open Sign in from the tray menu."))
    if new.online is False and prev.online is not False and new.pending:
        n = len(new.pending)
        out.append(("offline", "Offline",
                    f"{n} action{'s' if n != 1 else ''} waiting: sent when the connection "
                    "is back."))
    if new.online is True and prev.online is False and prev.pending:
        left = len(new.pending)
        out.append(("online", "Back online",
                    "Waiting actions were sent." if not left else f"{left} still waiting."))
    before = {a.id for a in prev.failed}
    for action in new.failed:
        if action.id not in before:
            why = f": {action.last_error}" if action.last_error else ""
            out.append((f"failed-{action.id}", "Action failed",
                        f"Could not {action.summary()}{why}"))
    return out


@dataclass
class _Prompts:
    items: dict[str, Prompt] = field(default_factory=dict)
    handlers: dict[tuple[str, str], Callable[[], None]] = field(default_factory=dict)
    seq: int = 0


class DesktopIntegration:
    """Constructed by the tray after the icon is up: ``start()``, and ``stop()`` on quit.

    ``settings_changed()`` after the user changed settings; ``status()`` for the menu
    and icon; ``choose(prompt_id, action_key)`` when a prompt's menu item is clicked."""

    def __init__(
        self,
        app: _AppLike,
        tracker: Tracker,
        controller: DesktopController,
        *,
        session: Session | None = None,
        idle_source: IdleSource | None = _AUTO,
        notifiers: Sequence[Notifier] | None = None,
        autostart: Autostart | None = _AUTO,
        launch_command: Sequence[str] | None = None,
        hotkey_factory: ListenerFactory = pynput_listener,
        hotkey_preflight: Callable[[list[Combo]], list[Combo]] | None = _AUTO,
        accessibility: Callable[[], bool | None] = macos_accessibility_trusted,
        hotkey_debounce: float = 0.3,
        tick_seconds: float = 15.0,
        tz: tzinfo | None = _AUTO,
    ) -> None:
        self._app = app
        self._tracker = tracker
        self._controller = controller
        self._session = session or Session.detect()
        self._idle_auto = idle_source is _AUTO
        self._idle: IdleSource | None = None if self._idle_auto else idle_source
        self._autostart = autostart_for(self._session) if autostart is _AUTO else autostart
        self._launch_command = list(launch_command) if launch_command else None
        self._hotkey_factory = hotkey_factory
        self._preflight = self._default_preflight() if hotkey_preflight is _AUTO \
            else hotkey_preflight
        self._accessibility = accessibility
        self._debounce = hotkey_debounce
        self.tick_seconds = tick_seconds
        self._tz = getattr(app, "tz", None) if tz is _AUTO else tz
        self._settings = app.settings
        chain: list[Notifier] = [ControllerNotifier(controller)]
        chain += list(notifiers) if notifiers is not None else platform_notifiers(self._session)
        self.notifications = NotificationCenter(chain, lambda: self._settings.notifications)
        self._lock = threading.RLock()
        self._notes: dict[str, str] = {}
        self._noted: set[str] = set()
        self._prompts = _Prompts()
        self._hotkeys: HotkeyService | None = None
        self._hotkey_bindings: dict[str, Combo] = {}
        self._idle_failures = 0
        self._idle_seconds: float | None = None
        self._pomodoro_shown: tuple[str, int | None] = ("off", None)
        self._make_machines()
        self._prev_state = tracker.state
        self._unsubscribe: Callable[[], None] | None = None
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="mrtimer-desktop", daemon=True)
        self._started = False
        self.ticks = 0
        self.setup_done = threading.Event()

    # -- the tray's calls -------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.notifications.start()
        self._unsubscribe = self._tracker.subscribe(self._on_state)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop and join every thread; True when all ended within ``timeout``."""
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(0.05, deadline - time.monotonic())

        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        ok = True
        with self._lock:
            service, self._hotkeys = self._hotkeys, None
        if service is not None:
            ok = service.stop(left()) and ok
        if self._started:
            self._jobs.put(None)
            if self._thread.is_alive():
                self._thread.join(left())
            ok = not self._thread.is_alive() and ok
            ok = self.notifications.stop(left()) and ok
        if not ok:
            log.warning("desktop integration: a thread did not stop in time")
        return ok

    def settings_changed(self) -> None:
        """Re-read the settings (hotkeys, start at login, idle, reminders, pomodoro)."""
        self._jobs.put(self._apply_settings)

    def choose(self, prompt_id: str, action_key: str) -> None:
        """A prompt's action was chosen in the menu (any thread)."""
        self._jobs.put(lambda: self._choose(prompt_id, action_key))

    def request_tick(self) -> None:
        """Check idle, reminders and pomodoro now (e.g. after the machine woke up)."""
        self._jobs.put(_TICK)

    def wait_idle(self, timeout: float) -> bool:
        """Block until the work queued so far has run (tests; never on the UI thread)."""
        done = threading.Event()
        self._jobs.put(done.set)
        return done.wait(timeout)

    def status(self) -> DesktopStatus:
        with self._lock:
            now = self._tracker.clock.now()
            service = self._hotkeys
            entry = self._autostart
            return DesktopStatus(
                notes=tuple(self._notes.values()),
                prompts=tuple(self._prompts.items.values()),
                hotkeys=tuple((f"hotkey_{n}", c.label) for n, c in
                              self._hotkey_bindings.items()),
                hotkeys_active=bool(service and service.ready.is_set()),
                idle_source=self._idle.name if self._idle is not None else None,
                pomodoro_phase=self._pomodoro.phase.value if self._pomodoro else "off",
                pomodoro_remaining=(self._pomodoro.remaining_minutes(now)
                                    if self._pomodoro else None),
                autostart=(entry.location if entry is not None
                           and self._settings.start_at_login else None),
            )

    @property
    def hotkeys(self) -> HotkeyService | None:
        return self._hotkeys

    @property
    def session(self) -> Session:
        return self._session

    # -- the loop thread ----------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            self._guard(self._setup)
        finally:
            self.setup_done.set()
        next_tick = time.monotonic()
        while True:
            wait = max(0.0, next_tick - time.monotonic())
            try:
                job = self._jobs.get(timeout=wait)
            except queue.Empty:
                job = _TICK
            if job is None:
                break
            if job is _TICK:
                self._guard(self.tick)
                next_tick = time.monotonic() + self.tick_seconds
            else:
                self._guard(job)
        if self._idle is not None:
            self._idle.close()

    def _guard(self, job: Callable[[], object]) -> None:
        try:
            job()
        except Exception:  # a bug here must not end the desktop thread
            log.exception("desktop job failed")

    def _setup(self) -> None:
        self._sync_autostart()
        if self._idle_auto:
            self._detect_idle()
        self._setup_hotkeys()

    def _apply_settings(self) -> None:
        old, new = self._settings, self._app.settings
        if new == old:
            return
        self._settings = new
        keys = ("hotkeys_enabled", "hotkey_toggle", "hotkey_new")
        if any(getattr(old, k) != getattr(new, k) for k in keys):
            with self._lock:
                service, self._hotkeys = self._hotkeys, None
            if service is not None:
                service.stop()
            self._setup_hotkeys()
        if old.start_at_login != new.start_at_login:
            self._sync_autostart()
        if old.idle_detection != new.idle_detection and new.idle_detection and self._idle_auto \
                and self._idle is None:
            self._detect_idle()
        self._make_machines(old)
        self._changed()

    def _make_machines(self, old: DesktopSettings | None = None) -> None:
        s = self._settings
        if old is None or (old.idle_threshold_minutes, old.stop_when_idle) != (
                s.idle_threshold_minutes, s.stop_when_idle):
            self._monitor = IdleMonitor(s.idle_threshold, s.stop_when_idle,
                                        sleep_gap=max(90.0, 3 * self.tick_seconds))
        if old is None or (old.remind_after_minutes, old.working_hours, old.working_days,
                           old.idle_threshold_minutes) != (
                s.remind_after_minutes, s.working_hours, s.working_days,
                s.idle_threshold_minutes):
            self._reminder = TrackReminder(s.remind_after_minutes, s.hours(),
                                           active_idle=min(300.0, s.idle_threshold),
                                           max_step=max(60.0, 2 * self.tick_seconds),
                                           tz=self._tz)
        if not s.pomodoro:
            self._pomodoro: Pomodoro | None = None
        elif old is None or not old.pomodoro or (
                old.pomodoro_work_minutes, old.pomodoro_break_minutes,
                old.pomodoro_stop_at_end) != (
                s.pomodoro_work_minutes, s.pomodoro_break_minutes, s.pomodoro_stop_at_end):
            self._pomodoro = Pomodoro(s.pomodoro_work_minutes, s.pomodoro_break_minutes,
                                      s.pomodoro_stop_at_end)

    # -- notes and notifications -------------------------------------------------------------

    def _note(self, topic: str, text: str | None) -> None:
        """A lasting fact for the menu; notified once per distinct text."""
        first = False
        with self._lock:
            if text is None:
                if self._notes.pop(topic, None) is None:
                    return
            else:
                if self._notes.get(topic) == text:
                    return
                self._notes[topic] = text
                first = text not in self._noted
                self._noted.add(text)
        if text is not None:
            log.info("desktop note: %s", text)
        if first and text is not None:
            self.notifications.post("Meet and Rock Timer", text, key=f"note:{text}")
        self._changed()

    def _changed(self) -> None:
        try:
            self._controller.desktop_changed()
        except Exception:
            log.exception("controller.desktop_changed failed")

    def _queued(self) -> None:
        try:
            self._controller.action_queued()
        except Exception:
            log.exception("controller.action_queued failed")

    def _on_state(self, state: TrackerState) -> None:
        """Tracker observer (any thread): fast, only queues notifications."""
        with self._lock:
            prev, self._prev_state = self._prev_state, state
        for key, title, text in state_notifications(prev, state):
            self.notifications.post(title, text, key=key)

    # -- start at login -------------------------------------------------------------------------

    def _sync_autostart(self) -> None:
        wanted = self._settings.start_at_login
        entry = self._autostart
        if entry is None:
            self._note("autostart", "Start at login is not supported on this system."
                       if wanted else None)
            return
        try:
            if sync_autostart(entry, wanted, self._launch_command):
                log.info("start at login %s (%s)", "on" if wanted else "off", entry.location)
        except OSError as exc:
            self._note("autostart", f"Could not change start at login ({entry.location}): "
                       f"{exc.strerror or exc}")
            return
        self._note("autostart", None)

    # -- hotkeys --------------------------------------------------------------------------------

    def _default_preflight(self) -> Callable[[list[Combo]], list[Combo]] | None:
        if self._session.os == "windows":
            return lambda combos: windows_taken(combos)
        if self._session.display == "x11":
            return lambda combos: x11_taken(combos)
        return None

    def _setup_hotkeys(self) -> None:
        s = self._settings
        with self._lock:
            topics = [t for t in self._notes if t.startswith("hotkey")]
        for topic in topics:
            self._note(topic, None)
        with self._lock:
            self._hotkey_bindings = {}
        if not s.hotkeys_enabled:
            return
        session = self._session
        if session.wayland:
            self._note("hotkeys", WAYLAND_NOTE)
            return
        if session.os in ("linux", "other") and session.display != "x11":
            self._note("hotkeys", NO_DISPLAY_NOTE)
            return
        if session.os == "macos" and self._accessibility() is False:
            self._note("hotkeys", MAC_AX_NOTE)
            return
        bindings: dict[str, Combo] = {}
        for name, text in (("toggle", s.hotkey_toggle), ("new", s.hotkey_new)):
            if not text.strip():
                continue  # empty: this hotkey is off
            try:
                combo = parse_hotkey(text)
            except HotkeyError as exc:
                self._note(f"hotkey_{name}", f"Hotkey setting hotkey_{name} is not valid: {exc}")
                continue
            if combo in bindings.values():
                self._note(f"hotkey_{name}",
                           f"Hotkey setting hotkey_{name} repeats {combo.label}: ignored.")
                continue
            bindings[name] = combo
        if not bindings:
            return
        service = HotkeyService(
            bindings, self._hotkey_pressed, self._hotkey_problem,
            factory=self._hotkey_factory, preflight=self._preflight,
            names={n: f"hotkey_{n}" for n in bindings}, debounce=self._debounce,
        )
        with self._lock:
            self._hotkey_bindings = bindings
            self._hotkeys = service
        service.start()

    def _hotkey_pressed(self, name: str) -> None:
        """From the listener thread: hand over, never block."""
        self._jobs.put(lambda: self.run_hotkey(name))

    def _hotkey_problem(self, message: str) -> None:
        self._note(f"hotkeys-taken:{message}" if "already used" in message else "hotkeys",
                   message)

    def run_hotkey(self, name: str) -> None:
        """What a hotkey does (runs on the desktop thread; public for tests)."""
        if name == "toggle":
            self._toggle()
        elif name == "new":
            self._controller.ask_description(self._described)

    def _toggle(self) -> None:
        state = self._tracker.state
        if state.running is not None:
            label = state.running.label
            self._tracker.stop()
            self._queued()
            self.notifications.post("Stopped", label, force=True)
            return
        recent = state.recent[0] if state.recent else None
        if recent is None or self._tracker.resume_last() is None:
            self.notifications.post(
                "Nothing to resume", "No recent task yet: start one from the tray menu "
                "or with the new-timer hotkey.", force=True)
            return
        self._queued()
        self.notifications.post("Started", recent.label, force=True)

    def _described(self, text: str | None) -> None:
        """The description dialog's answer (any thread)."""
        if text is None or not text.strip():
            return

        def start() -> None:
            self._tracker.start(description=text)
            self._queued()
            self.notifications.post("Started", text.strip(), force=True)

        self._jobs.put(start)

    # -- prompts --------------------------------------------------------------------------------

    def _offer(self, kind: str, title: str, text: str,
               actions: Sequence[tuple[str, str, Callable[[], None] | None]]) -> Prompt:
        """Show a prompt (replacing one of the same kind) and notify it."""
        with self._lock:
            self._withdraw_kind(kind)
            self._prompts.seq += 1
            pid = f"{kind}-{self._prompts.seq}"
            prompt = Prompt(pid, kind, title, text,
                            tuple(PromptAction(key, label) for key, label, _ in actions))
            self._prompts.items[pid] = prompt
            for key, _label, handler in actions:
                self._prompts.handlers[(pid, key)] = handler or (lambda: None)
        choices = " or ".join(label for _k, label, _h in actions)
        self.notifications.post(title, f"{text} {choices}: in the tray menu.", key=pid)
        self._changed()
        return prompt

    def _withdraw_kind(self, *kinds: str) -> bool:
        with self._lock:
            gone = [p for p in self._prompts.items.values() if p.kind in kinds]
            for p in gone:
                del self._prompts.items[p.id]
                for key in [k for k in self._prompts.handlers if k[0] == p.id]:
                    del self._prompts.handlers[key]
        return bool(gone)

    def _choose(self, prompt_id: str, action_key: str) -> None:
        with self._lock:
            handler = self._prompts.handlers.get((prompt_id, action_key))
            prompt = self._prompts.items.get(prompt_id)
            if handler is None or prompt is None:
                return  # already answered or withdrawn
            self._withdraw_kind(prompt.kind)
        handler()
        self._changed()

    def _stop_if_running(self, ref: TimerRef) -> None:
        running = self._tracker.state.running
        if running is not None and running.start == ref.start:
            self._tracker.stop()
            self._queued()

    def _resume(self, ref: TimerRef) -> None:
        self._tracker.start(task_id=ref.task_id, description=ref.description,
                            parent_id=ref.resume_id, label=ref.label)
        self._queued()

    def _resume_recent(self) -> None:
        if self._tracker.resume_last() is not None:
            self._queued()

    # -- the tick -------------------------------------------------------------------------------

    def _detect_idle(self) -> None:
        if not self._settings.idle_detection:
            return
        source, note = detect_idle_source(self._session)
        with self._lock:
            self._idle = source
        self._note("idle", note)

    def _read_idle(self) -> float | None:
        source = self._idle
        if source is None or not self._settings.idle_detection:
            return None
        try:
            value = source.idle_seconds()
        except (IdleUnavailable, Exception) as exc:  # noqa: B014 - one log per streak
            self._idle_failures += 1
            if self._idle_failures == 1:
                log.warning("idle time unreadable: %s", exc)
            if self._idle_failures == 3:
                self._note("idle", f"Idle detection is not working ({source.name}): {exc}")
            return None
        if self._idle_failures >= 3:
            self._note("idle", None)
        self._idle_failures = 0
        return value

    def tick(self) -> None:
        """One pass of idle, reminder and pomodoro checks (the loop calls it; tests too)."""
        self.ticks += 1
        new = self._app.settings
        if new != self._settings:
            self._apply_settings()
        now = self._tracker.clock.now()
        idle = self._read_idle()
        self._idle_seconds = idle
        running = self._tracker.state.running
        # Prompts that no longer make sense go away by themselves.
        changed = False
        if running is None:
            changed |= self._withdraw_kind("away")
        else:
            changed |= self._withdraw_kind("reminder", "stopped", "pomodoro")
        if idle is not None:
            for event in self._monitor.update(now, idle, running):
                self._idle_event(event)
            running = self._tracker.state.running
        if self._reminder.update(now, idle, running is not None):
            self._remind()
        pomodoro = self._pomodoro
        shown: tuple[str, int | None] = ("off", None)
        if pomodoro is not None:
            for pevent in pomodoro.update(now, running):
                self._pomodoro_event(pevent)
            shown = (pomodoro.phase.value, pomodoro.remaining_minutes(now))
        if shown != self._pomodoro_shown:  # the icon shows these minutes
            self._pomodoro_shown = shown
            changed = True
        if changed:
            self._changed()

    def _idle_event(self, event: StopForIdle | AwayWhileRunning | AwayStopped) -> None:
        if isinstance(event, StopForIdle):
            self._stop_if_running(event.timer)
            log.info("stopped %s: away since %s", event.timer.label, event.since)
            return
        label = event.timer.label
        if isinstance(event, AwayWhileRunning):
            ref = event.timer
            self._offer("away", f"You were away {event.minutes} min",
                        f"'{label}' kept running.",
                        [("keep", "Keep", None),
                         ("stop", "Stop now", lambda: self._stop_if_running(ref))])
        else:
            ref = event.timer
            self._offer("stopped", f"You were away {event.minutes} min",
                        f"'{label}' was stopped when you went away.",
                        [("resume", f"Resume {label}", lambda: self._resume(ref)),
                         ("dismiss", "Dismiss", None)])

    def _remind(self) -> None:
        recent = self._tracker.state.recent
        minutes = self._settings.remind_after_minutes
        actions: list[tuple[str, str, Callable[[], None] | None]] = []
        if recent:
            actions.append(("resume", f"Start {recent[0].label}", self._resume_recent))
        actions.append(("new", "New timer…",
                        lambda: self._controller.ask_description(self._described)))
        actions.append(("dismiss", "Dismiss", None))
        self._offer("reminder", "Not tracking?",
                    f"You have been working {minutes} min without a timer.", actions)

    def _pomodoro_event(self, event: WorkDone | BreakOver) -> None:
        if isinstance(event, WorkDone):
            text = f"Time for a {event.break_minutes} min break."
            if event.stop:
                running = self._tracker.state.running
                if running is not None:
                    self._tracker.stop()
                    self._queued()
                    text += f" '{event.label}' was stopped."
            self.notifications.post("Pomodoro done", text, force=True)
            return
        if event.running:
            self.notifications.post("Break over", "A new work period has begun.", force=True)
            return
        recent = self._tracker.state.recent
        if recent:
            self._offer("pomodoro", "Break over", "Ready for the next pomodoro?",
                        [("resume", f"Start {recent[0].label}", self._resume_recent),
                         ("dismiss", "Dismiss", None)])
        else:
            self.notifications.post("Break over", "Ready for the next pomodoro?", force=True)

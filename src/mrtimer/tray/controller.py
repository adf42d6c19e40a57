"""The one door between the app's threads and the tray's UI thread.

Threads of the tray app (all named, all stopped and joined on quit):

- the **UI thread** (the main thread): pystray's loop; the only thread that touches
  the icon, its title or its menu;
- ``mrtimer-worker`` (core): every network call of the tracker;
- ``mrtimer-tray-tick``: once a second, recomputes the view;
- ``mrtimer-jobs``: one-off slow work (key check, weekly report, sign-out, switching
  between the sandbox and the API, opening the log folder);
- ``mrtimer-dialog-KIND``: one reader per open dialog child process;
- ``mrtimer-instance``: the single-instance socket.

The rule, kept here and nowhere else: any thread may hand over a new
:class:`~mrtimer.core.TrackerState` (:meth:`TrayController.on_state`) or a function
to run on the UI thread (:meth:`post`). Both land in a lock-protected slot, and one
"poke" (``Tray.call_soon``) asks the UI thread to :meth:`_drain` it. The view is a
pure function of (state, now) (:func:`~mrtimer.tray.model.build_view`); the UI thread
applies only the parts that changed, so a steady tick costs one comparison.

A click calls a core method that only writes the outbox and publishes the optimistic
state, which comes straight back through the door: the icon and menu change within
milliseconds whatever the API does; the confirmed state follows from the worker.

For desktop integration (:class:`mrtimer.desktop.DesktopIntegration`, optional; its
``DesktopController`` protocol) the public, thread-safe methods are: :meth:`notify`,
:meth:`can_notify`, :meth:`ask_description`, :meth:`desktop_changed`,
:meth:`action_queued`, and also :meth:`toggle`, :meth:`start_timer`, :meth:`stop`,
:meth:`new_timer`, :meth:`show_menu`, :meth:`post`, :meth:`quit`, and the properties
:attr:`state`, :attr:`app`, :attr:`tracker`, :attr:`settings`. The integration is
rebuilt (``stop()``, then a new one ``start()``-ed) when the session changes (signing
in from the sandbox), so it never holds a stale app or tracker.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mrtimer.api import ApiClient, ApiError, AuthError, TransportError
from mrtimer.core import (
    App,
    AuthStatus,
    KeyStore,
    SecretsUnavailable,
    Settings,
    SettingsError,
    Tracker,
    TrackerState,
)
from mrtimer.core.app import origin_of
from mrtimer.core.heap import HeapTrim
from mrtimer.core.sysenv import open_target

from .backend import Tray
from .dialogs import DialogError, DialogHandle, Dialogs, Event
from .icons import render
from .model import (
    APP_NAME,
    Cmd,
    Command,
    Item,
    MenuContext,
    Prompt,
    View,
    build_view,
    command_at,
    fmt_hm,
    menu_to_json,
    recent_label,
    running_label,
)
from .session import Session, open_real, open_sandbox, real_base_url

__all__ = ["Integration", "TrayController"]

log = logging.getLogger("mrtimer.tray")

TICK = 1.0
# The icon is shown before anything else starts; without a tray host it never is.
SHOWN_WAIT = 1.0


class Integration(Protocol):
    """What ``mrtimer.desktop.DesktopIntegration(app, tracker, controller)`` offers
    (``status()``, ``choose()`` and ``settings_changed()`` are used when present)."""

    def start(self) -> None: ...

    def stop(self) -> Any: ...


IntegrationFactory = Callable[[App, Tracker, "TrayController"], Integration]


@dataclass(frozen=True)
class _SettingField:
    key: str
    label: str
    type: str = "text"
    min: int = 0
    max: int = 0


SETTING_FIELDS = (
    _SettingField("base_url", "API base URL"),
    _SettingField("poll_interval", "Refresh every (seconds)", "int", 15, 3600),
    _SettingField("recent_count", "Recent tasks in the menu", "int", 1, 30),
    _SettingField("notifications", "Desktop notifications", "bool"),
    _SettingField("hotkeys_enabled", "Global hotkeys", "bool"),
    _SettingField("hotkey_toggle", "Hotkey: stop or resume"),
    _SettingField("hotkey_new", "Hotkey: new timer"),
    _SettingField("start_at_login", "Start when I log in", "bool"),
    _SettingField("idle_threshold_minutes", "Away after (minutes without input)", "int", 1, 240),
    _SettingField("stop_when_idle", "Stop the running timer when I am away", "bool"),
)


class _Jobs:
    """One background thread for slow one-off work, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, Callable[[], None]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="mrtimer-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, name: str, fn: Callable[[], None]) -> None:
        self._queue.put((name, fn))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            name, fn = job
            try:
                fn()
            except Exception:  # noqa: BLE001 - log and keep serving
                log.exception("background job %s failed", name)

    def stop(self, timeout: float) -> bool:
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(max(0.0, timeout))
        return not self._thread.is_alive()


class TrayController:
    def __init__(
        self,
        session: Session,
        *,
        base_url_arg: str | None = None,
        dialogs: Dialogs | None = None,
        probe_dir: Path | None = None,
        integration_factory: IntegrationFactory | None = None,
        open_real_session: Callable[[str | None], Session] = open_real,
        open_sandbox_session: Callable[[], Session] = open_sandbox,
    ) -> None:
        self._lock = threading.Lock()  # guards the fields up to _poked
        self._session = session
        self._generation = 0
        self._state: TrackerState = session.tracker.state
        self._wanted: View | None = None
        self._calls: deque[Callable[[], None]] = deque()
        self._poked = False
        self._quitting = False
        self._desktop: tuple[tuple[Prompt, ...], tuple[str, ...], str | None] = ((), (), None)
        # UI thread only:
        self._tray: Tray | None = None
        self._applied: View | None = None
        self._applied_size = 0
        self._menu: tuple[Item, ...] = ()
        self._size = 32
        self._probe_seq = 0
        self.menus_shown = 0
        # the rest
        self._base_url_arg = base_url_arg
        self._open_real = open_real_session
        self._open_sandbox = open_sandbox_session
        self._dialogs = dialogs or Dialogs()
        self._probe_dir = probe_dir
        self._integration_factory = integration_factory
        self._integration: Integration | None = None
        self._reports = importlib.util.find_spec("mrtimer.report") is not None
        self._jobs = _Jobs()
        self._tick_stop = threading.Event()
        self._tick = threading.Thread(target=self._tick_loop, name="mrtimer-tray-tick",
                                      daemon=True)
        self._started = False
        self.refresh()

    # -- the door: any thread -------------------------------------------------------------

    def on_state(self, state: TrackerState, generation: int | None = None) -> None:
        """Observer of the core: a new state, from whatever thread made it."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return  # from a session we have left
            self._state = state
        self.refresh()

    def _observer(self, generation: int) -> Callable[[TrackerState], None]:
        def observe(state: TrackerState) -> None:
            self.on_state(state, generation)

        return observe

    def refresh(self) -> None:
        """Recompute the view; poke the UI thread only when something shown changed."""
        with self._lock:
            if self._quitting:
                return
            session = self._session
            view = build_view(self._state, session.tracker.server_now(), self._context(session))
            if view == self._wanted:
                return
            self._wanted = view
            poke = not self._poked
            self._poked = True
        if poke:
            self._poke()

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the UI thread, soon, in order."""
        with self._lock:
            self._calls.append(fn)
            poke = not self._poked
            self._poked = True
        if poke:
            self._poke()

    def _poke(self) -> None:
        tray = self._tray
        if tray is not None:
            tray.call_soon(self._drain)

    def _context(self, session: Session) -> MenuContext:
        app = session.app
        prompts, notes, pomodoro = self._desktop
        return MenuContext(
            sandbox=session.sandbox,
            key_from_env=not session.sandbox and app.keys.from_env,
            reports=self._reports,
            recent_limit=app.settings.recent_count,
            tz=app.tz,
            prompts=prompts,
            notes=notes,
            pomodoro=pomodoro,
        )

    # -- the UI thread ----------------------------------------------------------------------

    def bind(self, tray: Tray) -> None:
        """Attach the tray (before :meth:`run`); what waited for it is drained first."""
        self._tray = tray
        self._size = tray.size
        with self._lock:
            pending = self._poked
        if pending:
            tray.call_soon(self._drain)

    def initial_view(self) -> View:
        with self._lock:
            assert self._wanted is not None
            return self._wanted

    def menu_items(self) -> tuple[Item, ...]:
        """The current menu model (pystray reads it on the UI thread)."""
        return self._menu

    def _drain(self) -> None:
        with self._lock:
            self._poked = False
            calls = list(self._calls)
            self._calls.clear()
            view = self._wanted
        for fn in calls:
            try:
                fn()
            except Exception:  # noqa: BLE001 - one failing call must not stop the others
                log.exception("UI call failed")
        if view is not None and (view != self._applied or self._size != self._applied_size):
            self._apply(view)

    def _apply(self, view: View) -> None:
        tray = self._tray
        if tray is None:
            return
        old = self._applied
        if old is None or old.icon != view.icon or self._size != self._applied_size:
            tray.set_image(render(view.icon, self._size, tray.mono))
            self._applied_size = self._size
        if old is None or old.title != view.title:
            tray.set_title(view.title)
        if old is None or old.menu != view.menu:
            self._menu = view.menu
            tray.update_menu()
        self._applied = view
        self._write_probe()

    def on_resize(self, size: int) -> None:
        """The tray gave the icon a new pixel size (UI thread)."""
        if size > 1 and size != self._size:
            self._size = size
            if self._applied is not None:
                self._apply(self._applied)

    def on_click(self, x: int, below: int, above: int) -> None:
        """A click on an icon without a native menu (UI thread): the popup menu opens
        under the icon, or over it when the panel is at the bottom."""
        self._show_menu((x, below, above))

    def run(self) -> None:
        """Run the tray loop on this (the main) thread until :meth:`quit`."""
        assert self._tray is not None
        self._tray.run(self._started_ui)

    def _started_ui(self) -> None:
        # pystray's setup thread: everything else starts here, once the loop runs, and
        # once the icon is on screen: the worker's first sync (httpx, TLS) and the desktop
        # integration would otherwise hold the GIL while the UI thread draws the icon.
        self.post(self._show_icon)
        assert self._tray is not None
        if not self._tray.wait_shown(SHOWN_WAIT):
            log.info("icon not shown within %.1f s (no tray host yet?); starting anyway",
                     SHOWN_WAIT)
        self.start()

    def _show_icon(self) -> None:
        assert self._tray is not None
        self._tray.show()

    def start(self) -> None:
        """Start the session's worker, the tick, the jobs thread and the integration."""
        with self._lock:
            if self._started or self._quitting:
                return
            self._started = True
            session, generation = self._session, self._generation
        self._jobs.start()
        session.start(self._observer(generation))
        self._tick.start()
        self._start_integration(session)
        self.refresh()

    # -- the tick ---------------------------------------------------------------------------

    def _tick_loop(self) -> None:
        heap = HeapTrim()
        while not self._tick_stop.wait(TICK - (time.time() % TICK) + 0.002):
            try:
                self.refresh()
                heap.maybe()  # once a minute: the freed memory of the last bursts
            except Exception:  # noqa: BLE001
                log.exception("tray tick failed")

    # -- public helpers (any thread) ----------------------------------------------------------

    @property
    def state(self) -> TrackerState:
        with self._lock:
            return self._state

    @property
    def session(self) -> Session:
        with self._lock:
            return self._session

    @property
    def app(self) -> App:
        return self.session.app

    @property
    def tracker(self) -> Tracker:
        return self.session.tracker

    @property
    def settings(self) -> Settings:
        return self.session.app.settings

    def _wake(self, force: bool = False) -> None:
        self.session.worker.wake(force=force)

    def toggle(self) -> None:
        """Stop the running timer, else resume the most recent task (the hotkey)."""
        self.tracker.toggle()
        self._wake()

    def start_timer(self, task_id: str | None = None, description: str | None = None,
                    parent_id: str | None = None, label: str | None = None,
                    project_id: str | None = None) -> None:
        self.tracker.start(task_id, description, parent_id, switch=True, label=label,
                           project_id=project_id)
        self._wake()

    def stop(self) -> None:
        self.tracker.stop()
        self._wake()

    def new_timer(self) -> None:
        """Ask a description, then start (or switch to) a timer with it."""
        self.ask_description(self._start_described)

    def _start_described(self, text: str | None) -> None:
        if not text:
            return
        for task in self.state.recent:  # a recent task picked from the list
            if text == recent_label(task):
                self.start_timer(task.task_id, task.description, label=text,
                                 project_id=task.project_id)
                return
        self.start_timer(description=text, label=text)

    def ask_description(self, on_done: Callable[[str | None], None],
                        heading: str = "Start a new timer") -> None:
        """Open the description prompt; ``on_done(text or None)`` runs on a
        background thread when it closes."""
        result: list[str | None] = [None]
        suggestions = [recent_label(t) for t in self.state.recent]

        def on_event(_handle: DialogHandle, event: Event) -> None:
            if event.get("event") == "submit" and isinstance(event.get("text"), str):
                result[0] = event["text"]

        self._open_dialog("describe", {"heading": heading, "suggestions": suggestions},
                          on_event, lambda _h: on_done(result[0]))

    def show_menu(self) -> None:
        """Open the menu as if the icon was clicked (a hotkey, a second start)."""
        self.post(lambda: self._show_menu(None))

    def notify(self, title: str, text: str) -> None:
        """A desktop notification (if enabled in settings)."""
        if not self.settings.notifications:
            return

        def send() -> None:
            tray = self._tray
            if tray is not None and tray.notify(title, text):
                return
            self._jobs.submit("notify", lambda: _notify_send(title, text))

        self.post(send)

    def can_notify(self) -> bool:
        """Whether :meth:`notify` can show something through the tray icon now."""
        tray = self._tray
        return tray is not None and tray.can_notify and self._applied is not None

    def action_queued(self) -> None:
        """A tracker action was queued elsewhere (a hotkey): send it now."""
        self._wake()

    def desktop_changed(self) -> None:
        """Desktop integration's status changed: show its prompts and notes."""
        integration = self._integration
        status = getattr(integration, "status", None)
        if not callable(status):
            return
        try:
            st = status()
        except Exception:  # noqa: BLE001
            log.exception("desktop integration status failed")
            return
        prompts = tuple(
            Prompt(str(p.id), str(p.title), str(p.text),
                   tuple((str(a.key), str(a.label)) for a in p.actions))
            for p in getattr(st, "prompts", ()))
        notes = tuple(str(n) for n in getattr(st, "notes", ()))
        pomodoro = None
        phase = getattr(st, "pomodoro_phase", "off")
        if phase and phase != "off":
            left = getattr(st, "pomodoro_remaining", None)
            pomodoro = f"Pomodoro: {phase}" + (f", {left} min left" if left is not None else "")
        with self._lock:
            self._desktop = (prompts, notes, pomodoro)
        self.refresh()

    def quit(self) -> None:
        self.post(self._quit_ui)

    # -- menu commands -------------------------------------------------------------------------

    def command(self, cmd: Command) -> None:
        """Carry out a menu command (any thread; UI work is posted)."""
        log.info("menu: %s", cmd.kind.value)
        kind = cmd.kind
        if kind is Cmd.STOP:
            self.stop()
        elif kind is Cmd.START:
            self.start_timer(cmd.task_id, cmd.description, label=cmd.label,
                             project_id=cmd.project_id)
        elif kind is Cmd.RESUME_LAST:
            self.tracker.resume_last()
            self._wake()
        elif kind is Cmd.NEW_TIMER:
            self.new_timer()
        elif kind is Cmd.DISCARD and cmd.timer_id:
            self._confirm_discard(cmd.timer_id, cmd.label)
        elif kind is Cmd.RETRY_NOW:
            self.tracker.request_refresh()
            self._wake(force=True)
        elif kind is Cmd.RETRY_FAILED and cmd.action_id is not None:
            self.tracker.retry_failed(cmd.action_id)
            self._wake(force=True)
        elif kind is Cmd.DISMISS_FAILED and cmd.action_id is not None:
            self.tracker.dismiss(cmd.action_id)
        elif kind is Cmd.CLEAR_NOTICES:
            self.tracker.clear_notices()
        elif kind is Cmd.WEEKLY_REPORT:
            self._jobs.submit("weekly report", self._weekly_report)
        elif kind is Cmd.SIGN_IN:
            self._sign_in()
        elif kind is Cmd.SIGN_OUT:
            self._jobs.submit("sign out", self._sign_out)
        elif kind is Cmd.USE_SANDBOX:
            self._jobs.submit("use sandbox", lambda: self._switch(self._open_sandbox))
        elif kind is Cmd.SETTINGS:
            self._settings()
        elif kind is Cmd.OPEN_LOGS:
            self._jobs.submit("open logs", self._open_logs)
        elif kind is Cmd.PROMPT and cmd.prompt_id and cmd.key:
            choose = getattr(self._integration, "choose", None)
            if callable(choose):
                choose(cmd.prompt_id, cmd.key)
        elif kind is Cmd.QUIT:
            self.quit()

    def _show_menu(self, at: tuple[int, int, int] | None) -> None:
        """UI thread: the native menu where possible, else the popup child."""
        self.menus_shown += 1
        tray = self._tray
        if tray is not None and tray.native_menu and tray.popup_menu():
            self._write_probe()
            return
        snapshot = self._menu
        request: Event = {"items": menu_to_json(snapshot)}
        if at is not None:
            request["x"], request["y"], request["above"] = at

        def on_event(_handle: DialogHandle, event: Event) -> None:
            if event.get("event") == "choose" and isinstance(event.get("id"), str):
                cmd = command_at(snapshot, event["id"])
                if cmd is not None:
                    self.command(cmd)

        self._open_dialog("menu", request, on_event)
        self._write_probe()

    def _open_dialog(self, kind: str, request: Event,
                     on_event: Callable[[DialogHandle, Event], None],
                     on_exit: Callable[[DialogHandle], None] | None = None) -> None:
        if self._probe_dir is not None:
            request = {**request, "probe": str(self._probe_dir)}

        def handle_event(handle: DialogHandle, event: Event) -> None:
            if event.get("event") == "error":
                message = str(event.get("message") or "the dialog failed")
                log.error("%s dialog: %s", kind, message)
                self.notify(APP_NAME, message)
                return
            on_event(handle, event)

        try:
            self._dialogs.open(kind, request, handle_event, on_exit)
        except DialogError as exc:
            log.error("%s", exc)
            self.notify(APP_NAME, str(exc))

    def _confirm_discard(self, timer_id: str, label: str | None) -> None:
        running = self.state.running
        elapsed = ""
        if running is not None and running.id == timer_id:
            elapsed = f" ({fmt_hm(running.elapsed(self.tracker.server_now()))})"
            label = label or running_label(running)

        def on_event(_handle: DialogHandle, event: Event) -> None:
            if event.get("event") == "submit" and event.get("ok") is True:
                self.tracker.delete(timer_id, label)
                self._wake()

        self._open_dialog("confirm", {
            "title": "Discard timer",
            "heading": "Discard the running timer?",
            "message": f"“{label or 'The running timer'}”{elapsed} will be deleted, with "
                       "the time resumed into it. This can't be undone.",
            "ok": "Discard",
            "cancel": "Keep it",
        }, on_event)

    # -- sign in / out, sandbox ------------------------------------------------------------------

    def _real_url(self) -> str:
        return real_base_url(self._base_url_arg, self.settings)

    def _sign_in(self) -> None:
        url = self._real_url()
        try:
            origin = origin_of(url)
        except ValueError as exc:
            self.notify(APP_NAME, f"Cannot sign in: {exc}")
            return

        def on_event(handle: DialogHandle, event: Event) -> None:
            key = event.get("key")
            if event.get("event") == "submit" and isinstance(key, str):
                self._jobs.submit("check key", lambda: self._check_key(handle, url, key))

        self._open_dialog("signin", {"origin": origin}, on_event)

    def _check_key(self, handle: DialogHandle, url: str, key: str) -> None:
        """Jobs thread: validate the key with a list call, then store it."""
        settings = self.settings
        host = origin_of(url)
        probe = ApiClient(url, lambda: key, connect_timeout=settings.connect_timeout,
                          read_timeout=settings.read_timeout)
        try:
            probe.list_week(None)
        except AuthError as exc:
            handle.send({"event": "result", "ok": False, "message":
                         f"The server refused this key ({exc.message}). Nothing was stored."})
            return
        except TransportError as exc:
            handle.send({"event": "result", "ok": False, "message":
                         f"Cannot reach {host} to check the key ({exc}). Nothing was stored."})
            return
        except ApiError as exc:
            handle.send({"event": "result", "ok": False, "message":
                         f"The server could not check the key ({exc}). Nothing was stored."})
            return
        finally:
            probe.close()
        session = self.session
        same = not session.sandbox and session.app.base_url == url
        keys = session.app.keys if same else KeyStore(origin_of(url))
        try:
            keys.set(key)
        except SecretsUnavailable as exc:
            handle.send({"event": "result", "ok": False, "message": str(exc)})
            return
        log.info("signed in to %s", host)
        handle.send({"event": "result", "ok": True, "message": f"Signed in to {host}."})
        if same:
            session.tracker.key_changed()
            self._wake(force=True)
        else:
            self._switch(lambda: self._open_real(self._base_url_arg))

    def _sign_out(self) -> None:
        session = self.session
        if session.sandbox:
            return
        try:
            found = session.app.keys.delete()
        except SecretsUnavailable as exc:
            self.notify(APP_NAME, str(exc))
            return
        log.info("signed out (a key was %s)", "removed" if found else "not stored")
        if session.app.keys.from_env:
            self.notify(APP_NAME, "MRTIMER_API_KEY is set: unset it to sign out for good.")
        session.tracker.key_changed()
        self.refresh()

    def _switch(self, opener: Callable[[], Session]) -> None:
        """Jobs thread: replace the session (sandbox <-> API). The old one's queued
        actions stay in its outbox."""
        with self._lock:
            if self._quitting:
                return
        try:
            new = opener()
        except Exception as exc:  # noqa: BLE001 - keep the old session on any failure
            log.exception("cannot switch session")
            self.notify(APP_NAME, f"Could not switch: {exc}")
            return
        with self._lock:
            if self._quitting:
                quitting = True
            else:
                quitting = False
                old = self._session
                self._session = new
                self._generation += 1
                generation = self._generation
                self._state = new.tracker.state
        if quitting:
            new.close(time.monotonic() + 1.0)
            return
        self._stop_integration()
        new.start(self._observer(generation))
        old.close(time.monotonic() + 2.0)
        self._start_integration(new)
        log.info("now tracking against %s", new.label)
        self.refresh()

    # -- settings -----------------------------------------------------------------------------

    def _settings(self) -> None:
        settings = self.settings
        values = settings.to_mapping()
        help_texts = _setting_help()
        fields = [{"key": f.key, "label": f.label, "type": f.type, "value": values[f.key],
                   "help": "" if help_texts.get(f.key, "").endswith("on/off")
                   else help_texts.get(f.key, ""), "min": f.min, "max": f.max}
                  for f in SETTING_FIELDS]
        note = ""
        if self._base_url_arg or os.environ.get("MRTIMER_BASE_URL"):
            note = "The API base URL is set by --base-url or MRTIMER_BASE_URL for this run."

        def on_event(handle: DialogHandle, event: Event) -> None:
            new_values = event.get("values")
            if event.get("event") == "submit" and isinstance(new_values, dict):
                self._jobs.submit("save settings", lambda: self._save_settings(handle,
                                                                              new_values))

        self._open_dialog("settings", {"fields": fields, "note": note}, on_event)

    def _save_settings(self, handle: DialogHandle, values: dict[str, Any]) -> None:
        session = self.session
        old = session.app.settings
        new = old
        known = {f.key for f in SETTING_FIELDS}
        try:
            for key, value in values.items():
                if key not in known:
                    continue
                text = ("true" if value else "false") if isinstance(value, bool) else str(value)
                new = new.with_value(key, text)
            new.save(session.app.paths.settings_file)
        except SettingsError as exc:
            handle.send({"event": "result", "ok": False, "message": str(exc)})
            return
        except OSError as exc:
            handle.send({"event": "result", "ok": False,
                         "message": f"Cannot write the settings file: {exc}"})
            return
        handle.send({"event": "result", "ok": True, "message": "Saved."})
        self._apply_settings(session, old, new)

    def _apply_settings(self, session: Session, old: Settings, new: Settings) -> None:
        session.app.settings = new
        tracker = session.tracker
        tracker.poll_interval = new.poll_interval
        tracker.recent_count = new.recent_count
        tracker.request_refresh()
        self._wake()
        integration = self._integration
        changed = getattr(integration, "settings_changed", None)
        if callable(changed):
            try:
                changed()
            except Exception:  # noqa: BLE001
                log.exception("desktop integration failed to apply settings")
        url_overridden = bool(self._base_url_arg or os.environ.get("MRTIMER_BASE_URL"))
        if new.base_url != old.base_url and not session.sandbox and not url_overridden:
            self._switch(lambda: self._open_real(None))
        self.refresh()

    # -- the rest -------------------------------------------------------------------------------

    def _weekly_report(self) -> None:
        from mrtimer.report import write_weekly_report

        session = self.session
        app = session.app
        client = ApiClient(app.base_url, app.api_key, connect_timeout=app.settings.connect_timeout,
                           read_timeout=app.settings.read_timeout)
        try:
            path = write_weekly_report(client, app.cache_dir, session.tracker.server_now(),
                                       app.tz)
        except ApiError as exc:
            self.notify("Weekly report", f"Could not build the report: {exc}")
            return
        finally:
            client.close()
        log.info("weekly report written to %s", path)
        if not open_target(path):
            self.notify("Weekly report", f"Saved to {path}")

    def _open_logs(self) -> None:
        folder = self.app.paths.log_dir
        folder.mkdir(parents=True, exist_ok=True)
        if not open_target(folder):
            self.notify(APP_NAME, f"The log folder is {folder}")

    def _start_integration(self, session: Session) -> None:
        factory = self._integration_factory
        if factory is None:
            return
        try:
            integration = factory(session.app, session.tracker, self)
            self._integration = integration
            integration.start()
        except Exception:  # noqa: BLE001 - the tray works without it
            log.exception("desktop integration failed to start")
            self._integration = None
            return
        self.desktop_changed()

    def _stop_integration(self) -> None:
        integration, self._integration = self._integration, None
        with self._lock:
            self._desktop = ((), (), None)
        if integration is not None:
            try:
                integration.stop()
            except Exception:  # noqa: BLE001
                log.exception("desktop integration failed to stop")

    # -- quitting ---------------------------------------------------------------------------

    def _quit_ui(self) -> None:
        with self._lock:
            if self._quitting:
                return
            self._quitting = True
        log.info("quitting")
        if self._tray is not None:
            self._tray.stop()

    def shutdown(self, deadline: float) -> bool:
        """After the UI loop returned (main thread): stop and join every thread by
        ``deadline`` (monotonic). True when all ended in time."""
        with self._lock:
            self._quitting = True
            session = self._session
        self._tick_stop.set()
        self._dialogs.close_all(timeout=max(0.05, min(0.5, deadline - time.monotonic())))
        self._stop_integration()
        ok = session.close(deadline)
        if self._tick.is_alive():
            self._tick.join(max(0.05, deadline - time.monotonic()))
        jobs_ok = self._jobs.stop(max(0.05, deadline - time.monotonic())) \
            if self._started else True
        return ok and jobs_ok and not self._tick.is_alive()

    # -- testing hook -----------------------------------------------------------------------------

    def _write_probe(self) -> None:
        """With ``MRTIMER_TRAY_PROBE``: what is shown, as JSON, for tests and debugging."""
        folder = self._probe_dir
        view = self._applied
        if folder is None or view is None or self._tray is None:
            return
        self._probe_seq += 1
        state = self.state
        session = self.session
        data = {
            "pid": os.getpid(),
            "seq": self._probe_seq,
            "backend": self._tray.backend,
            "session": "sandbox" if session.sandbox else "api",
            "base_url": session.app.base_url,
            "title": view.title,
            "icon": view.icon.name,
            "icon_text": view.icon.text,
            "size": self._applied_size,
            "running": state.running is not None,
            "auth": state.auth.value if isinstance(state.auth, AuthStatus) else str(state.auth),
            "menus_shown": self.menus_shown,
            "menu": menu_to_json(view.menu),
        }
        path = folder / "state.json"
        tmp = folder / "state.json.tmp"
        try:
            tmp.write_text(json.dumps(data, indent=1), "utf-8")
            os.replace(tmp, path)
        except OSError:
            log.debug("probe write failed", exc_info=True)


def _setting_help() -> dict[str, str]:
    from mrtimer.core import SETTING_HELP

    return dict(SETTING_HELP)


def _notify_send(title: str, text: str) -> None:
    """Without a tray notification: the desktop's command-line notifier, if any."""
    from mrtimer.desktop.notify import CommandNotifier, NotifyError

    notifier = CommandNotifier.notify_send()
    try:
        if notifier.available():
            notifier.send(title, text)
            return
    except NotifyError:
        pass
    log.info("notification: %s: %s", title, text)

"""``mrtimer tray``: wire a session, the controller and a pystray backend; run."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from mrtimer.api import InsecureUrlError
from mrtimer.core import App, Paths, SettingsError, Tracker

from .backend import BackendUnavailable, create_tray
from .controller import IntegrationFactory, TrayController
from .icons import render
from .session import open_initial
from .single import SingleInstance

__all__ = ["ALREADY_RUNNING", "QUIT_DEADLINE", "run_tray"]

log = logging.getLogger("mrtimer.tray")

ALREADY_RUNNING = "Meet and Rock Timer is already running"
QUIT_DEADLINE = 2.0  # seconds to stop and join every thread after the icon is gone
PROBE_ENV = "MRTIMER_TRAY_PROBE"


def _integration_factory() -> IntegrationFactory | None:
    """``mrtimer.desktop.DesktopIntegration`` when it is there (hotkeys, idle,
    notifications, autostart: optional pieces). Imported when the tray starts it, on
    pystray's setup thread, so the import doesn't delay the icon."""
    if importlib.util.find_spec("mrtimer.desktop") is None:
        log.info("desktop integration not available")
        return None

    def make(app: App, tracker: Tracker, controller: TrayController) -> Any:
        from mrtimer.desktop import DesktopIntegration

        return DesktopIntegration(app, tracker, controller)

    return make


def _probe_dir() -> Path | None:
    folder = os.environ.get(PROBE_ENV)
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_tray(base_url: str | None = None, sandbox: bool = False) -> int:
    """Run the tray app until Quit. Exit codes: 0 done (or another tray is running),
    1 no tray possible (no display), 2 configuration error."""
    try:
        paths = Paths.default()
        paths.ensure()
    except OSError as exc:
        print(f"mrtimer: cannot create the data folders: {exc}", file=sys.stderr)
        return 2
    instance = SingleInstance(paths.data_dir)
    if not instance.acquire():
        instance.ask_running("show-menu")
        print(ALREADY_RUNNING)
        return 0
    try:
        return _run(instance, base_url, sandbox)
    finally:
        instance.close()
        alive = [t.name for t in threading.enumerate()
                 if t is not threading.current_thread() and t.is_alive()
                 and t.name.startswith("mrtimer-")]
        if alive:  # daemon threads: they end with the process
            log.warning("threads still running at exit: %s", ", ".join(alive))


def _run(instance: SingleInstance, base_url: str | None, sandbox: bool) -> int:
    try:
        session = open_initial(base_url, sandbox)
    except (SettingsError, InsecureUrlError) as exc:
        print(f"mrtimer: {exc}", file=sys.stderr)
        return 2
    controller = TrayController(session, base_url_arg=base_url, probe_dir=_probe_dir(),
                                integration_factory=_integration_factory())
    view = controller.initial_view()
    try:
        tray = create_tray("mrtimer", render(view.icon, 32), view.title, controller.menu_items,
                           controller.command, controller.on_click, controller.on_resize)
    except BackendUnavailable as exc:
        print(f"mrtimer: {exc}", file=sys.stderr)
        controller.shutdown(time.monotonic() + QUIT_DEADLINE)
        return 1
    controller.bind(tray)
    instance.serve(lambda request: controller.show_menu() if request == "show-menu" else None)
    _on_signals(controller)
    log.info("tray started (%s, %s)", tray.backend, session.label)
    try:
        controller.run()
    finally:
        deadline = time.monotonic() + QUIT_DEADLINE
        clean = controller.shutdown(deadline)
        log.info("tray stopped%s", "" if clean else " (a thread did not end in time)")
    return 0


def _on_signals(controller: TrayController) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        controller.quit()

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, handler)

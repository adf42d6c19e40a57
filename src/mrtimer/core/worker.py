"""The background worker: the only thread that talks to the network in the tray app."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .tracker import Tracker

__all__ = ["Worker"]

log = logging.getLogger("mrtimer.worker")

CLOCK_CHECK = 30.0  # seconds: how often a wall-clock jump (sleep, resume) is looked for
BUSY_WAIT = 1.0  # seconds before retrying when another process holds the sync lock
JUMP = 20.0  # seconds of wall time beyond monotonic time that count as a jump


class Worker:
    """Runs :meth:`Tracker.sync` when actions wait, when a refresh is due, when woken
    (``wake()``) and after the machine resumes from sleep. Named, stoppable, joined."""

    def __init__(self, tracker: Tracker, on_error: Callable[[BaseException], None] | None = None,
                 name: str = "mrtimer-worker") -> None:
        self.tracker = tracker
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = threading.Event()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.cycles = 0  # finished sync passes (tests wait on this through events)
        self.cycle_done = threading.Condition()

    def start(self) -> None:
        # Actions queued on this machine wait for us: send them at once.
        self.tracker.request_refresh(full=True)
        self._thread.start()

    def wake(self, force: bool = False) -> None:
        """Ask for a pass now (after a user action); ``force`` ignores the backoff."""
        if force:
            self._force.set()
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop and join; True when the thread ended in time."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_cycles(self, count: int, timeout: float) -> bool:
        """Block until ``count`` passes have finished (tests and benchmarks)."""
        with self.cycle_done:
            return self.cycle_done.wait_for(lambda: self.cycles >= count, timeout)

    def _run(self) -> None:
        clock = self.tracker.clock
        last_wall, last_mono = clock.now().timestamp(), clock.monotonic()
        while not self._stop.is_set():
            force = self._force.is_set()
            self._force.clear()
            self._wake.clear()
            floor = 0.0
            try:
                if self.tracker.sync(force=force).busy:
                    floor = BUSY_WAIT  # a CLI command is sending: look again soon
            except Exception as exc:  # a bug must not kill the only network thread
                log.exception("sync failed")
                floor = BUSY_WAIT
                if self._on_error is not None:
                    self._on_error(exc)
            with self.cycle_done:
                self.cycles += 1
                self.cycle_done.notify_all()
            wait = max(floor, min(self.tracker.seconds_until_due(), CLOCK_CHECK))
            self._wake.wait(wait)
            wall, mono = clock.now().timestamp(), clock.monotonic()
            if abs((wall - last_wall) - (mono - last_mono)) > JUMP:
                log.info("wall clock jumped (sleep or clock change): refreshing")
                self.tracker.request_refresh(full=True)
            last_wall, last_mono = wall, mono

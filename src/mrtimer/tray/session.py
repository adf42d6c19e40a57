"""A tray session: the core :class:`~mrtimer.core.App`, its worker thread and, in
sandbox mode, the in-process sandbox API. Signing in from the sandbox (or choosing
"Use local sandbox" after signing out) swaps one session for another."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mrtimer.core import SANDBOX_KEY, App, Paths, Settings, Tracker, TrackerState, Worker
from mrtimer.core.app import origin_of

if TYPE_CHECKING:
    from mrtimer.sandbox import SandboxServer

__all__ = ["Session", "open_initial", "open_real", "open_sandbox", "real_base_url"]

log = logging.getLogger("mrtimer.tray")


@dataclass
class Session:
    app: App
    worker: Worker
    server: SandboxServer | None = None  # sandbox mode only
    _unsubscribe: Callable[[], None] | None = field(default=None, repr=False)
    _started: bool = field(default=False, repr=False)

    @property
    def tracker(self) -> Tracker:
        return self.app.tracker

    @property
    def sandbox(self) -> bool:
        return self.app.sandbox

    @property
    def label(self) -> str:
        return "sandbox" if self.sandbox else origin_of(self.app.base_url)

    def start(self, observer: Callable[[TrackerState], None]) -> None:
        self._unsubscribe = self.app.tracker.subscribe(observer)
        self.worker.start()
        self._started = True

    def close(self, deadline: float) -> bool:
        """Stop the worker (joined until ``deadline``, a monotonic time), close the
        outbox and the sandbox. True when every thread ended in time."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        joined = True
        if self._started:
            joined = self.worker.stop(timeout=max(0.05, deadline - time.monotonic()))
        if joined:
            self.app.close()
        else:
            # A request is hanging: leave its row in 'sending'; the next start marks it
            # ambiguous and reconciles it with the server before sending it again.
            log.warning("worker still waiting for the network at quit; queued actions "
                        "stay in the outbox")
        if self.server is not None:
            self.server.stop()
        return joined


def real_base_url(base_url: str | None, settings: Settings) -> str:
    """The API the user means: ``--base-url``, then ``MRTIMER_BASE_URL``, then settings."""
    return base_url or os.environ.get("MRTIMER_BASE_URL") or settings.base_url


def open_real(base_url: str | None) -> Session:
    app = App.load(base_url)
    return Session(app, Worker(app.tracker))


def open_sandbox() -> Session:
    from mrtimer.sandbox import SandboxServer

    paths = Paths.default()
    paths.ensure()
    server = SandboxServer("127.0.0.1", 0, db=paths.sandbox_db)
    server.start()
    try:
        server.seed_demo(SANDBOX_KEY)
        app = App.load(sandbox_url=server.base_url)
    except BaseException:
        server.stop()
        raise
    log.info("sandbox API at %s", server.base_url)
    return Session(app, Worker(app.tracker), server)


def open_initial(base_url: str | None, sandbox: bool) -> Session:
    """``--sandbox``, or no API key configured: the in-process sandbox; else the API."""
    if sandbox:
        return open_sandbox()
    session = open_real(base_url)
    if session.app.api_key():
        return session
    log.info("no API key for %s: starting the local sandbox", session.label)
    session.app.close()
    return open_sandbox()

"""Wires settings, key, client, outbox and tracker together: one door for CLI and tray."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import filelock

from mrtimer.api import ApiClient, validate_base_url

from .clock import Clock, SystemClock
from .logs import setup_logging
from .outbox import Outbox
from .paths import Paths
from .secrets import KeyStore
from .settings import Settings
from .tracker import Tracker

if TYPE_CHECKING:
    import httpx

__all__ = ["App", "origin_of"]

SANDBOX_KEY = "sandbox-local-key"


def origin_of(base_url: str) -> str:
    url = validate_base_url(base_url)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


@dataclass
class App:
    """Everything a front end needs, built lazily so ``--help`` stays instant."""

    paths: Paths
    settings: Settings
    base_url: str
    clock: Clock = field(default_factory=SystemClock)
    tz: tzinfo | None = None
    sandbox: bool = False
    transport: httpx.BaseTransport | None = None
    _keys: KeyStore | None = None
    _client: ApiClient | None = None
    _tracker: Tracker | None = None

    @classmethod
    def load(cls, base_url: str | None = None, *, sandbox_url: str | None = None,
             clock: Clock | None = None) -> App:
        paths = Paths.default()
        settings = Settings.load(paths.settings_file)
        url = sandbox_url or base_url or os.environ.get("MRTIMER_BASE_URL") or settings.base_url
        validate_base_url(url)
        paths.ensure()
        app = cls(paths, settings, url, clock or SystemClock(), sandbox=sandbox_url is not None)
        # The sandbox never asks the keyring (it could prompt to unlock it).
        setup_logging(paths.log_file, app.api_key if app.sandbox else app.keys.get_quiet)
        return app

    @property
    def origin(self) -> str:
        # The in-process sandbox listens on a new port each run: one stable name keeps
        # its queued actions and last known state across restarts.
        return "sandbox:local" if self.sandbox else origin_of(self.base_url)

    @property
    def keys(self) -> KeyStore:
        if self._keys is None:
            self._keys = KeyStore(self.origin)
        return self._keys

    def api_key(self) -> str | None:
        if self.sandbox:
            return SANDBOX_KEY
        return self.keys.get_quiet()

    def api(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(
                self.base_url,
                self.api_key,
                connect_timeout=self.settings.connect_timeout,
                read_timeout=self.settings.read_timeout,
                transport=self.transport,
                wall_clock=lambda: self.clock.now().timestamp(),
            )
        return self._client

    @property
    def tracker(self) -> Tracker:
        if self._tracker is None:
            outbox = Outbox(self.paths.outbox_db, self.origin)
            self._tracker = Tracker(
                self.api(),
                outbox,
                self.clock,
                filelock.FileLock(str(self.paths.lock_file)),
                has_key=lambda: bool(self.api_key()),
                poll_interval=self.settings.poll_interval,
                recent_count=self.settings.recent_count,
                tz=self.tz,
                sandbox=self.sandbox,
            )
        return self._tracker

    @property
    def cache_dir(self) -> Path:
        return self.paths.cache_dir

    def now(self) -> datetime:
        return self.clock.now()

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.outbox.close()
        if self._client is not None:
            self._client.close()

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mrtimer.sandbox import SandboxServer  # noqa: E402

from memkeyring import MemoryKeyring  # noqa: E402

KEY = "test-key-7f3a9c"


class FakeClock:
    """Wall clock and monotonic clock that only move when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def jump_wall(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own MRTIMER_HOME and an in-memory keyring."""
    for name in list(os.environ):
        if name.startswith("MRTIMER_") and name not in (
            "MRTIMER_REQUIRE_X11", "MRTIMER_REQUIRE_CHROMIUM", "MRTIMER_REQUIRE_PACKAGING"
        ):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("MRTIMER_HOME", str(home))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def clocked_sandbox(clock: FakeClock) -> Iterator[SandboxServer]:
    """A sandbox whose clock is the test's fake clock."""
    server = SandboxServer(port=0, clock=clock.now).start()
    yield server
    server.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0,
               interval: float = 0.01) -> bool:
    """Poll ``predicate`` until true or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()

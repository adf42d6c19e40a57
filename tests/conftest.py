from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mrtimer.sandbox import SandboxServer  # noqa: E402

from fakeclock import FakeClock  # noqa: E402
from memkeyring import MemoryKeyring  # noqa: E402

KEY = "test-key-7f3a9c"


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own MRTIMER_HOME and an in-memory keyring."""
    for name in list(os.environ):
        if name.startswith("MRTIMER_") and name not in (
            "MRTIMER_REQUIRE_X11", "MRTIMER_REQUIRE_CHROMIUM", "MRTIMER_REQUIRE_PACKAGING"
        ):
            monkeypatch.delenv(name)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):  # the CAs the API client trusts
        monkeypatch.delenv(name, raising=False)
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

"""Network cost: requests per hour while idle, requests per start, stop and switch.

Drives the tray's real scheduling (``Tracker.seconds_until_due`` + ``Tracker.sync``, as
the worker thread does) against the sandbox over HTTP, with a simulated clock so an
hour takes a second.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import filelock

from mrtimer.api import ApiClient
from mrtimer.core import Outbox, Tracker
from mrtimer.sandbox import SandboxServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakeclock import FakeClock  # noqa: E402  (the tests' hand-moved clock)

KEY = "bench-key"


def measure() -> dict[str, float]:
    clock = FakeClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp, \
            SandboxServer(port=0, clock=clock.now) as server:
        client = ApiClient(server.base_url, lambda: KEY,
                           wall_clock=lambda: clock.now().timestamp())
        outbox = Outbox(Path(tmp) / "outbox.sqlite3", "bench")
        tracker = Tracker(client, outbox, clock, filelock.FileLock(f"{tmp}/lock"), tz=UTC)
        tracker.sync()  # start-up: this week and last week
        start_count = server.request_count()
        elapsed = 0.0
        while elapsed < 3600:
            step = min(max(tracker.seconds_until_due(), 0.001), 30.0)  # the worker's wait
            clock.advance(step)
            elapsed += step
            tracker.sync()
        idle = server.request_count() - start_count

        def cost(action: object) -> int:
            before = server.request_count()
            assert action is not None
            tracker.sync()
            return server.request_count() - before

        start = cost(tracker.start(description="bench"))
        clock.advance(10)
        switch = cost(tracker.start(description="other", switch=True))
        clock.advance(10)
        stop = cost(tracker.stop())
        client.close()
        outbox.close()
    return {"idle_per_hour": idle, "start": start, "stop": stop, "switch": switch}


if __name__ == "__main__":
    print(measure())

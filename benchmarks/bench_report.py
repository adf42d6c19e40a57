"""Report scaling: a 52-week report against the sandbox adding 50 ms per request,
side by side with its floor (52 sequential requests of 50 ms)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from mrtimer.api import ApiClient
from mrtimer.report import Period, local_today, produce_report
from mrtimer.sandbox import SandboxServer

LATENCY = 0.05
WEEKS = 52


def measure() -> dict[str, float]:
    with SandboxServer(port=0) as server:
        server.faults.latency = LATENCY
        client = ApiClient(server.base_url, lambda: "bench")
        now = datetime.now(UTC)
        period = Period.last_weeks(local_today(now, None), WEEKS)
        before = server.request_count()
        t0 = time.perf_counter()
        report = produce_report(client, period, now=now, tz=None, cache_dir=None)
        elapsed = time.perf_counter() - t0
        requests = server.request_count() - before
        client.close()
    assert report.total_seconds >= 0
    floor = WEEKS * LATENCY
    return {"seconds": elapsed, "requests": requests, "floor_seconds": floor,
            "ratio": elapsed / floor}


if __name__ == "__main__":
    print(measure())

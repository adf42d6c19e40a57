"""Returning freed memory to the OS (glibc's malloc_trim) on the tray's tick."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mrtimer.core.heap import HeapTrim, release_free_memory

from fakeclock import FakeClock


def test_trim_first_after_start_then_once_a_minute(clock: FakeClock) -> None:
    calls: list[float] = []

    def release() -> bool:
        calls.append(clock.monotonic())
        return True

    start = clock.monotonic()
    trim = HeapTrim(every=60.0, first=10.0, clock=clock.monotonic, release=release)
    assert not trim.maybe()
    clock.advance(9.9)
    assert not trim.maybe()
    clock.advance(0.1)
    assert trim.maybe() and calls == [start + 10.0]
    clock.advance(59.0)
    assert not trim.maybe()
    clock.advance(1.0)
    assert trim.maybe()
    clock.advance(600.0)  # a long sleep: one call, not ten
    assert trim.maybe() and not trim.maybe()
    assert len(calls) == 3


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_release_gives_freed_heap_pages_back() -> None:
    # Many small blocks (below glibc's mmap threshold, so on the heap), the first kept
    # at the end: freeing the others leaves free pages inside the heap that only
    # malloc_trim hands back.
    blocks = [bytearray(60_000) for _ in range(400)]  # ~23 MiB, touched
    keep = blocks[-1]
    del blocks
    before = _rss_kib()
    assert release_free_memory()
    after = _rss_kib()
    assert before - after > 10_000, (before, after)
    assert len(keep) == 60_000

"""Give freed memory back to the OS.

A long-running tray allocates in bursts (start-up, a sync, a menu, a report) and then
idles for hours. glibc keeps the freed chunks of those bursts in its heaps, counted in
the process's resident memory, until ``malloc_trim`` returns the free pages. Elsewhere
(macOS, Windows, musl) this is a no-op.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["HeapTrim", "release_free_memory"]

_TRIM: Callable[[int], int] | None = None
_LOOKED = False
_LOCK = threading.Lock()


def _malloc_trim() -> Callable[[int], int] | None:
    global _TRIM, _LOOKED
    with _LOCK:
        if not _LOOKED:
            _LOOKED = True
            if sys.platform.startswith("linux"):
                try:
                    fn = ctypes.CDLL(None).malloc_trim
                    fn.argtypes = (ctypes.c_size_t,)
                    fn.restype = ctypes.c_int
                    _TRIM = fn
                except (OSError, AttributeError):  # not glibc
                    _TRIM = None
        return _TRIM


def release_free_memory() -> bool:
    """Return the heap's free pages to the OS; False where the C library can't."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class HeapTrim:
    """Calls ``release`` ``first`` seconds after it is made (the start-up burst is
    over), then once per ``every`` seconds of ``clock``. Owned by one thread: the tray's
    tick."""

    def __init__(self, every: float = 60.0, first: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 release: Callable[[], bool] = release_free_memory) -> None:
        self._every = every
        self._clock = clock
        self._release = release
        self._due = clock() + first

    def maybe(self) -> bool:
        """Release if due; True when it did."""
        now = self._clock()
        if now < self._due:
            return False
        self._due = now + self._every
        self._release()
        return True

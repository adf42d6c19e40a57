"""Fetching the server weeks a report needs: concurrently, with a disk cache.

The server answers one week per call (Monday to Sunday in UTC, each timer in the week
of its start). A report over local dates therefore needs every UTC week that overlaps
the range, plus the week before it (a timer started then may run into the range).

Weeks are fetched by a bounded pool (``WORKERS`` threads over the one thread-safe
``httpx.Client`` of the API client). A week is cached on disk (JSON, one file per
week, written atomically) only once it is well in the past: it ended at least
``CACHE_AFTER`` ago and holds no running timer. The current week, last week (a timer
resumed from last week gets its child there) and future weeks are always fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Protocol

from mrtimer.api import Timer, decode_timer, encode_timer
from mrtimer.core.atomic import atomic_write

from ._aggregate import LocalZone, Period

__all__ = [
    "CACHE_AFTER",
    "WORKERS",
    "TtyProgress",
    "WeekCache",
    "WeekSource",
    "cache_namespace",
    "fetch_weeks",
    "weeks_for",
]

WORKERS = 4
CACHE_AFTER = timedelta(days=7)
CACHE_VERSION = 1
LONG_RANGE_WEEKS = 4  # progress is shown when more weeks than this go to the network

Progress = Callable[[int, int], None]


class WeekSource(Protocol):
    def list_week(self, day: date | None = None) -> list[Timer]: ...


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_start(monday: date) -> datetime:
    return datetime.combine(monday, time(), tzinfo=UTC)


def weeks_for(period: Period, zone: LocalZone, now: datetime) -> list[date]:
    """The UTC Mondays of the server weeks that can hold time inside ``period``.

    Includes the week before the range's first instant; leaves out weeks that start
    after ``now`` (nothing can have started there yet).
    """
    start = zone.midnight(period.first)
    end = zone.midnight(period.last + timedelta(days=1))
    first = _monday(start.astimezone(UTC).date()) - timedelta(weeks=1)
    last = min(_monday((end - timedelta(microseconds=1)).astimezone(UTC).date()),
               _monday(now.astimezone(UTC).date()))
    weeks: list[date] = []
    monday = first
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks


# -- cache ------------------------------------------------------------------------


def cache_namespace(client: object) -> str | None:
    """A directory name for one account on one server, or None if it can't be known.

    Weeks of different keys or servers must never mix: the name comes from the client's
    ``key_fingerprint()`` (a salted hash, never the key). None: don't cache.
    """
    fingerprint = getattr(client, "key_fingerprint", None)
    value = fingerprint() if callable(fingerprint) else None
    if not isinstance(value, str) or not value:
        return None
    base = str(getattr(client, "base_url", ""))
    return hashlib.sha256(f"mrtimer-report-cache\0{base}\0{value}".encode()).hexdigest()[:24]


class WeekCache:
    """Finished weeks as JSON files under ``root/<namespace>/<monday>.json``."""

    def __init__(self, root: Path, namespace: str) -> None:
        self.dir = root / namespace

    def path(self, monday: date) -> Path:
        return self.dir / f"{monday.isoformat()}.json"

    @staticmethod
    def cacheable(monday: date, timers: Sequence[Timer], now: datetime) -> bool:
        ended = _week_start(monday) + timedelta(weeks=1)
        if ended + CACHE_AFTER > now:
            return False
        return not any(node.running for timer in timers for node in timer.walk())

    def load(self, monday: date) -> list[Timer] | None:
        try:
            raw = json.loads(self.path(monday).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("version") != CACHE_VERSION:
            return None
        if raw.get("week") != monday.isoformat() or not isinstance(raw.get("timers"), list):
            return None
        try:
            return [decode_timer(item) for item in raw["timers"]]
        except ValueError:
            return None

    def store(self, monday: date, timers: Sequence[Timer]) -> None:
        body = {
            "version": CACHE_VERSION,
            "week": monday.isoformat(),
            "timers": [encode_timer(t) for t in timers],
        }
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path(monday), json.dumps(body, separators=(",", ":")).encode())


# -- progress -----------------------------------------------------------------------


class TtyProgress:
    """``Fetching weeks 3/12`` redrawn in place on a terminal stream (stderr)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        self._stream.write(f"\rFetching weeks {done}/{total}")
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False


def progress_for(stream: IO[str] | None, weeks_to_fetch: int) -> TtyProgress | None:
    """A progress display when ``stream`` is a terminal and the fetch is long."""
    if stream is None or weeks_to_fetch <= LONG_RANGE_WEEKS:
        return None
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return None
    return TtyProgress(stream) if tty else None


# -- fetching -----------------------------------------------------------------------


def fetch_weeks(
    source: WeekSource,
    mondays: Sequence[date],
    *,
    now: datetime,
    cache: WeekCache | None = None,
    refresh: bool = False,
    progress_stream: IO[str] | None = None,
    workers: int = WORKERS,
) -> list[Timer]:
    """Every root timer of the given server weeks, de-duplicated by id, in week order.

    Cached weeks are read from disk unless ``refresh``; the rest go to ``source`` at
    most ``workers`` at a time. The first error cancels what hasn't started and is
    raised (API errors propagate unchanged).
    """
    results: dict[date, list[Timer]] = {}
    missing: list[date] = []
    for monday in mondays:
        cached = None if cache is None or refresh else cache.load(monday)
        if cached is None:
            missing.append(monday)
        else:
            results[monday] = cached

    progress = progress_for(progress_stream, len(missing))
    if missing:
        pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(missing))),
                                  thread_name_prefix="mrtimer-report-fetch")
        try:
            futures: dict[Future[list[Timer]], date] = {
                pool.submit(source.list_week, monday): monday for monday in missing
            }
            pending: set[Future[list[Timer]]] = set(futures)
            done_count = 0
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    monday = futures[future]
                    timers = future.result()  # raises the worker's error
                    results[monday] = timers
                    done_count += 1
                    if cache is not None and WeekCache.cacheable(monday, timers, now):
                        with contextlib.suppress(OSError):  # a cache is optional
                            cache.store(monday, timers)
                if progress is not None:
                    progress(done_count, len(missing))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if progress is not None:
                progress.close()

    out: list[Timer] = []
    seen: set[str] = set()
    for monday in mondays:
        for timer in results.get(monday, []):
            if timer.id not in seen:
                seen.add(timer.id)
                out.append(timer)
    return out

"""Week fetching: which weeks, the disk cache, progress, errors (in-process week sources)."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mrtimer.api import ServerError, Timer
from mrtimer.report import LocalZone, Period, WeekCache, cache_namespace, fetch_weeks, weeks_for
from mrtimer.report._fetch import CACHE_AFTER, progress_for

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 25, 12, tzinfo=UTC)  # a Wednesday


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class FakeWeeks:
    """A week source: one finished timer on each Monday, recording what was asked."""

    def __init__(self, fail_on: date | None = None) -> None:
        self.calls: list[date] = []
        self.threads: set[str] = set()
        self.fail_on = fail_on
        self._lock = threading.Lock()
        self.base_url = "http://127.0.0.1:1/v1/dev"

    def key_fingerprint(self) -> str:
        return "fake-key"

    def list_week(self, day: date | None = None) -> list[Timer]:
        assert day is not None
        with self._lock:
            self.calls.append(day)
            self.threads.add(threading.current_thread().name)
        if day == self.fail_on:
            raise ServerError(503, "Service Unavailable", "list timers")
        start = datetime.combine(monday(day), datetime.min.time(), tzinfo=UTC) \
            + timedelta(hours=9)
        child = Timer(id=f"{day}-c", start=start + timedelta(hours=2),
                      end=start + timedelta(hours=2, minutes=15), parent_id=f"{day}")
        return [Timer(id=f"{day}", start=start, end=start + timedelta(hours=1),
                      duration=timedelta(hours=1, seconds=0.25), task_id="t",
                      task_title="Title", description="d", project_id="p", created_by="u",
                      children=(child,))]


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


# -- which weeks ---------------------------------------------------------------------------


def test_weeks_for_a_berlin_week_includes_the_utc_week_before() -> None:
    # Mon 23 Mar 00:00 CET is Sun 22 Mar 23:00 UTC: in the server week of Mon 16 Mar.
    weeks = weeks_for(Period.week_of(date(2026, 3, 25)), LocalZone(BERLIN), NOW)
    assert weeks == [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]


def test_weeks_for_utc_and_future_weeks_skipped() -> None:
    zone = LocalZone(UTC)
    assert weeks_for(Period.week_of(date(2026, 3, 25)), zone, NOW) == [
        date(2026, 3, 16), date(2026, 3, 23)]
    assert weeks_for(Period.last_weeks(date(2026, 3, 25), 12), zone, NOW) == [
        date(2025, 12, 29) + timedelta(weeks=i) for i in range(13)]
    # A range in the future needs nothing, next week only what may run into it.
    assert weeks_for(Period.week_of(date(2026, 4, 15)), zone, NOW) == []
    assert weeks_for(Period.week_of(date(2026, 3, 30)), zone, NOW) == [date(2026, 3, 23)]


# -- cache ------------------------------------------------------------------------------


def test_cacheable_only_well_past_weeks_without_running_timers() -> None:
    done = [Timer(id="1", start=NOW, end=NOW)]
    running = [Timer(id="2", start=NOW, children=(Timer(id="3", start=NOW),))]
    this_week, last_week, older = date(2026, 3, 23), date(2026, 3, 16), date(2026, 3, 9)
    assert not WeekCache.cacheable(this_week, done, NOW)
    assert not WeekCache.cacheable(date(2026, 3, 30), done, NOW)
    assert not WeekCache.cacheable(last_week, done, NOW)
    assert WeekCache.cacheable(older, done, NOW)
    assert not WeekCache.cacheable(older, running, NOW)
    # The boundary: a week is cached once it ended CACHE_AFTER ago.
    ended = datetime(2026, 3, 23, tzinfo=UTC)
    assert WeekCache.cacheable(last_week, done, ended + CACHE_AFTER)
    assert not WeekCache.cacheable(last_week, done, ended + CACHE_AFTER - timedelta(seconds=1))


def test_cache_round_trip_and_second_run_from_disk(tmp_path: Path) -> None:
    source = FakeWeeks()
    cache = WeekCache(tmp_path / "weeks", "ns")
    mondays = weeks_for(Period.last_weeks(date(2026, 3, 25), 4), LocalZone(UTC), NOW)
    first = fetch_weeks(source, mondays, now=NOW, cache=cache)
    assert sorted(source.calls) == mondays
    cached = sorted(p.name for p in (tmp_path / "weeks" / "ns").iterdir())
    # Weeks ended by 18 March are cached; the weeks of 16 and 23 March are not.
    assert mondays[0] == date(2026, 2, 23)  # the week before 2 March, for crossing timers
    assert cached == ["2026-02-23.json", "2026-03-02.json", "2026-03-09.json"]
    source.calls.clear()
    second = fetch_weeks(source, mondays, now=NOW, cache=cache)
    assert sorted(source.calls) == [date(2026, 3, 16), date(2026, 3, 23)]
    assert second == first  # the same timers, children, durations (sub-second too)
    assert first[0].children[0].parent_id == first[0].id
    source.calls.clear()
    fetch_weeks(source, mondays, now=NOW, cache=cache, refresh=True)
    assert sorted(source.calls) == mondays


def test_corrupt_or_foreign_cache_files_are_refetched(tmp_path: Path) -> None:
    source = FakeWeeks()
    cache = WeekCache(tmp_path / "weeks", "ns")
    week = date(2026, 2, 2)
    fetch_weeks(source, [week], now=NOW, cache=cache)
    path = cache.path(week)
    for broken in (b"{not json", b"[]", json.dumps({"version": 99}).encode(),
                   json.dumps({"version": 1, "week": "2026-01-05", "timers": []}).encode(),
                   json.dumps({"version": 1, "week": "2026-02-02",
                               "timers": [{"id": 5}]}).encode()):
        path.write_bytes(broken)
        source.calls.clear()
        timers = fetch_weeks(source, [week], now=NOW, cache=cache)
        assert source.calls == [week] and timers[0].id == str(week)
    assert cache.load(week) is not None  # rewritten


def test_cache_files_are_private_and_written_atomically(tmp_path: Path) -> None:
    cache = WeekCache(tmp_path / "weeks", "ns")
    fetch_weeks(FakeWeeks(), [date(2026, 2, 2)], now=NOW, cache=cache)
    path = cache.path(date(2026, 2, 2))
    assert path.stat().st_mode & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


def test_namespace_separates_servers_and_keys() -> None:
    class Client:
        def __init__(self, base_url: str, key: str | None) -> None:
            self.base_url = base_url
            self.key = key

        def key_fingerprint(self) -> str | None:
            return self.key

    a = cache_namespace(Client("https://a.example/v1", "k1"))
    assert a is not None and len(a) == 24 and "k1" not in a
    assert a == cache_namespace(Client("https://a.example/v1", "k1"))
    assert a != cache_namespace(Client("https://a.example/v1", "k2"))
    assert a != cache_namespace(Client("https://b.example/v1", "k1"))
    assert cache_namespace(Client("https://a.example/v1", None)) is None
    assert cache_namespace(object()) is None


def test_namespace_of_the_real_api_client() -> None:
    from mrtimer.api import ApiClient

    with ApiClient("http://127.0.0.1:9/v1/dev", lambda: "secret-key") as one, \
            ApiClient("http://127.0.0.1:9/v1/dev", lambda: "other-key") as two, \
            ApiClient("http://127.0.0.1:9/v1/dev", lambda: None) as none:
        assert cache_namespace(one) is not None
        assert cache_namespace(one) != cache_namespace(two)
        assert cache_namespace(none) is None


# -- concurrency, errors, progress ------------------------------------------------------------


def test_fetch_uses_named_bounded_worker_threads() -> None:
    source = FakeWeeks()
    mondays = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(10)]
    timers = fetch_weeks(source, mondays, now=NOW)
    assert [t.id for t in timers] == [str(m) for m in mondays]  # week order, not finish order
    assert source.threads and len(source.threads) <= 4
    assert all(name.startswith("mrtimer-report-fetch") for name in source.threads)
    assert not any(t.name.startswith("mrtimer-report-fetch") for t in threading.enumerate())


def test_fetch_error_propagates_and_nothing_is_left_running(tmp_path: Path) -> None:
    source = FakeWeeks(fail_on=date(2026, 1, 19))
    mondays = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(6)]
    with pytest.raises(ServerError):
        fetch_weeks(source, mondays, now=NOW, cache=WeekCache(tmp_path, "ns"))
    assert not any(t.name.startswith("mrtimer-report-fetch") for t in threading.enumerate())


def test_duplicates_across_weeks_are_dropped() -> None:
    class Same(FakeWeeks):
        def list_week(self, day: date | None = None) -> list[Timer]:
            return super().list_week(date(2026, 1, 5))

    timers = fetch_weeks(Same(), [date(2026, 1, 5), date(2026, 1, 12)], now=NOW)
    assert len(timers) == 1


def test_progress_on_a_tty_for_long_ranges_only() -> None:
    mondays = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(6)]
    tty = TtyStream()
    fetch_weeks(FakeWeeks(), mondays, now=NOW, progress_stream=tty)
    out = tty.getvalue()
    assert "\rFetching weeks 6/6" in out and out.endswith("\r\x1b[K")
    short = TtyStream()
    fetch_weeks(FakeWeeks(), mondays[:2], now=NOW, progress_stream=short)
    assert short.getvalue() == ""
    pipe = io.StringIO()
    fetch_weeks(FakeWeeks(), mondays, now=NOW, progress_stream=pipe)
    assert pipe.getvalue() == ""
    assert progress_for(None, 10) is None

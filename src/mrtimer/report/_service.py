"""Fetch, aggregate and render in one call: what the CLI and the tray share."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import IO

from mrtimer.core.atomic import atomic_write

from ._aggregate import GroupBy, LocalZone, Period, Report, ReportInput, build_report
from ._fetch import WeekCache, WeekSource, cache_namespace, fetch_weeks, weeks_for
from ._render import render_html

__all__ = ["WEEKLY_REPORT_NAME", "local_today", "produce_report", "write_weekly_report"]

WEEKLY_REPORT_NAME = "weekly-report.html"


def local_today(now: datetime, tz: tzinfo | None) -> date:
    return LocalZone(tz).day_of(now)


def produce_report(
    client: WeekSource,
    period: Period,
    *,
    now: datetime,
    tz: tzinfo | None,
    by: GroupBy = "task",
    cache_dir: Path | None = None,
    refresh: bool = False,
    progress_stream: IO[str] | None = None,
) -> Report:
    """Fetch the weeks ``period`` needs (cached ones from ``cache_dir/weeks``), aggregate."""
    mondays = weeks_for(period, LocalZone(tz), now)
    namespace = cache_namespace(client)
    cache = WeekCache(cache_dir / "weeks", namespace) \
        if cache_dir is not None and namespace else None
    timers = fetch_weeks(client, mondays, now=now, cache=cache, refresh=refresh,
                         progress_stream=progress_stream)
    return build_report(ReportInput(timers=tuple(timers), period=period, now=now, tz=tz, by=by))


def write_weekly_report(client: WeekSource, cache_dir: Path, now: datetime,
                        tz: tzinfo | None) -> Path:
    """Write this (local) week's HTML report into ``cache_dir/reports`` and return its path.

    API errors propagate. The file is replaced atomically, so a browser never sees half
    a page.
    """
    period = Period.week_of(local_today(now, tz))
    report = produce_report(client, period, now=now, tz=tz, by="task", cache_dir=cache_dir)
    path = cache_dir / "reports" / WEEKLY_REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, render_html(report).encode("utf-8"))
    return path

"""``mrtimer report``: the click command over :mod:`mrtimer.report`.

The command takes its dependencies from ``click.get_current_context().obj`` (see
:class:`ReportContext`), so the application's CLI group and the tests can each hand it
their own. API errors propagate unchanged for the application's error handler.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Protocol, cast

import click

from mrtimer.core.atomic import atomic_write
from mrtimer.core.sysenv import open_target

from ._aggregate import GROUP_BY, GroupBy, Period
from ._fetch import WeekSource
from ._render import FORMATS, Format, render
from ._service import local_today, produce_report

__all__ = ["MAX_WEEKS", "ReportContext", "check_options", "open_in_browser", "report_command",
           "resolve_period"]

MAX_WEEKS = 260  # five years: more would be hundreds of requests for one command

_EXTENSIONS: dict[Format, str] = {"table": "txt", "csv": "csv", "json": "json", "html": "html"}


class ReportContext(Protocol):
    """What the command needs from ``ctx.obj``."""

    @property
    def cache_dir(self) -> Path: ...

    @property
    def tz(self) -> tzinfo | None: ...

    def api(self) -> WeekSource: ...

    def now(self) -> datetime: ...


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    # A callback rather than a ParamType subclass: ParamType is generic only in newer click.
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value[:40]!r} is not a date (YYYY-MM-DD)", ctx,
                                 param) from None


def check_options(day: date | None, first: date | None, last: date | None,
                  weeks: int | None) -> None:
    """What can be refused before knowing today's date: :class:`click.UsageError`."""
    chosen = [name for name, given in (("--date", day is not None),
                                       ("--from/--to", first is not None or last is not None),
                                       ("--weeks", weeks is not None)) if given]
    if len(chosen) > 1:
        raise click.UsageError(f"use only one of --date, --from/--to, --weeks "
                               f"(got {' and '.join(chosen)})")
    if weeks is not None and weeks < 1:
        raise click.UsageError(f"--weeks must be at least 1 (got {weeks})")
    if weeks is not None and weeks > MAX_WEEKS:
        raise click.UsageError(f"--weeks can be at most {MAX_WEEKS} (got {weeks})")
    if first is None and last is not None:
        raise click.UsageError("--to needs --from")
    if first is not None and last is not None and first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")


def resolve_period(today: date, day: date | None, first: date | None, last: date | None,
                   weeks: int | None) -> Period:
    """The local dates the options select; :class:`click.UsageError` on bad input."""
    check_options(day, first, last, weeks)
    if day is not None:
        return Period.week_of(day)
    if weeks is not None:
        return Period.last_weeks(today, weeks)
    if first is not None:
        end = last if last is not None else today
        if first > end:
            raise click.UsageError(f"--from {first} is after --to {end}")
        if (end - first).days + 1 > MAX_WEEKS * 7:
            raise click.UsageError(f"the range can be at most {MAX_WEEKS} weeks long")
        return Period(first, end)
    return Period.week_of(today)


def open_in_browser(path: Path) -> bool:
    """Open a local file in the default browser (tests replace this)."""
    return open_target(path)


def _context() -> ReportContext:
    ctx = click.get_current_context()
    obj = ctx.obj if ctx.obj is not None else ctx.find_root().obj
    if obj is None:
        raise click.ClickException("report: the command was started without its context")
    return cast(ReportContext, obj)


@click.command("report")
@click.option("--date", "day", metavar="YYYY-MM-DD", default=None, callback=_parse_date,
              help="Report the week (Monday to Sunday) containing this date.")
@click.option("--from", "first", metavar="YYYY-MM-DD", default=None, callback=_parse_date,
              help="First day of the range (with --to; default --to is today).")
@click.option("--to", "last", metavar="YYYY-MM-DD", default=None, callback=_parse_date,
              help="Last day of the range.")
@click.option("--weeks", type=int, default=None,
              help="The last N weeks, this week included.")
@click.option("--by", "by", type=click.Choice(GROUP_BY), default="task", show_default=True,
              help="Group rows by task, project, day or user.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.option("--open", "open_", is_flag=True,
              help="Open the result in the default browser or viewer.")
@click.option("--refresh", is_flag=True, help="Ignore cached weeks and fetch them again.")
def report_command(day: date | None, first: date | None, last: date | None,
                   weeks: int | None, by: str, fmt: str, output: Path | None, open_: bool,
                   refresh: bool) -> None:
    """Where the time went: totals by task, project, day or user over a date range.

    Without a range option, this week. Times are split between days in your local time
    zone; a running timer counts up to now.
    """
    check_options(day, first, last, weeks)
    obj = _context()
    now = obj.now()
    period = resolve_period(local_today(now, obj.tz), day, first, last, weeks)
    group = cast(GroupBy, by)
    form = cast(Format, fmt)
    report = produce_report(obj.api(), period, now=now, tz=obj.tz, by=group,
                            cache_dir=obj.cache_dir, refresh=refresh,
                            progress_stream=sys.stderr)
    text = render(report, form)
    if output is None and open_:
        name = f"report-{period.first}-{period.last}-{group}.{_EXTENSIONS[form]}"
        output = obj.cache_dir / "reports" / name
        output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        atomic_write(output, text.encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise click.FileError(str(output), hint=exc.strerror or str(exc)) from exc
    click.echo(f"Report written to {output}", err=True)
    if open_ and not open_in_browser(output):
        click.echo(f"Could not open a browser; the report is at {output}", err=True)

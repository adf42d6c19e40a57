"""``mrtimer report`` end to end against the sandbox API (a real HTTP peer on loopback)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from mrtimer.api import ApiClient, AuthError, ServerError, Timer
from mrtimer.report import Period, produce_report, write_weekly_report
from mrtimer.report import cli as report_cli
from mrtimer.report.cli import report_command
from mrtimer.sandbox import DEMO_TASKS, Fault, SandboxServer

KEY = "report-test-key"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 25, 12, tzinfo=UTC)  # Wednesday
FIX_LOGIN, CODE_REVIEW, TEAM_MEETING, RELEASE_NOTES = (t[0] for t in DEMO_TASKS)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def __call__(self) -> datetime:
        return self.value


@dataclass
class Ctx:
    """The stand-in for the application object the command reads from ``ctx.obj``."""

    client: ApiClient
    cache_dir: Path
    clock: Clock
    tz: tzinfo | None = UTC

    def api(self) -> ApiClient:
        return self.client

    def now(self) -> datetime:
        return self.clock()


@dataclass
class World:
    server: SandboxServer
    client: ApiClient
    clock: Clock
    ctx: Ctx

    def record(self, start: datetime, end: datetime | None, task_id: str | None = None,
               description: str | None = None) -> Timer:
        """A timer the server stamps at ``start`` (and stops at ``end``)."""
        saved = self.clock.value
        try:
            self.clock.value = start
            timer = self.client.play(task_id=task_id, description=description)
            if end is not None:
                self.clock.value = end
                self.client.stop(timer.id)
            return timer
        finally:
            self.clock.value = saved

    def run(self, *args: str, tz: tzinfo | None = UTC) -> Result:
        self.ctx.tz = tz
        return CliRunner().invoke(report_command, list(args), obj=self.ctx)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = Clock(NOW)
    server = SandboxServer(port=0, clock=clock).start()
    client = ApiClient(server.base_url, lambda: KEY)
    try:
        server.seed_demo(KEY)  # last week (from Mon 16 March): 1h, 1h10, 1h20, 1h30
        w = World(server, client, clock, Ctx(client, tmp_path / "cache", clock))
        w.record(utc(2026, 2, 2, 10), utc(2026, 2, 2, 11), CODE_REVIEW)
        # Sunday 23:00 to Monday 01:00 UTC: across the server's week boundary.
        w.record(utc(2026, 3, 22, 23), utc(2026, 3, 23, 1), description="Late night")
        # Monday 22:30 to Tuesday 00:30 UTC (23:30 to 01:30 in Berlin).
        w.record(utc(2026, 3, 23, 22, 30), utc(2026, 3, 24, 0, 30), FIX_LOGIN)
        w.record(utc(2026, 3, 25, 10), None, CODE_REVIEW)  # running: 2h up to NOW
        yield w
    finally:
        client.close()
        server.stop()


def rows_of(result: Result) -> dict[str, int]:
    assert result.exit_code == 0, result.output
    return {r["label"]: r["seconds"] for r in json.loads(result.stdout)["rows"]}


# -- numbers end to end -----------------------------------------------------------------


def test_this_week_json_in_utc(world: World) -> None:
    result = world.run("--format", "json")
    data = json.loads(result.stdout)
    assert (data["from"], data["to"], data["timezone"]) == ("2026-03-23", "2026-03-29", "UTC")
    assert rows_of(result) == {"Fix login bug": 7200, "Code review": 7200, "Late night": 3600}
    assert data["total_seconds"] == 5 * 3600 and data["running"] is True
    days = {d["date"]: d["seconds"] for d in data["days"]}
    assert days["2026-03-23"] == 3600 + 5400 and days["2026-03-24"] == 1800
    assert days["2026-03-25"] == 7200


def test_this_week_in_berlin_time(world: World) -> None:
    result = world.run("--format", "json", "--by", "day", tz=BERLIN)
    data = json.loads(result.stdout)
    assert data["timezone"] == "Europe/Berlin"
    days = {r["key"]: r["seconds"] for r in data["rows"]}
    # Late night is Mon 00:00-02:00 local; Fix login 23:30-01:30 local.
    assert days["2026-03-23"] == 2 * 3600 + 1800
    assert days["2026-03-24"] == 5400
    assert days["2026-03-25"] == 7200
    assert data["total_seconds"] == 6 * 3600  # the whole late-night timer is in this week


def test_two_weeks_by_task_project_and_user(world: World) -> None:
    assert rows_of(world.run("--weeks", "2", "--format", "json")) == {
        "Fix login bug": 2 * 3600 + 5400,
        "Code review": 2 * 3600 + 4800,
        "Late night": 2 * 3600,
        "Team meeting": 4200,
        "Write release notes": 3600,
    }
    by_project = rows_of(world.run("--weeks", "2", "--format", "json", "--by", "project"))
    assert by_project == {"p-0001": 12600 + 12000, "p-0002": 7800, "(no project)": 7200}
    by_user = rows_of(world.run("--weeks", "2", "--format", "json", "--by", "user"))
    assert list(by_user.values()) == [39600] and len(list(by_user)[0]) == 32


def test_date_and_from_to_ranges(world: World) -> None:
    assert rows_of(world.run("--date", "2026-02-04", "--format", "json")) == {"Code review": 3600}
    result = world.run("--from", "2026-03-22", "--to", "2026-03-23", "--format", "json")
    assert rows_of(result) == {"Late night": 7200, "Fix login bug": 5400}
    until_today = world.run("--from", "2026-03-24", "--format", "json")
    assert json.loads(until_today.stdout)["to"] == "2026-03-25"
    empty = world.run("--date", "2026-01-07", "--format", "json")
    assert json.loads(empty.stdout)["rows"] == [] and empty.exit_code == 0


def test_every_format_from_the_cli(world: World, tmp_path: Path) -> None:
    table = world.run()
    assert table.exit_code == 0
    assert table.stdout.startswith("Report 2026-03-23 to 2026-03-29 (UTC), by task\n")
    assert "Total" in table.stdout and "05:00:00" in table.stdout
    for fmt in ("csv", "json", "html", "table"):
        out = tmp_path / f"out.{fmt}"
        result = world.run("--weeks", "2", "--format", fmt, "--output", str(out))
        assert result.exit_code == 0, result.output
        assert result.stdout == "" and f"Report written to {out}" in result.stderr
        assert out.stat().st_size > 0
    json_rows = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert sum(int(r["seconds"]) for r in csv_rows) == json_rows["total_seconds"] == 39600
    assert {r["label"]: int(r["seconds"]) for r in csv_rows} == {
        r["label"]: r["seconds"] for r in json_rows["rows"]}
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Write release notes" in page


def test_csv_on_stdout_reads_back(world: World) -> None:
    result = world.run("--format", "csv", "--by", "project")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert {r["label"]: int(r["seconds"]) for r in rows} == {
        "p-0001": 4 * 3600, "(no project)": 3600}


def test_open_writes_to_the_cache_and_opens_it(world: World,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []

    def fake_open(path: Path) -> bool:
        opened.append(path)
        return True

    monkeypatch.setattr(report_cli, "open_in_browser", fake_open)
    result = world.run("--format", "html", "--open")
    assert result.exit_code == 0, result.output
    expected = world.ctx.cache_dir / "reports" / "report-2026-03-23-2026-03-29-task.html"
    assert opened == [expected] and expected.is_file()
    monkeypatch.setattr(report_cli, "open_in_browser", lambda p: False)
    failed = world.run("--format", "csv", "--open")
    assert failed.exit_code == 0 and "Could not open a browser" in failed.stderr


def test_weekly_report_for_the_tray(world: World) -> None:
    path = write_weekly_report(world.client, world.ctx.cache_dir, NOW, BERLIN)
    assert path == world.ctx.cache_dir / "reports" / "weekly-report.html"
    page = path.read_text(encoding="utf-8")
    assert "2026-03-23 to 2026-03-29" in page and "Fix login bug" in page
    assert "includes a running timer" in page
    again = write_weekly_report(world.client, world.ctx.cache_dir, NOW, BERLIN)
    assert again == path and list(path.parent.iterdir()) == [path]


# -- bad input and errors -------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-03-10", "--to", "2026-03-01"], "--from 2026-03-10 is after --to 2026-03-01"),
    (["--date", "2026-13-01"], "'2026-13-01' is not a date (YYYY-MM-DD)"),
    (["--from", "yesterday"], "'yesterday' is not a date"),
    (["--weeks", "0"], "--weeks must be at least 1 (got 0)"),
    (["--weeks", "9999"], "--weeks can be at most 260"),
    (["--to", "2026-03-01"], "--to needs --from"),
    (["--from", "2026-04-01"], "--from 2026-04-01 is after --to 2026-03-25"),
    (["--date", "2026-03-01", "--weeks", "2"], "use only one of --date, --from/--to, --weeks"),
    (["--from", "2000-01-01", "--to", "2026-01-01"], "at most 260 weeks"),
    (["--by", "color"], "'color' is not one of"),
    (["--format", "pdf"], "'pdf' is not one of"),
])
def test_usage_errors(world: World, args: list[str], message: str) -> None:
    before = world.server.request_count()
    result = world.run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert world.server.request_count() == before  # nothing was fetched


def test_api_errors_propagate(world: World) -> None:
    world.server.faults.add(Fault("status", method="GET", status=503,
                                  body=b'{"message": "down"}'))
    result = world.run("--format", "json", "--refresh")
    assert isinstance(result.exception, ServerError)
    keyless = ApiClient(world.server.base_url, lambda: None)
    try:
        ctx = Ctx(keyless, world.ctx.cache_dir, world.clock)
        result = CliRunner().invoke(report_command, [], obj=ctx)
        assert isinstance(result.exception, AuthError)
    finally:
        keyless.close()


def test_unwritable_output_is_a_one_line_error(world: World, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "file.csv"
    (tmp_path / "missing-dir").write_text("a file, not a directory")
    result = world.run("--format", "csv", "--output", str(target))
    assert result.exit_code == 1
    assert "file.csv" in result.output and "Traceback" not in result.output


def test_without_context_object() -> None:
    result = CliRunner().invoke(report_command, [])
    assert result.exit_code == 1 and "without its context" in result.output
    # Options are checked before the context is needed.
    assert CliRunner().invoke(report_command, ["--weeks", "0"]).exit_code == 2


def test_context_from_a_parent_group(world: World) -> None:
    import click

    @click.group()
    @click.pass_context
    def app(ctx: click.Context) -> None:
        ctx.obj = world.ctx  # set by the group's callback, as an application would

    app.add_command(report_command)
    result = CliRunner().invoke(app, ["report", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_seconds"] == 5 * 3600


# -- cache and concurrency against the server ---------------------------------------------------


def test_finished_weeks_come_from_the_cache(world: World) -> None:
    first = world.run("--weeks", "8", "--format", "json")
    before = world.server.request_count()
    second = world.run("--weeks", "8", "--format", "json")
    assert second.stdout == first.stdout
    # Only this week and last week went to the server again.
    gets = [p for m, p in world.server.requests[before:] if m == "GET"]
    assert len(gets) == 2
    files = list((world.ctx.cache_dir / "weeks").glob("*/*.json"))
    assert sorted(f.name for f in files) == [
        f"{date(2026, 1, 26) + timedelta(weeks=i)}.json" for i in range(7)]
    # Another key is another user: it must not see these weeks.
    other = ApiClient(world.server.base_url, lambda: "someone-else")
    try:
        ctx = Ctx(other, world.ctx.cache_dir, world.clock, UTC)
        result = CliRunner().invoke(report_command, ["--weeks", "8", "--format", "json"],
                                    obj=ctx)
        assert json.loads(result.stdout)["rows"] == []
    finally:
        other.close()
    refreshed = world.server.request_count()
    world.run("--weeks", "8", "--format", "json", "--refresh")
    assert world.server.request_count() - refreshed == 9


def test_twelve_weeks_take_well_under_twelve_requests_time(tmp_path: Path) -> None:
    server = SandboxServer(port=0).start()
    client = ApiClient(server.base_url, lambda: KEY)
    try:
        today = datetime.now(UTC).date()
        client.list_week(today)  # connect outside the measurement
        server.faults.latency = 0.2
        t0 = time.monotonic()
        client.list_week(today)
        one_week = time.monotonic() - t0
        assert one_week >= 0.2

        in_flight, peak, lock = 0, 0, threading.Lock()

        class Counting:
            base_url = client.base_url

            def list_week(self, day: date | None = None) -> list[Timer]:
                nonlocal in_flight, peak
                with lock:
                    in_flight += 1
                    peak = max(peak, in_flight)
                try:
                    return client.list_week(day)
                finally:
                    with lock:
                        in_flight -= 1

        ctx = Ctx(client, tmp_path / "cache", Clock(datetime.now(UTC)))
        t0 = time.monotonic()
        result = CliRunner().invoke(report_command, ["--weeks", "12", "--format", "json"],
                                    obj=ctx)
        twelve = time.monotonic() - t0
        assert result.exit_code == 0, result.output
        assert twelve < 6 * one_week, f"12 weeks took {twelve:.2f}s, one took {one_week:.2f}s"

        produce_report(Counting(), Period.last_weeks(today, 12), now=datetime.now(UTC),
                       tz=UTC)
        assert peak == 4  # bounded, and actually concurrent
    finally:
        client.close()
        server.stop()

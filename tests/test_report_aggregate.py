"""Report aggregation against hand-computed fixtures (pure: no I/O, no clock)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from mrtimer.api import Timer
from mrtimer.report import Period, Report, ReportInput, apportion, build_report

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600


def at(tz: tzinfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A wall-clock time in ``tz``, as an aware UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def timer(
    tid: str,
    start: datetime,
    end: datetime | None,
    *,
    task: str | None = None,
    title: str | None = None,
    desc: str | None = None,
    project: str | None = None,
    user: str | None = "u-1",
    duration: timedelta | None = None,
    children: tuple[Timer, ...] = (),
) -> Timer:
    return Timer(id=tid, start=start, end=end, duration=duration, task_id=task,
                 task_title=title, description=desc, project_id=project, created_by=user,
                 children=children)


def report(timers: list[Timer], first: date, last: date, now: datetime,
           tz: tzinfo | None = UTC, by: str = "task") -> Report:
    return build_report(ReportInput(timers=tuple(timers), period=Period(first, last),
                                    now=now, tz=tz, by=by))  # type: ignore[arg-type]


def per_day(rep: Report) -> dict[date, int]:
    return {d.day: d.seconds for d in rep.days}


def rows(rep: Report) -> dict[str, int]:
    return {r.label: r.seconds for r in rep.rows}


# -- children, running, labels ---------------------------------------------------------


def test_timer_plus_children_count_as_one_task_with_shares() -> None:
    parent = timer("a", utc(2026, 3, 2, 9), utc(2026, 3, 2, 10), task="t-a", title="Alpha",
                   project="p-1", children=(
                       timer("a1", utc(2026, 3, 2, 14), utc(2026, 3, 2, 14, 30), task="t-a"),
                       timer("a2", utc(2026, 3, 3, 8), utc(2026, 3, 3, 8, 15), task=None),
                   ))
    other = timer("b", utc(2026, 3, 3, 9), utc(2026, 3, 3, 10, 15), task="t-b", title="Beta",
                  project="p-2")
    rep = report([other, parent], date(2026, 3, 2), date(2026, 3, 8), utc(2026, 3, 9))
    # Alpha: 1h + 30m + 15m = 1h45m = 6300 s; Beta: 1h15m = 4500 s; total 10800 s.
    assert [(r.label, r.seconds) for r in rep.rows] == [("Alpha", 6300), ("Beta", 4500)]
    assert rep.total_seconds == 10800
    assert [round(r.share, 4) for r in rep.rows] == [0.5833, 0.4167]
    assert per_day(rep)[date(2026, 3, 2)] == 5400  # 1h + 30m
    assert per_day(rep)[date(2026, 3, 3)] == 900 + 4500  # child a2 counts for Alpha
    assert rep.timer_count == 2
    assert rep.running is False
    # The child with no task of its own is stacked under its root's task on Tuesday.
    tuesday = next(d for d in rep.days if d.day == date(2026, 3, 3))
    assert dict(tuesday.parts) == {"task:t-b": 4500.0, "task:t-a": 900.0}


def test_running_timer_counts_up_to_now() -> None:
    now = utc(2026, 3, 4, 10, 15)
    running = timer("r", utc(2026, 3, 4, 8), None, task="t-r", title="Running")
    done = timer("d", utc(2026, 3, 4, 6), utc(2026, 3, 4, 7), task="t-d", title="Done")
    rep = report([running, done], date(2026, 3, 2), date(2026, 3, 8), now)
    assert rows(rep) == {"Running": 2 * H + 15 * 60, "Done": H}
    assert rep.running is True
    assert rep.generated_at == now


def test_running_child_of_old_parent_counts_up_to_now() -> None:
    now = utc(2026, 3, 10, 12)
    parent = timer("p", utc(2026, 3, 6, 9), utc(2026, 3, 6, 10), task="t", title="Task",
                   children=(timer("c", utc(2026, 3, 10, 11), None, task="t"),))
    rep = report([parent], date(2026, 3, 9), date(2026, 3, 15), now)
    # Only the child's hour is inside this week; the parent's Friday is outside the range.
    assert rows(rep) == {"Task": H}
    assert per_day(rep)[date(2026, 3, 10)] == H
    assert rep.running is True


def test_labels_title_then_description_then_task_id() -> None:
    day = date(2026, 3, 2)
    timers = [
        timer("1", utc(2026, 3, 2, 8), utc(2026, 3, 2, 9), task="t-1", title="Titled",
              desc="ignored description"),
        timer("2", utc(2026, 3, 2, 9), utc(2026, 3, 2, 9, 50), task="t-2", desc="Described"),
        timer("3", utc(2026, 3, 2, 10), utc(2026, 3, 2, 10, 40), task="t-3"),
        timer("4", utc(2026, 3, 2, 11), utc(2026, 3, 2, 11, 30), desc="free-form"),
        timer("5", utc(2026, 3, 2, 12), utc(2026, 3, 2, 12, 20)),
        # Same task id later with a title: the title wins for the whole group.
        timer("6", utc(2026, 3, 2, 13), utc(2026, 3, 2, 13, 10), task="t-2",
              title="Late title"),
    ]
    rep = report(timers, day, day, utc(2026, 3, 3))
    assert [(r.key, r.label, r.seconds) for r in rep.rows] == [
        ("task:t-2", "Late title", 3600),  # ties: by label
        ("task:t-1", "Titled", 3600),
        ("task:t-3", "t-3", 2400),
        ("description:free-form", "free-form", 1800),
        ("none", "(no task)", 1200),
    ]


def test_group_by_project_user_and_day() -> None:
    timers = [
        timer("1", utc(2026, 3, 2, 8), utc(2026, 3, 2, 10), task="a", project="p-1", user="ann"),
        timer("2", utc(2026, 3, 3, 8), utc(2026, 3, 3, 9), task="b", project="p-2", user="bob"),
        timer("3", utc(2026, 3, 3, 9), utc(2026, 3, 3, 9, 30), task="c", project=None,
              user=None),
    ]
    first, last, now = date(2026, 3, 2), date(2026, 3, 4), utc(2026, 3, 5)
    by_project = report(timers, first, last, now, by="project")
    assert rows(by_project) == {"p-1": 7200, "p-2": 3600, "(no project)": 1800}
    assert by_project.stack_by == "project"
    assert [s.key for s in by_project.series] == ["project:p-1", "project:p-2", "no-project"]
    by_user = report(timers, first, last, now, by="user")
    assert rows(by_user) == {"ann": 7200, "bob": 3600, "(unknown user)": 1800}
    assert by_user.stack_by == "task"
    by_day = report(timers, first, last, now, by="day")
    assert [(r.key, r.seconds) for r in by_day.rows] == [
        ("2026-03-02", 7200), ("2026-03-03", 5400), ("2026-03-04", 0)]
    assert by_day.rows[0].label == "Mon 02 Mar 2026"
    assert [r.label for r in by_day.tasks] == ["a", "b", "c"]


# -- days, midnight, DST -------------------------------------------------------------------


def test_midnight_crossing_is_split_in_the_local_zone() -> None:
    # 22:30-01:00 UTC is 23:30-02:00 in Berlin (CET, UTC+1 in January).
    t = timer("m", utc(2026, 1, 14, 22, 30), utc(2026, 1, 15, 1), task="t", title="Night")
    first, last, now = date(2026, 1, 12), date(2026, 1, 18), utc(2026, 1, 20)
    berlin = report([t], first, last, now, tz=BERLIN)
    assert per_day(berlin)[date(2026, 1, 14)] == 30 * 60
    assert per_day(berlin)[date(2026, 1, 15)] == 2 * H
    in_utc = report([t], first, last, now, tz=UTC)
    assert per_day(in_utc)[date(2026, 1, 14)] == 90 * 60
    assert per_day(in_utc)[date(2026, 1, 15)] == H
    assert berlin.total_seconds == in_utc.total_seconds == 150 * 60


def test_timer_clipped_to_the_period() -> None:
    # Sun 22:00 to Mon 03:00 UTC: only Monday's 3 hours belong to the week of Mon 9 March.
    t = timer("x", utc(2026, 3, 8, 22), utc(2026, 3, 9, 3), task="t")
    rep = report([t], date(2026, 3, 9), date(2026, 3, 15), utc(2026, 3, 16))
    assert rep.total_seconds == 3 * H
    assert per_day(rep)[date(2026, 3, 9)] == 3 * H
    outside = report([t], date(2026, 3, 16), date(2026, 3, 22), utc(2026, 3, 23))
    assert outside.empty and outside.rows == () and outside.timer_count == 0


def test_dst_spring_forward_week_berlin() -> None:
    # Sunday 29 March 2026: 02:00 CET -> 03:00 CEST, so that Sunday has 23 hours.
    week_start = at(BERLIN, 2026, 3, 23)  # Mon 00:00 CET = Sun 22 Mar 23:00 UTC
    week_end = at(BERLIN, 2026, 3, 30)  # Mon 00:00 CEST = Sun 29 Mar 22:00 UTC
    assert week_start == utc(2026, 3, 22, 23) and week_end == utc(2026, 3, 29, 22)
    whole = timer("w", week_start, week_end, task="t", title="Whole week")
    # Sat 22:00 CET to Sun 04:00 CEST: 5 real hours, 2 on Saturday and 3 on Sunday.
    night = timer("n", at(BERLIN, 2026, 3, 28, 22), at(BERLIN, 2026, 3, 29, 4), task="n")
    rep = report([whole, night], date(2026, 3, 23), date(2026, 3, 29), utc(2026, 4, 1),
                 tz=BERLIN)
    days = per_day(rep)
    assert [days[date(2026, 3, d)] for d in range(23, 28)] == [24 * H] * 5
    assert days[date(2026, 3, 28)] == 24 * H + 2 * H
    assert days[date(2026, 3, 29)] == 23 * H + 3 * H
    assert rows(rep) == {"Whole week": 167 * H, "n": 5 * H}
    assert rep.total_seconds == 172 * H == sum(days.values())


def test_dst_fall_back_week_berlin() -> None:
    # Sunday 25 October 2026: 03:00 CEST -> 02:00 CET, so that Sunday has 25 hours.
    week_start = at(BERLIN, 2026, 10, 19)  # Mon 00:00 CEST = Sun 18 Oct 22:00 UTC
    week_end = at(BERLIN, 2026, 10, 26)  # Mon 00:00 CET = Sun 25 Oct 23:00 UTC
    assert week_start == utc(2026, 10, 18, 22) and week_end == utc(2026, 10, 25, 23)
    whole = timer("w", week_start, week_end, task="t", title="Whole week")
    # 02:30 CEST to 02:30 CET: the repeated hour, one real hour, all on Sunday.
    repeated = timer("r", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), task="r")
    rep = report([whole, repeated], date(2026, 10, 19), date(2026, 10, 25),
                 utc(2026, 10, 27), tz=BERLIN)
    days = per_day(rep)
    assert [days[date(2026, 10, d)] for d in range(19, 25)] == [24 * H] * 6
    assert days[date(2026, 10, 25)] == 25 * H + H
    assert rows(rep) == {"Whole week": 169 * H, "r": H}
    assert rep.total_seconds == 170 * H == sum(days.values())


def test_system_local_zone_when_tz_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX-only")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        t = timer("m", utc(2026, 3, 28, 21), utc(2026, 3, 29, 2), task="t")
        rep = report([t], date(2026, 3, 23), date(2026, 3, 29), utc(2026, 4, 1), tz=None)
        assert per_day(rep)[date(2026, 3, 28)] == 2 * H
        assert per_day(rep)[date(2026, 3, 29)] == 3 * H
        assert rep.timezone in ("CET", "CEST")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# -- empty weeks, durations, rounding, validation ------------------------------------------


def test_empty_week() -> None:
    rep = report([], date(2026, 3, 2), date(2026, 3, 8), utc(2026, 3, 4), tz=BERLIN)
    assert rep.empty and rep.total_seconds == 0
    assert rep.rows == () and rep.tasks == () and rep.series == ()
    assert [d.seconds for d in rep.days] == [0] * 7
    assert all(d.parts == () for d in rep.days)
    assert rep.running is False and rep.timer_count == 0


def test_server_duration_wins_and_is_spread_in_proportion() -> None:
    # Span 22:00-02:00 (4 h) but the server says 2 h: one hour on each side of midnight.
    t = timer("d", utc(2026, 3, 2, 22), utc(2026, 3, 3, 2), task="t",
              duration=timedelta(hours=2))
    rep = report([t], date(2026, 3, 2), date(2026, 3, 8), utc(2026, 3, 9))
    assert per_day(rep)[date(2026, 3, 2)] == H
    assert per_day(rep)[date(2026, 3, 3)] == H
    assert rep.total_seconds == 2 * H


def test_zero_span_and_future_start() -> None:
    same = timer("z", utc(2026, 3, 2, 8), utc(2026, 3, 2, 8), task="z",
                 duration=timedelta(minutes=5))
    future = timer("f", utc(2026, 3, 2, 12), None, task="f")
    rep = report([same, future], date(2026, 3, 2), date(2026, 3, 2), utc(2026, 3, 2, 11))
    assert rows(rep) == {"z": 300}


def test_fractional_seconds_rows_sum_exactly_to_total() -> None:
    base = utc(2026, 3, 2, 8)
    timers = [
        timer(str(i), base + timedelta(minutes=i), base + timedelta(minutes=i, seconds=0.6),
              task=f"t{i}")
        for i in range(5)
    ]
    rep = report(timers, date(2026, 3, 2), date(2026, 3, 2), utc(2026, 3, 3))
    assert rep.total_seconds == 3  # 5 x 0.6 s = 3.0 s
    assert sum(r.seconds for r in rep.rows) == 3
    assert sum(d.seconds for d in rep.days) == 3


def test_apportion() -> None:
    assert apportion([]) == []
    assert apportion([1_500_000, 1_500_000]) == [2, 1]
    assert apportion([400_000] * 5) == [1, 1, 0, 0, 0]
    assert apportion([3_000_000, 0]) == [3, 0]
    values = [123_456_789, 987_654_321, 555_555_555, 1]
    assert sum(apportion(values)) == round(sum(values) / 1e6)


def test_duplicate_timers_count_once() -> None:
    t = timer("dup", utc(2026, 3, 2, 8), utc(2026, 3, 2, 9), task="t")
    rep = report([t, t], date(2026, 3, 2), date(2026, 3, 2), utc(2026, 3, 3))
    assert rep.total_seconds == H


def test_input_is_frozen_and_validated() -> None:
    data = ReportInput(timers=(), period=Period.week_of(date(2026, 3, 4)), now=utc(2026, 3, 4))
    with pytest.raises(FrozenInstanceError):
        data.by = "day"  # type: ignore[misc]
    with pytest.raises(ValueError):
        ReportInput(timers=(), period=data.period, now=datetime(2026, 3, 4))
    with pytest.raises(ValueError):
        Period(date(2026, 3, 5), date(2026, 3, 4))
    assert Period.week_of(date(2026, 3, 4)) == Period(date(2026, 3, 2), date(2026, 3, 8))
    assert Period.last_weeks(date(2026, 3, 4), 3) == Period(date(2026, 2, 16), date(2026, 3, 8))
    assert len(Period.last_weeks(date(2026, 3, 4), 12).days) == 84


def test_input_order_does_not_matter() -> None:
    timers = [
        timer("1", utc(2026, 3, 2, 8), utc(2026, 3, 2, 9), task="t", desc="first"),
        timer("2", utc(2026, 3, 3, 8), utc(2026, 3, 3, 9), task="t", desc="second"),
    ]
    a = report(timers, date(2026, 3, 2), date(2026, 3, 8), utc(2026, 3, 9))
    b = report(list(reversed(timers)), date(2026, 3, 2), date(2026, 3, 8), utc(2026, 3, 9))
    assert a == b
    assert a.rows[0].label == "first"

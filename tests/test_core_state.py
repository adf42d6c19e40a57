"""Pure state derivation: totals across midnight and week boundaries, recent tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from mrtimer.api import Timer
from mrtimer.core import Action, Snapshot
from mrtimer.core.state import day_bounds, derive_state, recent_tasks, week_bounds

BERLIN = ZoneInfo("Europe/Berlin")


def t(id: str, start: datetime, end: datetime | None = None, desc: str | None = None,
      task: str | None = None, children: tuple[Timer, ...] = (), title: str | None = None) -> Timer:
    return Timer(id=id, start=start, end=end, description=desc, task_id=task,
                 children=children, task_title=title)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_midnight_crossing_counts_in_both_days() -> None:
    snap = Snapshot((t("a", utc(2026, 12, 2, 23), utc(2026, 12, 3, 1), "late"),))
    state = derive_state(snap, [], [])
    now = utc(2026, 12, 3, 12)
    assert state.today_seconds(now, UTC) == 3600
    assert state.week_seconds(now, UTC) == 7200


def test_running_timer_across_week_boundary() -> None:
    # Started Sunday 22:00, still running Monday 02:00: this week counts 2 h.
    snap = Snapshot(last_week=(t("a", utc(2026, 11, 29, 22), None, "weekend"),))
    state = derive_state(snap, [], [])
    now = utc(2026, 11, 30, 2)
    assert state.running is not None and state.running.elapsed(now) == 4 * 3600
    assert state.today_seconds(now, UTC) == 2 * 3600
    assert state.week_seconds(now, UTC) == 2 * 3600


def test_children_count_and_duration_is_trusted() -> None:
    child = t("c", utc(2026, 12, 3, 11), utc(2026, 12, 3, 11, 30), "x")
    root = Timer(id="r", start=utc(2026, 12, 3, 9), end=utc(2026, 12, 3, 10, 0, 5),
                 duration=timedelta(hours=1), description="x", children=(child,))
    state = derive_state(Snapshot((root,)), [], [])
    assert state.today_seconds(utc(2026, 12, 3, 12), UTC) == 5400


def test_berlin_day_and_dst_week_bounds() -> None:
    # The DST week of late March 2026 (clocks go forward on Sunday 29 March).
    start, end = week_bounds(utc(2026, 3, 27, 12), BERLIN)
    assert start == datetime(2026, 3, 23, tzinfo=BERLIN).astimezone(UTC)
    assert (end - start) == timedelta(days=7) - timedelta(hours=1)
    d0, d1 = day_bounds(utc(2026, 10, 25, 12), BERLIN)  # 25 h day
    assert d1 - d0 == timedelta(hours=25)


def test_pending_actions_apply_on_top() -> None:
    running = t("a", utc(2026, 12, 3, 9), None, "A")
    snap = Snapshot((running,))
    now = utc(2026, 12, 3, 10).timestamp()
    stop = Action(1, "stop", {"timer_id": "a"}, now)
    start = Action(2, "start", {"description": "B", "switch": True}, now + 600)
    state = derive_state(snap, [stop, start], [])
    assert state.running is not None and state.running.pending and state.running.label == "B"
    # A ran until the stop was asked (1 h), B since its start (20 min at 10:30).
    assert state.today_seconds(utc(2026, 12, 3, 10, 30), UTC) == 3600 + 1200
    deleted = derive_state(snap, [Action(3, "delete", {"timer_id": "a"}, now)], [])
    assert deleted.running is None and deleted.today_seconds(utc(2026, 12, 3, 11), UTC) == 0
    assert deleted.recent == ()  # a timer being deleted is no longer offered


def test_switch_start_ends_the_running_timer_optimistically() -> None:
    snap = Snapshot((t("a", utc(2026, 12, 3, 9), None, "A"),))
    at = utc(2026, 12, 3, 9, 30).timestamp()
    state = derive_state(snap, [Action(1, "start", {"description": "B", "switch": True}, at)], [])
    assert state.running is not None and state.running.label == "B"
    assert state.today_seconds(utc(2026, 12, 3, 10), UTC) == 3600


def test_recent_tasks_distinct_most_recent_first() -> None:
    roots = (
        t("1", utc(2026, 11, 24, 9), utc(2026, 11, 24, 10), "Review", "task-r",
          title="Code review"),
        t("2", utc(2026, 12, 1, 9), utc(2026, 12, 1, 10), "Fix bug"),
        t("3", utc(2026, 12, 2, 9), utc(2026, 12, 2, 10), "Review", "task-r",
          children=(t("3c", utc(2026, 12, 3, 9), utc(2026, 12, 3, 9, 10), "Review", "task-r"),)),
        t("4", utc(2026, 12, 2, 11), utc(2026, 12, 2, 12), None),  # nothing to show
        t("5", utc(2026, 12, 2, 13), utc(2026, 12, 2, 14), "  Fix bug "),
    )
    recent = recent_tasks(roots, 10)
    assert [(r.label, r.last_timer_id) for r in recent] == [("Review", "3"), ("Fix bug", "5")]
    assert recent_tasks(roots, 1)[0].last_timer_id == "3"

"""What the app knows, as immutable values derived from the server's list and the outbox.

The displayed state is the last confirmed server state with the waiting actions
applied on top (optimistic), so a click shows at once and the confirmation follows.
Everything here is pure: no I/O, no threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

from mrtimer.api import Timer

from .outbox import Action

__all__ = [
    "AuthStatus",
    "RecentTask",
    "Running",
    "Snapshot",
    "TrackerState",
    "day_bounds",
    "derive_state",
    "find_running",
    "recent_tasks",
    "week_bounds",
]


class AuthStatus(StrEnum):
    UNKNOWN = "unknown"
    OK = "ok"
    NO_KEY = "no_key"
    NEEDS_SIGN_IN = "needs_sign_in"


@dataclass(frozen=True)
class Running:
    id: str | None  # None while the start is only queued
    start: datetime
    description: str | None = None
    task_id: str | None = None
    project_id: str | None = None
    task_title: str | None = None
    root_id: str | None = None
    pending: bool = False

    @property
    def label(self) -> str:
        return self.task_title or self.description or self.task_id or "(no description)"

    def elapsed(self, now: datetime) -> float:
        return max(0.0, (now - self.start).total_seconds())


@dataclass(frozen=True)
class RecentTask:
    task_id: str | None
    description: str | None
    title: str | None
    project_id: str | None
    last_timer_id: str  # root timer to resume with parent_id
    last_start: datetime

    @property
    def label(self) -> str:
        return self.title or self.description or self.task_id or "(no description)"


@dataclass(frozen=True)
class Snapshot:
    this_week: tuple[Timer, ...] = ()
    last_week: tuple[Timer, ...] = ()
    fetched_at: datetime | None = None
    week_of: date | None = None  # the day whose week is in this_week

    def all_timers(self) -> tuple[Timer, ...]:
        seen: dict[str, Timer] = {}
        for root in (*self.last_week, *self.this_week):
            for t in root.walk():
                seen[t.id] = t
        return tuple(seen.values())

    def roots(self) -> tuple[Timer, ...]:
        seen: dict[str, Timer] = {}
        for root in (*self.last_week, *self.this_week):
            seen[root.id] = root
        return tuple(seen.values())


def find_running(roots: tuple[Timer, ...] | list[Timer]) -> tuple[Timer, str] | None:
    """The running timer (or running child) and its root's id, latest start first."""
    best: tuple[Timer, str] | None = None
    for root in roots:
        for t in root.walk():
            if t.running and (best is None or t.start > best[0].start):
                best = (t, root.id)
    return best


def recent_tasks(roots: tuple[Timer, ...], limit: int) -> tuple[RecentTask, ...]:
    latest: dict[tuple[str | None, str | None], RecentTask] = {}
    for root in roots:
        for t in root.walk():
            key = (t.task_id, (t.description or "").strip() or None)
            if key == (None, None):
                continue
            title = t.task_title or root.task_title
            current = latest.get(key)
            if current is None or t.start > current.last_start:
                latest[key] = RecentTask(t.task_id, key[1], title, t.project_id, root.id, t.start)
    ordered = sorted(latest.values(), key=lambda r: r.last_start, reverse=True)
    return tuple(ordered[:limit])


def day_bounds(now: datetime, tz: tzinfo | None) -> tuple[datetime, datetime]:
    local = now.astimezone(tz) if tz else now.astimezone()
    start = _local_midnight(local.date(), tz)
    return start, _local_midnight(local.date() + timedelta(days=1), tz)


def week_bounds(now: datetime, tz: tzinfo | None) -> tuple[datetime, datetime]:
    local = now.astimezone(tz) if tz else now.astimezone()
    monday = local.date() - timedelta(days=local.weekday())
    return _local_midnight(monday, tz), _local_midnight(monday + timedelta(days=7), tz)


def _local_midnight(day: date, tz: tzinfo | None) -> datetime:
    naive = datetime(day.year, day.month, day.day)
    aware = naive.replace(tzinfo=tz) if tz else naive.astimezone()
    return aware.astimezone(UTC)


Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class TrackerState:
    running: Running | None = None
    recent: tuple[RecentTask, ...] = ()
    pending: tuple[Action, ...] = ()
    failed: tuple[Action, ...] = ()
    auth: AuthStatus = AuthStatus.UNKNOWN
    online: bool | None = None
    last_sync: datetime | None = None
    last_error: str | None = None
    notices: tuple[str, ...] = ()
    sandbox: bool = False
    intervals: tuple[Interval, ...] = field(default=(), repr=False)

    def seconds_between(self, start: datetime, end: datetime, now: datetime) -> float:
        total = 0.0
        for s, e in self.intervals:
            stop = e if e is not None else now
            lo, hi = max(s, start), min(stop, end, now)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def today_seconds(self, now: datetime, tz: tzinfo | None = None) -> float:
        return self.seconds_between(*day_bounds(now, tz), now)

    def week_seconds(self, now: datetime, tz: tzinfo | None = None) -> float:
        return self.seconds_between(*week_bounds(now, tz), now)


def _epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def derive_state(
    snapshot: Snapshot,
    open_actions: list[Action],
    failed: list[Action],
    *,
    recent_count: int = 10,
    **status: object,
) -> TrackerState:
    timers = snapshot.all_timers()
    intervals: dict[str, Interval] = {
        t.id: (t.start, t.end if t.end is not None else None) for t in timers
    }
    # A finished timer with a server duration: trust the duration over end - start.
    for t in timers:
        if t.end is not None and t.duration is not None:
            intervals[t.id] = (t.start, t.start + t.duration)
    found = find_running(snapshot.roots())
    running: Running | None = None
    if found:
        t, root_id = found
        running = Running(t.id, t.start, t.description, t.task_id, t.project_id,
                          t.task_title, root_id)
    extra: list[Interval] = []
    pending_key = 0
    for action in open_actions:
        at = _epoch(action.created_at)
        if action.kind == "stop" or (action.kind == "start" and running is not None):
            if running is not None:
                if running.id is not None and running.id in intervals:
                    intervals[running.id] = (running.start, max(at, running.start))
                elif extra:
                    s, _ = extra[-1]
                    extra[-1] = (s, max(at, s))
                running = None
        if action.kind == "start":
            label = action.payload.get("label")
            running = Running(None, at, action.description, action.task_id,
                              action.payload.get("project_id"),
                              label if isinstance(label, str) else None,
                              action.parent_id, pending=True)
            extra.append((at, None))
            pending_key += 1
        elif action.kind == "delete" and action.timer_id:
            for t in timers:
                if t.id == action.timer_id or t.parent_id == action.timer_id:
                    intervals.pop(t.id, None)
            if running is not None and running.id == action.timer_id:
                running = None
    deleting = {a.timer_id for a in open_actions if a.kind == "delete"}
    roots = tuple(
        replace(r, children=tuple(c for c in r.children if c.id not in deleting))
        for r in snapshot.roots() if r.id not in deleting
    ) if deleting else snapshot.roots()
    return TrackerState(
        running=running,
        recent=recent_tasks(roots, recent_count),
        pending=tuple(open_actions),
        failed=tuple(failed),
        intervals=tuple(intervals.values()) + tuple(extra),
        **status,  # type: ignore[arg-type]
    )

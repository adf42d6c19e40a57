"""Pure report computation: a frozen :class:`ReportInput` in, a frozen :class:`Report` out.

No I/O, no clock, no HTTP: ``now`` and the time zone are part of the input, so the
same input always gives the same report.

Rules
-----
* A timer and its children (resumed segments) count as one: the root's task, project
  and user, falling back field by field to the child's own when the root has none.
* Each segment counts ``Timer.own_seconds(now)``: a running one up to ``now``, a
  finished one by the server's ``duration`` when sent, else ``end - start``.
* A segment is spread over the local days (in ``tz``; ``None`` = the system zone) that
  its interval ``[start, end or now)`` touches, in proportion to the overlap. Day
  boundaries are local midnights converted to UTC, so a DST day has 23 or 25 hours and
  a week's days sum to the week's total.
* Everything is summed in integer microseconds; the published whole seconds are
  apportioned (largest remainder) so rows always add up exactly to the total.
* Task label: the task title when the server sends one, else the description, else
  the task id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from mrtimer.api import Timer

__all__ = [
    "GROUP_BY",
    "DayStack",
    "GroupBy",
    "LocalZone",
    "Period",
    "Report",
    "ReportInput",
    "Row",
    "StackBy",
    "apportion",
    "build_report",
]

GroupBy = Literal["task", "project", "day", "user"]
StackBy = Literal["task", "project"]
GROUP_BY: tuple[GroupBy, ...] = ("task", "project", "day", "user")

NO_TASK_LABEL = "(no task)"
NO_PROJECT_LABEL = "(no project)"
NO_USER_LABEL = "(unknown user)"

_US = 1_000_000
_ONE_US = timedelta(microseconds=1)
_DAY = timedelta(days=1)


# -- time zone ------------------------------------------------------------------


class LocalZone:
    """Local-day arithmetic in ``tz``; ``None`` means the system's local zone.

    For ``None`` every instant is converted on its own (``datetime.astimezone()``), so a
    DST change inside the range is honoured even without a named zone.
    """

    def __init__(self, tz: tzinfo | None) -> None:
        self.tz = tz

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz) if self.tz is not None else instant.astimezone()

    def day_of(self, instant: datetime) -> date:
        return self.local(instant).date()

    def midnight(self, day: date) -> datetime:
        """The instant (aware, UTC) at which local ``day`` begins."""
        naive = datetime.combine(day, time())
        if self.tz is None:
            return naive.astimezone().astimezone(UTC)
        # fold=0: a midnight inside a DST gap maps to the transition itself, an
        # ambiguous one to its first occurrence; either way the day starts there.
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def name(self, at: datetime) -> str:
        key = getattr(self.tz, "key", None)
        if isinstance(key, str) and key:
            return key
        return self.local(at).tzname() or "local time"


# -- inputs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An inclusive range of local dates."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"period ends ({self.last}) before it starts ({self.first})")

    @classmethod
    def week_of(cls, day: date) -> Period:
        monday = day - timedelta(days=day.weekday())
        return cls(monday, monday + timedelta(days=6))

    @classmethod
    def last_weeks(cls, today: date, weeks: int) -> Period:
        if weeks < 1:
            raise ValueError("weeks must be at least 1")
        this = cls.week_of(today)
        return cls(this.first - timedelta(weeks=weeks - 1), this.last)

    @property
    def days(self) -> tuple[date, ...]:
        count = (self.last - self.first).days + 1
        return tuple(self.first + timedelta(days=i) for i in range(count))


@dataclass(frozen=True)
class ReportInput:
    timers: tuple[Timer, ...]
    period: Period
    now: datetime
    tz: tzinfo | None = None
    by: GroupBy = "task"

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if self.by not in GROUP_BY:
            raise ValueError(f"unknown grouping {self.by!r}")


# -- outputs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    seconds: int
    share: float  # 0..1 of the report's total


@dataclass(frozen=True)
class DayStack:
    """One day: its whole seconds and its exact parts per chart series, in series order."""

    day: date
    seconds: int
    parts: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Report:
    period: Period
    timezone: str
    generated_at: datetime  # the input's ``now``
    generated_local: datetime  # the same instant in the report's zone
    by: GroupBy
    total_seconds: int
    rows: tuple[Row, ...]  # grouped by ``by``
    tasks: tuple[Row, ...]  # always by task
    days: tuple[DayStack, ...]  # every day of the period, in order
    stack_by: StackBy
    series: tuple[Row, ...]  # the chart's stacks, largest first
    running: bool  # a running timer counted up to ``generated_at``
    timer_count: int  # timers (with their children) that have time in the period

    @property
    def empty(self) -> bool:
        return self.total_seconds == 0


# -- computation ------------------------------------------------------------------


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


@dataclass(frozen=True)
class _Identity:
    task_key: str
    task_id: str | None
    task_title: str | None
    description: str | None
    project_id: str | None
    user_id: str | None


def _identity(root: Timer, node: Timer) -> _Identity:
    task_id = root.task_id or node.task_id
    description = root.description or node.description
    if task_id:
        task_key = f"task:{task_id}"
    elif description:
        task_key = f"description:{description}"
    else:
        task_key = "none"
    return _Identity(
        task_key=task_key,
        task_id=task_id,
        task_title=root.task_title or node.task_title,
        description=description,
        project_id=root.project_id or node.project_id,
        user_id=root.created_by or node.created_by,
    )


def _nodes(timers: Iterable[Timer]) -> Iterator[tuple[Timer, Timer]]:
    """(root, segment) pairs, chronological, each segment id once."""
    seen: set[str] = set()
    for root in sorted(timers, key=lambda t: (t.start, t.id)):
        if root.id in seen:
            continue
        for node in root.walk():
            if node.id in seen:
                continue
            seen.add(node.id)
            yield root, node


def _spread(node: Timer, now: datetime, zone: LocalZone,
            period: Period) -> Iterator[tuple[date, int]]:
    """(local day, microseconds) pieces of one segment inside ``period``."""
    total = round(node.own_seconds(now) * _US)
    if total <= 0:
        return
    start = node.start
    end = node.end if node.end is not None else now
    span = _us(end - start)
    if span <= 0:
        day = zone.day_of(start)
        if period.first <= day <= period.last:
            yield day, total
        return
    first = max(period.first, zone.day_of(start))
    last = min(period.last, zone.day_of(end - _ONE_US))
    day = first
    while day <= last:
        lo = max(start, zone.midnight(day))
        hi = min(end, zone.midnight(day + _DAY))
        if hi > lo:
            # Telescoping floors: the pieces of a whole segment sum exactly to ``total``.
            piece = _us(hi - start) * total // span - _us(lo - start) * total // span
            if piece:
                yield day, piece
        day += _DAY


def apportion(values_us: Sequence[int]) -> list[int]:
    """Whole seconds for each value, summing exactly to the rounded total (largest remainder)."""
    total_s = (sum(values_us) + _US // 2) // _US
    floors = [v // _US for v in values_us]
    extra = total_s - sum(floors)
    order = sorted(range(len(values_us)), key=lambda i: (-(values_us[i] % _US), i))
    for i in order[:max(0, extra)]:
        floors[i] += 1
    return floors


def _rows(totals: dict[str, int], labels: dict[str, str], total_s: int) -> tuple[Row, ...]:
    keys = [k for k, v in totals.items() if v > 0]
    seconds = apportion([totals[k] for k in keys])
    rows = [
        Row(key=k, label=labels[k], seconds=s, share=(s / total_s) if total_s else 0.0)
        for k, s in zip(keys, seconds, strict=True)
    ]
    rows.sort(key=lambda r: (-r.seconds, r.label, r.key))
    return tuple(rows)


def _day_label(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def build_report(data: ReportInput) -> Report:
    zone = LocalZone(data.tz)
    period = data.period

    task_labels: dict[str, str] = {}
    task_titles: dict[str, str] = {}
    task_descriptions: dict[str, str] = {}
    labels: dict[GroupBy, dict[str, str]] = {"project": {}, "user": {}}
    totals: dict[GroupBy, dict[str, int]] = {g: defaultdict(int) for g in GROUP_BY}
    cells: dict[StackBy, dict[date, dict[str, int]]] = {
        "task": defaultdict(lambda: defaultdict(int)),
        "project": defaultdict(lambda: defaultdict(int)),
    }
    running = False
    roots_with_time: set[str] = set()

    for root, node in _nodes(data.timers):
        ident = _identity(root, node)
        project_key = f"project:{ident.project_id}" if ident.project_id else "no-project"
        user_key = f"user:{ident.user_id}" if ident.user_id else "no-user"
        for day, piece in _spread(node, data.now, zone, period):
            roots_with_time.add(root.id)
            running = running or node.running
            if ident.task_title and ident.task_key not in task_titles:
                task_titles[ident.task_key] = ident.task_title
            if ident.description and ident.task_key not in task_descriptions:
                task_descriptions[ident.task_key] = ident.description
            task_labels.setdefault(ident.task_key, ident.task_id or NO_TASK_LABEL)
            labels["project"].setdefault(project_key, ident.project_id or NO_PROJECT_LABEL)
            labels["user"].setdefault(user_key, ident.user_id or NO_USER_LABEL)
            totals["task"][ident.task_key] += piece
            totals["project"][project_key] += piece
            totals["user"][user_key] += piece
            cells["task"][day][ident.task_key] += piece
            cells["project"][day][project_key] += piece

    for key in task_labels:
        task_labels[key] = task_titles.get(key) or task_descriptions.get(key) or task_labels[key]

    day_us = [sum(cells["task"][d].values()) if d in cells["task"] else 0 for d in period.days]
    day_seconds = apportion(day_us)
    total_s = sum(day_seconds)

    tasks = _rows(totals["task"], task_labels, total_s)
    if data.by == "task":
        rows = tasks
    elif data.by == "day":
        rows = tuple(
            Row(key=d.isoformat(), label=_day_label(d), seconds=s,
                share=(s / total_s) if total_s else 0.0)
            for d, s in zip(period.days, day_seconds, strict=True)
        )
    else:
        rows = _rows(totals[data.by], labels[data.by], total_s)

    stack_by: StackBy = "project" if data.by == "project" else "task"
    series = tasks if stack_by == "task" else (
        rows if data.by == "project" else _rows(totals["project"], labels["project"], total_s)
    )
    order = {row.key: i for i, row in enumerate(series)}
    days = tuple(
        DayStack(
            day=d,
            seconds=s,
            parts=tuple(
                (key, us / _US)
                for key, us in sorted(cells[stack_by].get(d, {}).items(),
                                      key=lambda kv: order.get(kv[0], len(order)))
                if us > 0
            ),
        )
        for d, s in zip(period.days, day_seconds, strict=True)
    )
    return Report(
        period=period,
        timezone=zone.name(data.now),
        generated_at=data.now,
        generated_local=zone.local(data.now),
        by=data.by,
        total_seconds=total_s,
        rows=rows,
        tasks=tasks,
        days=days,
        stack_by=stack_by,
        series=series,
        running=running,
        timer_count=len(roots_with_time),
    )

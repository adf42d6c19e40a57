""""Remind me to track" and the pomodoro timer: pure state machines fed on each tick."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import Enum

from mrtimer.core import Running

from ._settings import WorkingHours

__all__ = ["BreakOver", "Phase", "Pomodoro", "PomodoroEvent", "TrackReminder", "WorkDone"]


class TrackReminder:
    """After ``after_minutes`` of activity with no timer, inside working hours: remind.

    Activity is time with less than ``active_idle`` seconds since the last input,
    counted between ticks (a gap longer than ``max_step`` counts as ``max_step``,
    so sleep is not activity). A timer running, time away, or leaving working hours
    starts the count again; after a reminder it starts again too."""

    def __init__(self, after_minutes: int, hours: WorkingHours, active_idle: float,
                 max_step: float = 60.0, tz: tzinfo | None = None) -> None:
        self.after = after_minutes * 60.0
        self.hours = hours
        self.active_idle = active_idle
        self.max_step = max_step
        self.tz = tz
        self.active_seconds = 0.0
        self._last: datetime | None = None

    def update(self, now: datetime, idle: float | None, running: bool) -> bool:
        last, self._last = self._last, now
        if self.after <= 0 or running:
            self.active_seconds = 0.0
            return False
        local = now.astimezone(self.tz) if self.tz else now.astimezone()
        if not self.hours.contains(local) or (idle is not None and idle >= self.active_idle):
            self.active_seconds = 0.0
            return False
        if last is not None:
            step = (now - last).total_seconds()
            self.active_seconds += min(max(0.0, step), self.max_step)
        if self.active_seconds >= self.after:
            self.active_seconds = 0.0
            return True
        return False


class Phase(Enum):
    OFF = "off"
    WORK = "work"
    BREAK = "break"


@dataclass(frozen=True)
class WorkDone:
    """A work period ended: notify; stop the timer when ``stop`` is set."""

    label: str
    break_minutes: int
    stop: bool


@dataclass(frozen=True)
class BreakOver:
    """The break ended. ``running``: the timer kept running (a new work period began)."""

    running: bool


PomodoroEvent = WorkDone | BreakOver


class Pomodoro:
    """Work periods follow the running timer.

    A timer starting begins a work period (from its start, when that is recent). At its
    end: :class:`WorkDone`, then a break. At the break's end: :class:`BreakOver`; if the
    timer still runs, the next work period begins. Stopping the timer during work ends
    the pomodoro; starting one during a break begins a new work period."""

    def __init__(self, work_minutes: int, break_minutes: int, stop_at_end: bool) -> None:
        self.work = timedelta(minutes=max(1, work_minutes))
        self.brk = timedelta(minutes=max(1, break_minutes))
        self.stop_at_end = stop_at_end
        self.phase = Phase.OFF
        self.ends: datetime | None = None
        self._was_running = False

    def remaining_minutes(self, now: datetime) -> int | None:
        """Whole minutes left in the current phase (rounded up), None when off."""
        if self.phase is Phase.OFF or self.ends is None:
            return None
        return max(0, math.ceil((self.ends - now).total_seconds() / 60))

    def update(self, now: datetime, running: Running | None) -> list[PomodoroEvent]:
        events: list[PomodoroEvent] = []
        started = running is not None and not self._was_running
        self._was_running = running is not None
        if self.phase is Phase.OFF:
            if running is not None:
                self._begin_work(now, running.start)
            return events
        assert self.ends is not None
        if self.phase is Phase.WORK:
            if running is None:
                self.phase, self.ends = Phase.OFF, None
                return events
            if now >= self.ends:
                events.append(WorkDone(running.label, int(self.brk.total_seconds() // 60),
                                       self.stop_at_end))
                self.phase, self.ends = Phase.BREAK, now + self.brk
            return events
        # BREAK
        if started:
            self._begin_work(now, now)
            return events
        if now >= self.ends:
            events.append(BreakOver(running is not None))
            if running is not None:
                self._begin_work(now, now)
            else:
                self.phase, self.ends = Phase.OFF, None
        return events

    def _begin_work(self, now: datetime, start: datetime) -> None:
        begin = start if timedelta(0) <= now - start < self.work else now
        self.phase, self.ends = Phase.WORK, begin + self.work

"""Working hours and days (for reminders): pure parsing, shared by settings and desktop."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

__all__ = ["WorkingHours"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingHours:
    """When reminders may fire: local time of day and weekdays (0 = Monday)."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset(range(5))

    def contains(self, local: datetime) -> bool:
        if local.weekday() not in self.days:
            return False
        t = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end  # a night shift over midnight

    @classmethod
    def parse(cls, hours: str, days: str) -> WorkingHours:
        """``hours`` like ``"09:00-18:00"``, ``days`` like ``"mon-fri"`` or ``"mon,wed,sat"``.

        Raises ValueError with a one-line message."""
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", hours)
        if not m:
            raise ValueError(f"working_hours: HH:MM-HH:MM expected, not {hours!r}")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        try:
            start, end = time(h1, m1), (time(0) if (h2, m2) == (24, 0) else time(h2, m2))
        except ValueError:
            raise ValueError(f"working_hours: no such time in {hours!r}") from None
        chosen: set[int] = set()
        for part in days.lower().replace(" ", "").split(","):
            if not part:
                continue
            lo, _, hi = part.partition("-")
            if lo not in _DAYS or (hi and hi not in _DAYS):
                raise ValueError(f"working_days: day names mon..sun expected, not {part!r}")
            a, b = _DAYS.index(lo), _DAYS.index(hi or lo)
            i = a
            while True:
                chosen.add(i)
                if i == b:
                    break
                i = (i + 1) % 7
        if not chosen:
            raise ValueError("working_days: at least one day expected")
        return cls(start, end, frozenset(chosen))



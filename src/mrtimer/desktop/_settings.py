"""The settings desktop integration reads, with defaults for fields core may not have yet.

Read through ``getattr`` from whatever settings object the app holds, so this package
works before (and after) ``mrtimer.core.Settings`` grows the newer fields.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

from mrtimer.core.schedule import WorkingHours

__all__ = ["DesktopSettings", "WorkingHours"]

log = logging.getLogger("mrtimer.desktop")

@dataclass(frozen=True)
class DesktopSettings:
    notifications: bool = True
    hotkeys_enabled: bool = True
    hotkey_toggle: str = "<ctrl>+<alt>+<shift>+t"
    hotkey_new: str = "<ctrl>+<alt>+<shift>+n"
    start_at_login: bool = False
    idle_detection: bool = True
    idle_threshold_minutes: int = 10
    stop_when_idle: bool = False
    remind_after_minutes: int = 0  # 0: no "remind me to track"
    working_hours: str = "09:00-18:00"
    working_days: str = "mon-fri"
    pomodoro: bool = False
    pomodoro_work_minutes: int = 25
    pomodoro_break_minutes: int = 5
    pomodoro_stop_at_end: bool = False

    @classmethod
    def from_settings(cls, settings: object) -> DesktopSettings:
        """Take every known field from ``settings`` when present and of the right type."""
        defaults = cls()
        values: dict[str, object] = {}
        for f in fields(cls):
            default = getattr(defaults, f.name)
            value = getattr(settings, f.name, default)
            if type(value) is not type(default):
                log.warning("setting %s has an unexpected type: using %r", f.name, default)
                value = default
            values[f.name] = value
        return cls(**values)  # type: ignore[arg-type]

    @property
    def idle_threshold(self) -> float:
        return max(1, self.idle_threshold_minutes) * 60.0

    def hours(self) -> WorkingHours:
        try:
            return WorkingHours.parse(self.working_hours, self.working_days)
        except ValueError as exc:
            log.warning("%s: using 09:00-18:00 mon-fri", exc)
            return WorkingHours()

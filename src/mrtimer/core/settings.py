"""User settings in a TOML file, validated on load, written atomically."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import tomli_w

from mrtimer.api import DEFAULT_BASE_URL, InsecureUrlError, validate_base_url

from .atomic import atomic_write
from .schedule import WorkingHours

__all__ = ["Settings", "SettingsError", "SETTING_HELP"]


class SettingsError(ValueError):
    """A settings file or value that can't be used; the message is one line."""


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    poll_interval: int = 60
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    recent_count: int = 10
    notifications: bool = True
    hotkeys_enabled: bool = True
    hotkey_toggle: str = "<ctrl>+<alt>+<shift>+t"
    hotkey_new: str = "<ctrl>+<alt>+<shift>+n"
    start_at_login: bool = False
    idle_threshold_minutes: int = 10
    stop_when_idle: bool = False
    idle_detection: bool = True
    remind_after_minutes: int = 0
    working_hours: str = "09:00-18:00"
    working_days: str = "mon-fri"
    pomodoro: bool = False
    pomodoro_work_minutes: int = 25
    pomodoro_break_minutes: int = 5
    pomodoro_stop_at_end: bool = False

    @property
    def idle_threshold(self) -> float:
        """Seconds without input that count as away."""
        return self.idle_threshold_minutes * 60.0

    def hours(self) -> WorkingHours:
        """When reminders may come (validated on load, so this parses)."""
        return WorkingHours.parse(self.working_hours, self.working_days)

    def validate(self) -> Settings:
        try:
            validate_base_url(self.base_url)
        except InsecureUrlError as exc:
            raise SettingsError(f"base_url: {exc}") from None
        if not 15 <= self.poll_interval <= 3600:
            raise SettingsError("poll_interval: seconds between 15 and 3600 expected")
        if not 0.5 <= self.connect_timeout <= 120 or not 0.5 <= self.read_timeout <= 300:
            raise SettingsError("connect_timeout/read_timeout: seconds between 0.5 and 300")
        if not 1 <= self.recent_count <= 30:
            raise SettingsError("recent_count: between 1 and 30 expected")
        if not 1 <= self.idle_threshold_minutes <= 240:
            raise SettingsError("idle_threshold_minutes: between 1 and 240 expected")
        if not 0 <= self.remind_after_minutes <= 480:
            raise SettingsError("remind_after_minutes: between 0 (off) and 480 expected")
        if not 1 <= self.pomodoro_work_minutes <= 240 or \
                not 1 <= self.pomodoro_break_minutes <= 120:
            raise SettingsError("pomodoro_work_minutes 1-240 and pomodoro_break_minutes 1-120")
        try:
            WorkingHours.parse(self.working_hours, self.working_days)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        return self

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                continue  # written by a newer version: ignore, keep working
            values[key] = _coerce(key, known[key].type, value)
        return cls(**values).validate()

    def to_mapping(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_value(self, key: str, text: str) -> Settings:
        known = {f.name: f for f in fields(self)}
        if key not in known:
            raise SettingsError(f"unknown setting {key!r} (known: {', '.join(known)})")
        value = _coerce(key, known[key].type, _parse_text(known[key].type, key, text))
        return dataclasses.replace(self, **{key: value}).validate()

    @classmethod
    def load(cls, path: Path) -> Settings:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read {path}: {exc.__class__.__name__}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_mapping(raw)

    def save(self, path: Path) -> None:
        atomic_write(path, tomli_w.dumps(self.to_mapping()).encode("utf-8"))


SETTING_HELP: dict[str, str] = {
    "base_url": "API base URL (https, or http on loopback only)",
    "poll_interval": "seconds between refreshes of the week (15-3600)",
    "connect_timeout": "seconds to wait for a connection",
    "read_timeout": "seconds to wait for an answer",
    "recent_count": "recent tasks shown in the menu (1-30)",
    "notifications": "desktop notifications on/off",
    "hotkeys_enabled": "global hotkeys on/off",
    "hotkey_toggle": "hotkey: stop the running timer, else resume the last one",
    "hotkey_new": "hotkey: start a new timer (asks a description)",
    "start_at_login": "start the tray app when you log in",
    "idle_threshold_minutes": "minutes without input that count as away",
    "stop_when_idle": "stop the running timer when you have been away that long",
    "idle_detection": "watch for time away from the keyboard and mouse",
    "remind_after_minutes": "remind to track after this much activity with no timer (0: off)",
    "working_hours": "when reminders may come, e.g. 09:00-18:00",
    "working_days": "days for reminders, e.g. mon-fri or mon,wed,fri",
    "pomodoro": "pomodoro timer on/off",
    "pomodoro_work_minutes": "pomodoro work period length",
    "pomodoro_break_minutes": "pomodoro break length",
    "pomodoro_stop_at_end": "stop the timer when a work period ends",
}


def _parse_text(typ: object, key: str, text: str) -> Any:
    t = str(typ)
    if t == "bool":
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{key}: true or false expected")
    if t == "int":
        try:
            return int(text)
        except ValueError:
            raise SettingsError(f"{key}: a whole number expected") from None
    if t == "float":
        try:
            return float(text)
        except ValueError:
            raise SettingsError(f"{key}: a number expected") from None
    return text


def _coerce(key: str, typ: object, value: Any) -> Any:
    t = str(typ)
    if t == "bool":
        if isinstance(value, bool):
            return value
        raise SettingsError(f"{key}: true or false expected")
    if t == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SettingsError(f"{key}: a whole number expected")
    if t == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise SettingsError(f"{key}: a number expected")
    if isinstance(value, str):
        return value
    raise SettingsError(f"{key}: text expected")

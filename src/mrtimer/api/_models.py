"""Timer model, decoded tolerantly from whatever the server sends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = [
    "ModelError",
    "Timer",
    "decode_timer",
    "decode_timer_list",
    "encode_timer",
    "format_hms",
    "parse_datetime",
    "parse_duration",
]


class ModelError(ValueError):
    """A value that cannot be decoded; the client turns it into a DecodeError."""


_DT_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)


def parse_datetime(value: object) -> datetime:
    """ISO 8601 with ``Z``, an offset, fractional seconds or no zone (taken as UTC)."""
    if not isinstance(value, str):
        raise ModelError(f"datetime expected, got {type(value).__name__}")
    m = _DT_RE.match(value.strip())
    if not m:
        raise ModelError(f"bad datetime {value[:40]!r}")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if tz is None or tz in ("Z", "z"):
        tzinfo = UTC
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        tzinfo = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro, tzinfo)
    except ValueError as exc:
        raise ModelError(f"bad datetime {value[:40]!r}") from exc
    return dt.astimezone(UTC)


_DUR_RE = re.compile(r"^(\d+):([0-5]?\d):([0-5]?\d)(?:\.\d+)?$")


def parse_duration(value: object) -> timedelta:
    """``HH:mm:ss`` where hours may exceed 23 (also accepts a number of seconds)."""
    if isinstance(value, bool):
        raise ModelError("duration expected, got bool")
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    if not isinstance(value, str):
        raise ModelError(f"duration expected, got {type(value).__name__}")
    m = _DUR_RE.match(value.strip())
    if not m:
        raise ModelError(f"bad duration {value[:40]!r}")
    h, mi, s = (int(g) for g in m.groups())
    return timedelta(hours=h, minutes=mi, seconds=s)


def format_hms(delta: timedelta) -> str:
    total = max(0, int(delta.total_seconds()))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


@dataclass(frozen=True)
class Timer:
    id: str
    start: datetime
    end: datetime | None = None
    duration: timedelta | None = None
    task_id: str | None = None
    description: str | None = None
    project_id: str | None = None
    created_by: str | None = None
    task_title: str | None = None
    parent_id: str | None = None
    children: tuple[Timer, ...] = field(default=())

    @property
    def running(self) -> bool:
        return self.end is None

    def own_seconds(self, now: datetime) -> float:
        """This timer's time, without children (a running timer counts up to ``now``)."""
        if self.end is None:
            return max(0.0, (now - self.start).total_seconds())
        if self.duration is not None:
            return self.duration.total_seconds()
        return max(0.0, (self.end - self.start).total_seconds())

    def walk(self) -> tuple[Timer, ...]:
        """This timer and all its descendants, parents first."""
        out: list[Timer] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)

    @property
    def label(self) -> str:
        return self.task_title or self.description or self.task_id or "(no description)"


def encode_timer(timer: Timer) -> dict[str, Any]:
    """The API's JSON shape for a decoded timer (used to keep the last known state)."""
    out: dict[str, Any] = {
        "id": timer.id,
        "task_id": timer.task_id,
        "description": timer.description,
        "start_date": timer.start.isoformat(),
        "end_date": timer.end.isoformat() if timer.end else None,
        # Seconds, not HH:mm:ss: this is our own storage and must keep sub-seconds.
        "duration": timer.duration.total_seconds() if timer.duration is not None else None,
        "created_by": timer.created_by,
        "project_id": timer.project_id,
        "children": [encode_timer(c) for c in timer.children],
    }
    if timer.task_title:
        out["task"] = {"id": timer.task_id, "title": timer.task_title}
    return out


def _opt_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ModelError(f"{key}: string expected, got {type(value).__name__}")


def decode_timer(raw: object, parent_id: str | None = None) -> Timer:
    if not isinstance(raw, dict):
        raise ModelError(f"timer object expected, got {type(raw).__name__}")
    timer_id = _opt_str(raw, "id")
    if not timer_id:
        raise ModelError("timer without id")
    start_raw = raw.get("start_date", raw.get("start"))
    if start_raw is None:
        raise ModelError(f"timer {timer_id[:40]!r} without start_date")
    start = parse_datetime(start_raw)
    end_raw = raw.get("end_date", raw.get("end"))
    end = parse_datetime(end_raw) if end_raw not in (None, "") else None
    dur_raw = raw.get("duration")
    duration = parse_duration(dur_raw) if dur_raw not in (None, "") and end else None
    task_title: str | None = None
    task = raw.get("task")
    task_id = _opt_str(raw, "task_id")
    if isinstance(task, dict):
        title = task.get("title") or task.get("name")
        task_title = title if isinstance(title, str) and title.strip() else None
        if task_id is None:
            task_id = _opt_str(task, "id")
    title = raw.get("task_title")
    if task_title is None and isinstance(title, str) and title.strip():
        task_title = title
    children_raw = raw.get("children") or []
    if not isinstance(children_raw, list):
        raise ModelError("children: list expected")
    children = tuple(decode_timer(c, parent_id=timer_id) for c in children_raw)
    return Timer(
        id=timer_id,
        start=start,
        end=end,
        duration=duration,
        task_id=task_id,
        description=_opt_str(raw, "description"),
        project_id=_opt_str(raw, "project_id"),
        created_by=_opt_str(raw, "created_by"),
        task_title=task_title,
        parent_id=_opt_str(raw, "parent_id") or parent_id,
        children=children,
    )


def unwrap(body: object) -> object:
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    return body


def decode_timer_list(body: object) -> list[Timer]:
    data = unwrap(body)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ModelError(f"timer list expected, got {type(data).__name__}")
    return [decode_timer(item) for item in data]

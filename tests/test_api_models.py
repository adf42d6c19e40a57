from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mrtimer.api import decode_timer, encode_timer, parse_datetime, parse_duration
from mrtimer.api._models import ModelError, decode_timer_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03T10:00:00Z", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("2026-12-03T10:00:00.123456Z", datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-12-03T10:00:00.1Z", datetime(2026, 12, 3, 10, 0, 0, 100000, tzinfo=UTC)),
        ("2026-12-03T10:00:00.123456789Z", datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-12-03T11:00:00+01:00", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("2026-12-03T05:30:00-0430", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("2026-12-03T10:00:00", datetime(2026, 12, 3, 10, tzinfo=UTC)),  # no zone = UTC
        ("2026-12-03 10:00:00", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("2026-12-03T10:00", datetime(2026, 12, 3, 10, tzinfo=UTC)),
    ],
)
def test_datetimes(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("bad", ["", "yesterday", "2026-13-03T10:00:00Z", 5, None, "2026-12-03"])
def test_bad_datetimes(bad: object) -> None:
    with pytest.raises(ModelError):
        parse_datetime(bad)


def test_durations() -> None:
    assert parse_duration("01:02:03") == timedelta(hours=1, minutes=2, seconds=3)
    assert parse_duration("123:00:01") == timedelta(hours=123, seconds=1)
    assert parse_duration("00:00:00") == timedelta(0)
    assert parse_duration(90) == timedelta(seconds=90)
    for bad in ("1:60:00", "abc", True, [1]):
        with pytest.raises(ModelError):
            parse_duration(bad)


def test_tolerant_timer_decoding() -> None:
    raw = {
        "id": "t1",
        "task_id": None,
        "description": "Fix login bug",
        "start_date": "2026-12-01T08:00:00Z",
        "end_date": "2026-12-01T09:30:00.5+00:00",
        "duration": "01:30:00",
        "project_id": "p1",
        "status": "stopped",  # unknown: ignored
        "task": {"id": "task-9", "title": "Login"},
        "children": [
            {"id": "c1", "start_date": "2026-12-01T10:00:00", "end_date": None},
        ],
    }
    t = decode_timer(raw)
    assert t.task_title == "Login" and t.task_id == "task-9"
    assert t.duration == timedelta(hours=1, minutes=30)
    assert t.children[0].running and t.children[0].parent_id == "t1"
    assert t.label == "Login"
    # absent fields
    bare = decode_timer({"id": 5, "start_date": "2026-12-01T08:00:00Z"})
    assert bare.id == "5" and bare.running and bare.description is None and bare.children == ()
    assert bare.label == "(no description)"


def test_encode_round_trip() -> None:
    raw = {"id": "t1", "description": "x", "start_date": "2026-12-01T08:00:00Z",
           "end_date": "2026-12-01T09:00:00Z", "duration": "01:00:00",
           "task": {"id": "k", "title": "Task K"},
           "children": [{"id": "c", "start_date": "2026-12-01T10:00:00Z"}]}
    t = decode_timer(raw)
    assert decode_timer(encode_timer(t)) == t


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": "x"}},  # not a list
        {"data": [{"start_date": "2026-12-01T08:00:00Z"}]},  # no id
        {"data": [{"id": "a"}]},  # no start
        {"data": [{"id": "a", "start_date": "soon"}]},
        {"data": [{"id": "a", "start_date": "2026-12-01T08:00:00Z", "children": "x"}]},
        {"data": ["string"]},
        {"data": [{"id": "a", "start_date": "2026-12-01T08:00:00Z", "description": {}}]},
    ],
)
def test_undecodable_bodies_raise_model_error(body: object) -> None:
    with pytest.raises(ModelError):
        decode_timer_list(body)


def test_list_without_wrapper_and_null_data() -> None:
    assert decode_timer_list({"data": None}) == []
    assert len(decode_timer_list([{"id": "a", "start_date": "2026-12-01T08:00:00Z"}])) == 1

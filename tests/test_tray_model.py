"""The tray's view model: a pure function of the core state and the time (no screen)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from mrtimer.core import Action, AuthStatus, RecentTask, Running, TrackerState
from mrtimer.tray.icons import Badge, Glyph
from mrtimer.tray.model import (
    SEPARATOR,
    Cmd,
    Command,
    Item,
    MenuContext,
    Prompt,
    build_menu,
    build_view,
    clean,
    command_at,
    fmt_hm,
    menu_from_json,
    menu_to_json,
    title_text,
)

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)  # a Thursday
CTX = MenuContext(tz=UTC)


def recent(title: str, task: str | None = None, desc: str | None = None,
           hours_ago: float = 1.0) -> RecentTask:
    return RecentTask(task, desc, title, "p-1", f"root-{title}",
                      NOW - timedelta(hours=hours_ago))


RECENT = (recent("Fix login bug", "t-1"), recent("Code review", "t-2", hours_ago=2),
          recent("Team meeting", "t-3", hours_ago=30))


def running(title: str = "Fix login bug", task: str | None = "t-1", minutes: float = 83,
            pending: bool = False, desc: str | None = None) -> Running:
    start = NOW - timedelta(minutes=minutes)
    return Running(None if pending else "timer-1", start, desc, task, "p-1", title,
                   "root-1", pending)


def texts(items: tuple[Item, ...]) -> list[str]:
    return [i.text for i in items if not i.separator]


def find(items: tuple[Item, ...], start: str) -> Item:
    for item in items:
        if item.text.startswith(start):
            return item
    raise AssertionError(f"no {start!r} in {texts(items)}")


def action(i: int, kind: str = "start", created: datetime = NOW, error: str | None = None,
           **payload: object) -> Action:
    return Action(i, kind, dict(payload), created.timestamp(),  # type: ignore[arg-type]
                  last_error=error)


def test_idle_menu_has_every_item_of_the_issue() -> None:
    state = TrackerState(recent=RECENT, auth=AuthStatus.OK, online=True)
    items = build_menu(state, NOW, CTX)
    assert texts(items) == [
        "Not tracking", "Stop", "Discard running timer…", "Recent tasks",
        "Fix login bug", "Code review", "Team meeting",
        "Resume last timer: Fix login bug", "New timer…", "Today 0:00", "This week 0:00",
        "Weekly report", "Sign out", "Settings…", "Open log folder", "Quit",
    ]
    assert items[0].role == "header"
    assert not find(items, "Stop").enabled and not find(items, "Discard").enabled
    start = find(items, "Code review").command
    assert start == Command(Cmd.START, task_id="t-2", label="Code review", project_id="p-1")
    assert find(items, "Resume last").command == Command(Cmd.RESUME_LAST)
    assert find(items, "Quit").command == Command(Cmd.QUIT)
    # no doubled or trailing separators
    for a, b in zip(items, items[1:], strict=False):
        assert not (a.separator and b.separator)
    assert not items[-1].separator and not items[0].separator


def test_running_header_title_and_the_running_task_is_checked() -> None:
    state = TrackerState(running=running(), recent=RECENT, auth=AuthStatus.OK,
                         intervals=((NOW - timedelta(minutes=83), None),))
    view = build_view(state, NOW, CTX)
    assert view.title == "Fix login bug · 1:23"
    assert view.menu[0].text == "Fix login bug · 1:23"
    assert view.icon.glyph is Glyph.RUNNING and view.icon.text == "1:23"
    assert find(view.menu, "Stop").command == Command(Cmd.STOP)
    discard = find(view.menu, "Discard").command
    assert discard == Command(Cmd.DISCARD, timer_id="timer-1", label="Fix login bug")
    fix = next(i for i in view.menu if i.text == "Fix login bug")
    assert fix.checked is True and fix.command is None  # clicking it changes nothing
    assert find(view.menu, "Code review").command is not None  # a click switches
    assert not find(view.menu, "Resume last").enabled
    assert find(view.menu, "Today").text == "Today 1:23"


def test_a_queued_start_shows_at_once_and_says_it_waits() -> None:
    state = TrackerState(running=running(minutes=0, pending=True), recent=RECENT,
                         pending=(action(1, created=NOW),), online=True)
    view = build_view(state, NOW, CTX)
    assert view.menu[0].text == "Fix login bug · 0:00 (waiting to sync)"
    assert not find(view.menu, "Discard").enabled  # no server id to delete yet
    assert view.icon.badge is Badge.NONE  # just clicked: not worth a badge
    later = build_view(state, NOW + timedelta(seconds=30), CTX)
    assert later.icon.badge is Badge.OFFLINE
    assert find(later.menu, "1 change waiting to sync").role == "info"
    assert find(later.menu, "Retry now").command == Command(Cmd.RETRY_NOW)


def test_offline_and_failed_actions() -> None:
    failed = action(7, error="Active timer already exists", task_id="t-9", label="Deploy")
    state = TrackerState(recent=RECENT, pending=(action(1), action(2, "stop")),
                         failed=(failed,), online=False, last_error="cannot reach api")
    view = build_view(state, NOW, CTX)
    assert "2 changes waiting (offline)" in texts(view.menu)
    assert "cannot reach api" in texts(view.menu)
    item = find(view.menu, "Failed: start Deploy")
    assert [i.text for i in item.submenu] == ["Active timer already exists", "Retry", "Dismiss"]
    assert item.submenu[1].command == Command(Cmd.RETRY_FAILED, action_id=7)
    assert item.submenu[2].command == Command(Cmd.DISMISS_FAILED, action_id=7)
    assert view.icon.badge is Badge.ERROR  # an error outranks waiting
    assert view.title == "Not tracking · today 0:00 · offline, 2 waiting · 1 failed"


def test_sign_in_states() -> None:
    no_key = build_view(TrackerState(auth=AuthStatus.NO_KEY), NOW, CTX)
    assert no_key.icon.glyph is Glyph.SIGNIN
    assert {"Not signed in", "Sign in…", "Use local sandbox"} <= set(texts(no_key.menu))
    assert "Sign out" not in texts(no_key.menu)
    assert not find(no_key.menu, "Weekly report").enabled
    assert no_key.title == "Meet and Rock Timer · not signed in"
    refused = build_view(TrackerState(auth=AuthStatus.NEEDS_SIGN_IN, running=running()),
                         NOW, CTX)
    assert refused.icon.glyph is Glyph.SIGNIN
    assert "The API key was refused: sign in again" in texts(refused.menu)
    assert refused.title.startswith("Meet and Rock Timer · API key refused: sign in")
    env = build_menu(TrackerState(auth=AuthStatus.OK), NOW, MenuContext(key_from_env=True))
    assert "Signed in with MRTIMER_API_KEY" in texts(env) and "Sign out" not in texts(env)


def test_sandbox_is_labelled_and_offers_sign_in() -> None:
    ctx = MenuContext(sandbox=True, tz=UTC)
    view = build_view(TrackerState(recent=RECENT, auth=AuthStatus.OK, sandbox=True), NOW, ctx)
    assert view.menu[0].text == "Sandbox — local demo server"
    assert view.title == "Not tracking · today 0:00 · Sandbox"
    assert "Sign in…" in texts(view.menu) and "Sign out" not in texts(view.menu)
    assert "Use local sandbox" not in texts(view.menu)


def test_server_strings_are_sanitised() -> None:
    evil = "Fix\u202e gnp.exe\u2066 bug\n\x1b[31mred\x00 " + "x" * 200
    assert clean(evil).startswith("Fix gnp.exe bug [31mred x")
    assert len(clean(evil)) == 60 and clean(evil).endswith("…")
    assert clean("a\u200db\u200bc\ufeff") == "a\u200dbc"  # ZWJ kept for emoji
    assert clean("  many   spaces\t\there ") == "many spaces here"
    task = recent(evil, "t-1")
    items = build_menu(TrackerState(recent=(task,)), NOW, CTX)
    label = items[5].text
    assert all(c.isprintable() for c in label) and "\u202e" not in label and len(label) <= 60
    title = title_text(TrackerState(running=running(title=evil)), NOW, CTX)
    assert "\u202e" not in title and "\n" not in title and len(title) < 60


def test_title_and_description_both_show_when_they_differ() -> None:
    task = RecentTask("t-1", "login page", "Fix login bug", None, "r", NOW)
    items = build_menu(TrackerState(recent=(task,)), NOW, CTX)
    assert "Fix login bug — login page" in texts(items)
    state = TrackerState(running=running(desc="login page"))
    assert title_text(state, NOW, CTX).startswith("Fix login bug — login page · ")


def test_today_and_week_across_midnight_and_the_week_boundary() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    ctx = MenuContext(tz=berlin)
    # Started Sunday 23:00 local, now Monday 00:30 local: a new day and a new week.
    start = datetime(2026, 12, 6, 23, 0, tzinfo=berlin)
    now = datetime(2026, 12, 7, 0, 30, tzinfo=berlin)
    state = TrackerState(running=Running("t", start.astimezone(UTC), None, "t-1", None,
                                         "Night shift"),
                         intervals=((start.astimezone(UTC), None),))
    items = build_menu(state, now.astimezone(UTC), ctx)
    assert items[0].text == "Night shift · 1:30"
    assert "Today 0:30" in texts(items) and "This week 0:30" in texts(items)
    assert build_view(state, now.astimezone(UTC), ctx).icon.text == "1:30"


def test_desktop_prompts_notes_and_pomodoro() -> None:
    prompt = Prompt("away-1", "You were away 23 min", "'Fix' kept running.",
                    (("keep", "Keep"), ("stop", "Stop now")))
    ctx = MenuContext(prompts=(prompt,), notes=("Global hotkeys are off on Wayland",),
                      pomodoro="Pomodoro: work, 12 min left")
    items = build_menu(TrackerState(recent=RECENT), NOW, ctx)
    assert find(items, "Stop now").command == Command(Cmd.PROMPT, prompt_id="away-1", key="stop")
    assert texts(items).index("You were away 23 min") < texts(items).index("Stop")
    assert "Global hotkeys are off on Wayland" in texts(items)
    assert "Pomodoro: work, 12 min left" in texts(items)


def test_menu_json_round_trip_and_command_lookup() -> None:
    failed = action(3, error="nope", label="X")
    state = TrackerState(running=running(), recent=RECENT, failed=(failed,))
    items = build_menu(state, NOW, CTX)
    data = menu_to_json(items)
    assert menu_from_json(data)[0]["text"] == items[0].text
    ids = {e["text"]: e["id"] for e in data}
    assert command_at(items, ids["Code review"]) == find(items, "Code review").command
    assert command_at(items, ids[items[0].text]) is None  # the header does nothing
    sub = next(e for e in data if e.get("submenu"))
    assert command_at(items, sub["submenu"][1]["id"]) == Command(Cmd.RETRY_FAILED, action_id=3)
    assert command_at(items, "99") is None
    assert Command.from_json(Command(Cmd.START, task_id="t").to_json()) == \
        Command(Cmd.START, task_id="t")


def test_fmt_hm() -> None:
    assert [fmt_hm(s) for s in (0, 59, 60, 3599, 3600, 36000 + 59 * 60)] == \
        ["0:00", "0:00", "0:01", "0:59", "1:00", "10:59"]
    assert SEPARATOR.separator and not SEPARATOR.active

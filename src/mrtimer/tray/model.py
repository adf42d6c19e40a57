"""What the tray shows, as a pure function of the core's state and the time.

:func:`build_view` turns a :class:`~mrtimer.core.TrackerState`, ``now`` and a little
context into a :class:`View`: the icon key, the title (tooltip) and the menu model.
Menu items carry :class:`Command` values, not callbacks, so the same model feeds
pystray's native menus, the popup menu of the xorg fallback (a child process, over
JSON) and the unit tests. Every string that came from the server is sanitised here.

No UI toolkit, no I/O, no threads.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from mrtimer.core import AuthStatus, RecentTask, Running, TrackerState

from .icons import Badge, Glyph, IconKey, elapsed_text

__all__ = [
    "SEPARATOR",
    "Cmd",
    "Command",
    "Item",
    "MenuContext",
    "Prompt",
    "View",
    "build_menu",
    "build_view",
    "clean",
    "command_at",
    "fmt_hm",
    "menu_from_json",
    "menu_to_json",
    "title_text",
]

APP_NAME = "Meet and Rock Timer"
LABEL_MAX = 60  # characters of a server string in a menu item
TITLE_LABEL_MAX = 40  # ... and in the title (Windows caps tooltips at 127)
WAITING_SHOWN_AFTER = 10.0  # seconds a queued action may wait before the menu says so

# Bidi controls (embeddings, overrides, isolates, marks): they can reorder what the
# user reads ("Trojan Source"). Other format characters go too, but ZWJ stays for emoji.
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEEP_FORMAT = {"\u200d"}


def clean(text: object, limit: int = LABEL_MAX) -> str:
    """One line of plain text for a menu or title: control, format and bidi characters
    removed, whitespace collapsed, at most ``limit`` characters (with an ellipsis)."""
    out: list[str] = []
    for ch in str(text):
        if ch in _BIDI:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp") or ch.isspace():
            out.append(" ")
        elif (cat == "Cf" and ch not in _KEEP_FORMAT) or cat in ("Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    line = " ".join("".join(out).split())
    if len(line) > limit:
        line = line[: max(1, limit - 1)].rstrip() + "…"
    return line


def fmt_hm(seconds: float) -> str:
    total = int(max(0.0, seconds)) // 60
    return f"{total // 60}:{total % 60:02d}"


class Cmd(StrEnum):
    STOP = "stop"
    DISCARD = "discard"
    START = "start"
    RESUME_LAST = "resume_last"
    NEW_TIMER = "new_timer"
    RETRY_NOW = "retry_now"
    RETRY_FAILED = "retry_failed"
    DISMISS_FAILED = "dismiss_failed"
    CLEAR_NOTICES = "clear_notices"
    WEEKLY_REPORT = "weekly_report"
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    USE_SANDBOX = "use_sandbox"
    SETTINGS = "settings"
    OPEN_LOGS = "open_logs"
    PROMPT = "prompt"  # answer a desktop-integration prompt (prompt_id, key)
    QUIT = "quit"


@dataclass(frozen=True)
class Command:
    kind: Cmd
    task_id: str | None = None
    description: str | None = None
    label: str | None = None
    project_id: str | None = None
    timer_id: str | None = None
    action_id: int | None = None
    prompt_id: str | None = None
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None} | {
            "kind": self.kind.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Command:
        fields = {k: data.get(k) for k in ("task_id", "description", "label", "project_id",
                                            "timer_id", "action_id", "prompt_id", "key")}
        return cls(Cmd(data["kind"]), **fields)


@dataclass(frozen=True)
class Item:
    """One menu entry. Without a command and a submenu it is information (shown
    disabled); ``role`` hints the style: header, section, info, separator."""

    text: str
    command: Command | None = None
    enabled: bool = True
    checked: bool | None = None
    submenu: tuple[Item, ...] = ()
    role: str = ""

    @property
    def active(self) -> bool:
        """Whether clicking it does something (or opens a submenu)."""
        return self.enabled and (self.command is not None or bool(self.submenu)
                                 or self.checked is not None)

    @property
    def separator(self) -> bool:
        return self.role == "separator"


SEPARATOR = Item("", role="separator")


@dataclass(frozen=True)
class Prompt:
    """A question from desktop integration (away, reminder...), answered in the menu."""

    id: str
    title: str
    text: str
    actions: tuple[tuple[str, str], ...]  # (key, label)


@dataclass(frozen=True)
class MenuContext:
    sandbox: bool = False
    key_from_env: bool = False
    reports: bool = True  # the report module is there
    recent_limit: int = 10
    tz: tzinfo | None = None
    # from desktop integration, when it runs:
    prompts: tuple[Prompt, ...] = ()
    notes: tuple[str, ...] = ()  # what is off or broken (hotkeys on Wayland...)
    pomodoro: str | None = None  # "Pomodoro: work, 12 min left"


@dataclass(frozen=True)
class View:
    icon: IconKey
    title: str
    menu: tuple[Item, ...] = field(default=())


# -- pieces -----------------------------------------------------------------------------


def _describe(title: str | None, description: str | None, task_id: str | None) -> str:
    title = (title or "").strip() or None
    description = (description or "").strip() or None
    if title and description and description.casefold() != title.casefold():
        return f"{title} — {description}"
    return title or description or task_id or "(no description)"


def running_label(r: Running, limit: int = LABEL_MAX) -> str:
    return clean(_describe(r.task_title, r.description, r.task_id), limit)


def recent_label(r: RecentTask, limit: int = LABEL_MAX) -> str:
    return clean(_describe(r.title, r.description, r.task_id), limit)


def _is_running(r: RecentTask, running: Running | None) -> bool:
    if running is None:
        return False
    desc = (running.description or "").strip() or None
    return (running.task_id, desc) == (r.task_id, r.description)


def _needs_sign_in(state: TrackerState, ctx: MenuContext) -> bool:
    return not ctx.sandbox and state.auth in (AuthStatus.NO_KEY, AuthStatus.NEEDS_SIGN_IN)


def waiting_shown(state: TrackerState, now: datetime) -> bool:
    """Queued actions worth telling about: offline, or one waiting for a while."""
    if not state.pending:
        return False
    if state.online is False:
        return True
    stamp = now.timestamp()
    return any(stamp - a.created_at >= WAITING_SHOWN_AFTER for a in state.pending)


def icon_key(state: TrackerState, now: datetime, ctx: MenuContext) -> IconKey:
    if _needs_sign_in(state, ctx):
        return IconKey(Glyph.SIGNIN)
    badge = Badge.NONE
    if state.failed:
        badge = Badge.ERROR
    elif state.online is False or waiting_shown(state, now):
        badge = Badge.OFFLINE
    if state.running is not None:
        return IconKey(Glyph.RUNNING, badge, elapsed_text(state.running.elapsed(now)))
    return IconKey(Glyph.IDLE, badge)


def title_text(state: TrackerState, now: datetime, ctx: MenuContext) -> str:
    """``Fix login bug · 1:23`` or ``Not tracking · today 3:10``, plus what's wrong."""
    r = state.running
    if _needs_sign_in(state, ctx):
        main = (f"{APP_NAME} · API key refused: sign in" if state.auth is AuthStatus.NEEDS_SIGN_IN
                else f"{APP_NAME} · not signed in")
        if r is not None:
            main += f" · {running_label(r, TITLE_LABEL_MAX)} · {fmt_hm(r.elapsed(now))}"
    elif r is not None:
        main = f"{running_label(r, TITLE_LABEL_MAX)} · {fmt_hm(r.elapsed(now))}"
    else:
        main = f"Not tracking · today {fmt_hm(state.today_seconds(now, ctx.tz))}"
    extra: list[str] = []
    if state.pending and (state.online is False or waiting_shown(state, now)):
        extra.append(f"offline, {len(state.pending)} waiting" if state.online is False
                     else f"{len(state.pending)} waiting to sync")
    if state.failed:
        extra.append(f"{len(state.failed)} failed")
    if ctx.sandbox:
        extra.append("Sandbox")
    return " · ".join([main, *extra])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def build_menu(state: TrackerState, now: datetime, ctx: MenuContext) -> tuple[Item, ...]:
    items: list[Item] = []
    add = items.append
    r = state.running
    if ctx.sandbox:
        add(Item("Sandbox — local demo server", role="info"))
    if r is not None:
        waiting = " (waiting to sync)" if r.pending else ""
        add(Item(f"{running_label(r)} · {fmt_hm(r.elapsed(now))}{waiting}", role="header"))
    else:
        add(Item("Not tracking", role="header"))
    if not ctx.sandbox and state.auth is AuthStatus.NEEDS_SIGN_IN:
        add(Item("The API key was refused: sign in again", role="info"))
    elif not ctx.sandbox and state.auth is AuthStatus.NO_KEY:
        add(Item("Not signed in", role="info"))
    for prompt in ctx.prompts:
        add(SEPARATOR)
        add(Item(clean(prompt.title, 60), role="section"))
        if prompt.text:
            add(Item(clean(prompt.text, 70), role="info"))
        for key, label in prompt.actions:
            add(Item(clean(label, 50), Command(Cmd.PROMPT, prompt_id=prompt.id, key=key)))
    add(SEPARATOR)
    add(Item("Stop", Command(Cmd.STOP), enabled=r is not None))
    can_discard = r is not None and r.id is not None
    add(Item("Discard running timer…",
             Command(Cmd.DISCARD, timer_id=r.id, label=running_label(r)) if r and r.id else None,
             enabled=can_discard))
    add(SEPARATOR)
    add(Item("Recent tasks", role="section"))
    recent = state.recent[: ctx.recent_limit]
    for task in recent:
        label = recent_label(task)
        if _is_running(task, r):
            add(Item(label, None, checked=True))
        else:
            add(Item(label, Command(Cmd.START, task_id=task.task_id,
                                    description=task.description, label=label,
                                    project_id=task.project_id)))
    if not recent:
        add(Item("No recent tasks yet", role="info"))
    if recent:
        add(Item(f"Resume last timer: {recent_label(recent[0], 40)}", Command(Cmd.RESUME_LAST),
                 enabled=r is None))
    add(Item("New timer…", Command(Cmd.NEW_TIMER)))
    add(SEPARATOR)
    add(Item(f"Today {fmt_hm(state.today_seconds(now, ctx.tz))}", role="info"))
    add(Item(f"This week {fmt_hm(state.week_seconds(now, ctx.tz))}", role="info"))
    if ctx.pomodoro:
        add(Item(clean(ctx.pomodoro, 60), role="info"))
    problems: list[Item] = []
    if waiting_shown(state, now):
        n = len(state.pending)
        why = "(offline)" if state.online is False else "to sync"
        problems.append(Item(f"{_plural(n, 'change')} waiting {why}", role="info"))
        if state.last_error and state.online is False:
            problems.append(Item(clean(state.last_error, 70), role="info"))
        problems.append(Item("Retry now", Command(Cmd.RETRY_NOW)))
    for action in state.failed:
        message = clean(action.last_error or "refused by the server", 70)
        problems.append(Item(f"Failed: {clean(action.summary(), 40)}", submenu=(
            Item(message, role="info"),
            Item("Retry", Command(Cmd.RETRY_FAILED, action_id=action.id)),
            Item("Dismiss", Command(Cmd.DISMISS_FAILED, action_id=action.id)),
        )))
    if state.notices:
        for note in state.notices[-3:]:
            problems.append(Item(clean(note, 70), role="info"))
        problems.append(Item("Clear notes", Command(Cmd.CLEAR_NOTICES)))
    for note in ctx.notes[:4]:
        problems.append(Item(clean(note, 90), role="info"))
    if problems:
        add(SEPARATOR)
        items.extend(problems)
    add(SEPARATOR)
    if ctx.reports:
        add(Item("Weekly report", Command(Cmd.WEEKLY_REPORT),
                 enabled=ctx.sandbox or state.auth not in (AuthStatus.NO_KEY,
                                                           AuthStatus.NEEDS_SIGN_IN)))
    if ctx.sandbox or state.auth in (AuthStatus.NO_KEY, AuthStatus.NEEDS_SIGN_IN):
        add(Item("Sign in…", Command(Cmd.SIGN_IN)))
    if not ctx.sandbox and state.auth is not AuthStatus.NO_KEY:
        if ctx.key_from_env:
            add(Item("Signed in with MRTIMER_API_KEY", role="info"))
        else:
            add(Item("Sign out", Command(Cmd.SIGN_OUT)))
    if not ctx.sandbox and state.auth is AuthStatus.NO_KEY:
        add(Item("Use local sandbox", Command(Cmd.USE_SANDBOX)))
    add(Item("Settings…", Command(Cmd.SETTINGS)))
    add(Item("Open log folder", Command(Cmd.OPEN_LOGS)))
    add(SEPARATOR)
    add(Item("Quit", Command(Cmd.QUIT)))
    return tuple(items)


def build_view(state: TrackerState, now: datetime, ctx: MenuContext) -> View:
    return View(icon_key(state, now, ctx), title_text(state, now, ctx),
                build_menu(state, now, ctx))


# -- the model as JSON (the popup menu child process, the test probe) -------------------


def menu_to_json(items: Iterable[Item], prefix: str = "") -> list[dict[str, Any]]:
    """Entries with a path id (``"7"``, ``"12.1"``) that :func:`command_at` resolves."""
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        ident = f"{prefix}{i}"
        entry: dict[str, Any] = {"id": ident, "text": item.text, "role": item.role,
                                 "enabled": item.enabled, "active": item.active}
        if item.checked is not None:
            entry["checked"] = item.checked
        if item.command is not None:
            entry["command"] = item.command.kind.value
        if item.submenu:
            entry["submenu"] = menu_to_json(item.submenu, ident + ".")
        out.append(entry)
    return out


def menu_from_json(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate what a child process got: a list of entries with text and id."""
    out: list[dict[str, Any]] = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ValueError("menu entry without an id")
        sub = entry.get("submenu")
        if sub is not None:
            entry = {**entry, "submenu": menu_from_json(sub)}
        out.append({**entry, "text": clean(entry.get("text", ""), 120)})
    return out


def _walk(items: tuple[Item, ...], prefix: str = "") -> Iterator[tuple[str, Item]]:
    for i, item in enumerate(items):
        ident = f"{prefix}{i}"
        yield ident, item
        if item.submenu:
            yield from _walk(item.submenu, ident + ".")


def command_at(items: tuple[Item, ...], ident: str) -> Command | None:
    """The command of the entry with path id ``ident`` (None when disabled/absent)."""
    for key, item in _walk(items):
        if key == ident:
            return item.command if item.enabled else None
    return None

"""The tracking engine: queues actions durably, sends them in order, keeps the state.

Two kinds of callers:
- the UI side (tray menu, hotkey, CLI) calls :meth:`Tracker.start`, :meth:`stop`,
  :meth:`delete`: these only write the outbox and publish the optimistic state, so they
  return at once whatever the network does;
- the network side (the tray's worker thread, or the CLI in the foreground) calls
  :meth:`Tracker.sync`, which sends waiting actions and refreshes the week.

The published :class:`TrackerState` is immutable; observers get each new one.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import filelock

from mrtimer.api import (
    AmbiguousError,
    ApiClient,
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    ConnectError,
    DecodeError,
    HttpStatusError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    Timer,
    decode_timer,
    encode_timer,
)

from .clock import Clock
from .outbox import Action, Outbox
from .state import AuthStatus, Snapshot, TrackerState, derive_state, find_running

__all__ = ["Refused", "SyncOutcome", "Tracker"]

log = logging.getLogger("mrtimer.core")

Observer = Callable[[TrackerState], None]

LATE_NOTICE_AFTER = 60.0  # seconds: below this a queued action isn't "late"
MAX_BACKOFF = 300.0


class Refused(Exception):
    """The server refused an action for good (shown to the user, kept as failed)."""


@dataclass
class SyncOutcome:
    sent: list[tuple[Action, Timer | None]] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    error: ApiError | None = None  # what stopped the queue (offline, auth, ...)
    gone: list[Action] = field(default_factory=list)  # first try found the timer missing
    busy: bool = False  # another process holds the sync lock
    refreshed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.busy


def _norm(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


class Tracker:
    def __init__(
        self,
        client: ApiClient,
        outbox: Outbox,
        clock: Clock,
        sync_lock: filelock.BaseFileLock,
        *,
        has_key: Callable[[], bool] = lambda: True,
        poll_interval: float = 60.0,
        recent_count: int = 10,
        tz: tzinfo | None = None,
        sandbox: bool = False,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.clock = clock
        self.tz = tz
        self.poll_interval = poll_interval
        self.recent_count = recent_count
        self._sync_lock = sync_lock
        self._has_key = has_key
        self._rng = rng
        self._sandbox = sandbox
        self._lock = threading.RLock()  # guards the fields below; never held over I/O
        self._observers: list[Observer] = []
        self._snapshot = Snapshot()
        self._auth = AuthStatus.UNKNOWN if has_key() else AuthStatus.NO_KEY
        self._online: bool | None = None
        self._last_error: str | None = None
        self._notices: tuple[str, ...] = ()
        self._failures = 0
        self._retry_at = 0.0  # monotonic
        self._refresh_due = 0.0  # monotonic
        self._need_last_week = True  # read last week's list on the next refresh
        self._state = TrackerState()
        self._load_snapshot()
        self._publish()

    # -- state and observers -------------------------------------------------------

    @property
    def state(self) -> TrackerState:
        with self._lock:
            return self._state

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        with self._lock:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._lock:
                if observer in self._observers:
                    self._observers.remove(observer)

        return unsubscribe

    def server_now(self) -> datetime:
        """Local clock corrected by the server's clock offset."""
        return self.clock.now() + self.client.clock_offset.estimate()

    def _publish(self) -> None:
        with self._lock:
            state = derive_state(
                self._snapshot,
                self.outbox.open_actions(),
                self.outbox.failed(),
                recent_count=self.recent_count,
                auth=self._auth,
                online=self._online,
                last_sync=self._snapshot.fetched_at,
                last_error=self._last_error,
                notices=self._notices,
                sandbox=self._sandbox,
            )
            self._state = state
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(state)
            except Exception:  # an observer's bug must not stop the engine
                log.exception("state observer failed")

    def _notice(self, text: str) -> None:
        with self._lock:
            self._notices = (*self._notices, text)[-5:]

    def clear_notices(self) -> None:
        with self._lock:
            self._notices = ()
        self._publish()

    # -- UI side: fast, no network ---------------------------------------------------

    def _queue(self, kind: Any, payload: dict[str, Any]) -> Action:
        action = self.outbox.add(kind, payload, self.server_now().timestamp())
        log.info("queued action %d: %s", action.id, action.summary())
        with self._lock:
            self._retry_at = 0.0  # the user acted: try the network now
        self._publish()
        return action

    def start(
        self,
        task_id: str | None = None,
        description: str | None = None,
        parent_id: str | None = None,
        *,
        switch: bool = True,
        label: str | None = None,
        project_id: str | None = None,
    ) -> Action:
        payload: dict[str, Any] = {
            "task_id": _norm(task_id),
            "description": _norm(description),
            "parent_id": _norm(parent_id),
            "switch": switch,
        }
        if label:
            payload["label"] = label
        if project_id:
            payload["project_id"] = project_id
        return self._queue("start", payload)

    def resume_last(self) -> Action | None:
        recent = self.state.recent
        if not recent:
            return None
        last = recent[0]
        return self.start(parent_id=last.last_timer_id, label=last.label,
                          description=last.description, task_id=last.task_id)

    def stop(self) -> Action | None:
        running = self.state.running
        if running is None:
            return None
        return self._queue("stop", {"timer_id": running.id, "label": running.label})

    def toggle(self) -> Action | None:
        """Stop the running timer, else resume the most recent task."""
        if self.state.running is not None:
            return self.stop()
        return self.resume_last()

    def delete(self, timer_id: str, label: str | None = None) -> Action:
        if not timer_id or not timer_id.strip():
            raise ValueError("a timer id is required")
        return self._queue("delete", {"timer_id": timer_id, "label": label})

    def dismiss(self, action_id: int) -> bool:
        done = self.outbox.dismiss(action_id, self.clock.now().timestamp())
        self._publish()
        return done

    def retry_failed(self, action_id: int) -> bool:
        done = self.outbox.retry(action_id, self.clock.now().timestamp())
        self._publish()
        return done

    def request_refresh(self, full: bool = False) -> None:
        """Refresh at the next sync; ``full`` re-reads last week too (after a wake from
        sleep, at start-up, on the user's "Refresh")."""
        with self._lock:
            self._refresh_due = 0.0
            self._retry_at = 0.0
            if full:
                self._need_last_week = True

    def key_changed(self) -> None:
        with self._lock:
            self._auth = AuthStatus.UNKNOWN if self._has_key() else AuthStatus.NO_KEY
            self._retry_at = self._refresh_due = 0.0
            self._need_last_week = True
            self._failures = 0
        self._publish()

    # -- scheduling -------------------------------------------------------------------

    def seconds_until_due(self) -> float:
        """How long the worker may sleep before :meth:`sync` has something to do."""
        with self._lock:
            if self._auth in (AuthStatus.NO_KEY, AuthStatus.NEEDS_SIGN_IN):
                return 3600.0
            now = self.clock.monotonic()
            due = self._refresh_due
            if self._state.pending:
                due = min(due, self._retry_at)
            if self._failures:
                due = max(due, self._retry_at)
            return max(0.0, due - now)

    # -- network side ---------------------------------------------------------------------

    def sync(self, *, force: bool = False, lock_timeout: float = 0.0,
             refresh: bool | None = None) -> SyncOutcome:
        """Send waiting actions in order, then refresh the week when due.

        ``force`` ignores the backoff (a user's "Retry now" or a CLI command).
        """
        outcome = SyncOutcome()
        with self._lock:
            if self._auth in (AuthStatus.NO_KEY, AuthStatus.NEEDS_SIGN_IN) and not force:
                return outcome
            if not self._has_key():
                self._auth = AuthStatus.NO_KEY
                outcome.error = AuthError(401, "no API key configured", "sync")
            now = self.clock.monotonic()
            backing_off = self._failures > 0 and now < self._retry_at and not force
        if outcome.error is not None:
            self._publish()
            return outcome
        if backing_off:
            return outcome
        try:
            self._sync_lock.acquire(timeout=lock_timeout)
        except filelock.Timeout:
            outcome.busy = True
            return outcome
        try:
            self._drain(outcome)
            want_refresh = refresh if refresh is not None else (
                outcome.error is None
                and (force or self.clock.monotonic() >= self._refresh_due)
            )
            if want_refresh and outcome.error is None:
                self._refresh(outcome)
        finally:
            self._sync_lock.release()
        self._publish()
        return outcome

    def _drain(self, outcome: SyncOutcome) -> None:
        self.outbox.recover_interrupted()
        for action in self.outbox.open_actions():
            now = self.clock.now().timestamp()
            self.outbox.mark_sending(action, now)
            try:
                timer = self._send(action, outcome)
            except Refused as exc:
                self.outbox.mark_failed(action, now, str(exc))
                outcome.failed.append((action, str(exc)))
                log.warning("action %d refused: %s", action.id, exc)
                continue
            except AuthError as exc:
                self.outbox.mark_pending(action, now, exc.message, ambiguous=False)
                self._went_wrong(exc, auth=True)
                outcome.error = exc
                return
            except (ConnectError, AmbiguousError, ServerError, RateLimitedError,
                    DecodeError) as exc:
                # Anything that may have reached the server is reconciled before a resend.
                ambiguous = not isinstance(exc, ConnectError | RateLimitedError)
                self.outbox.mark_pending(action, now, str(exc), ambiguous=ambiguous)
                self._went_wrong(exc)
                outcome.error = exc
                return
            except HttpStatusError as exc:
                msg = exc.message or str(exc)
                self.outbox.mark_failed(action, now, msg)
                outcome.failed.append((action, msg))
                log.warning("action %d failed: %s", action.id, msg)
                continue
            late = self._lateness(action, timer)
            self.outbox.mark_done(action, now, timer.id if timer else None, late)
            outcome.sent.append((action, timer))
            self._went_right()
            with self._lock:  # the answer is fresh confirmed state: no extra poll now
                self._refresh_due = self.clock.monotonic() + self.poll_interval
            log.info("action %d sent (%s)", action.id, action.summary())
        self.outbox.prune(self.clock.now().timestamp() - 14 * 86400)

    def _lateness(self, action: Action, timer: Timer | None) -> float | None:
        if timer is None:
            return None
        stamp = timer.start if action.kind == "start" else timer.end
        if stamp is None:
            return None
        late = stamp.timestamp() - action.created_at
        if late >= LATE_NOTICE_AFTER:
            what = "started" if action.kind == "start" else "stopped"
            self._notice(
                f"'{timer.description or action.payload.get('label') or 'timer'}' was {what} "
                f"{_human(late)} later than asked: it was queued while offline"
            )
        return late

    def _went_wrong(self, exc: ApiError, auth: bool = False) -> None:
        with self._lock:
            if auth:
                self._auth = AuthStatus.NEEDS_SIGN_IN
                self._last_error = "the API key was refused: sign in again"
                return
            self._failures += 1
            self._online = False
            self._last_error = str(exc)
            delay = min(MAX_BACKOFF, 2.0 ** min(self._failures - 1, 9))
            delay *= 0.5 + self._rng() / 2  # jitter
            if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            self._retry_at = self.clock.monotonic() + delay
            self._refresh_due = max(self._refresh_due, self._retry_at)
            log.warning("network problem (%s); next try in %.0f s", exc, delay)

    def _went_right(self) -> None:
        with self._lock:
            self._failures = 0
            self._online = True
            self._auth = AuthStatus.OK
            self._last_error = None
            self._retry_at = 0.0

    # -- sending one action ----------------------------------------------------------------

    def _send(self, action: Action, outcome: SyncOutcome) -> Timer | None:
        if action.kind == "start":
            return self._send_start(action)
        if action.kind == "stop":
            return self._send_stop(action)
        if action.kind == "delete":
            if not action.timer_id:
                raise Refused("no timer id to delete")
            try:
                self.client.delete(action.timer_id)
            except NotFoundError:
                log.info("timer to delete was already gone: counted as done")
                if not action.ambiguous:
                    outcome.gone.append(action)
            self._apply_removed(action.timer_id)
            return None
        raise Refused(f"unknown action {action.kind!r}")

    def _confirmed_running(self) -> tuple[Timer, str] | None:
        with self._lock:
            return find_running(self._snapshot.roots())

    def _matches(self, timer: Timer, action: Action, root_id: str | None) -> bool:
        if action.parent_id:
            if action.parent_id in (timer.id, timer.parent_id, root_id):
                return True
            return False
        return (_norm(timer.task_id), _norm(timer.description)) == (
            action.task_id, action.description)

    def _find_after(self, action: Action, roots: list[Timer]) -> Timer | None:
        """A timer this action created, if an earlier attempt did reach the server."""
        margin = 120.0 + abs(self.client.clock_offset.seconds)
        candidates: list[Timer] = []
        for root in roots:
            for t in root.walk():
                if t.start.timestamp() >= action.created_at - margin and \
                        self._matches(t, action, root.id):
                    candidates.append(t)
        if not candidates:
            return None
        candidates.sort(key=lambda t: (not t.running, -t.start.timestamp()))
        return candidates[0]

    def _send_start(self, action: Action) -> Timer | None:
        if action.ambiguous:
            roots = self._refresh_weeks(both=True)
            adopted = self._find_after(action, roots)
            if adopted is not None:
                log.info("action %d: adopted timer from an earlier attempt", action.id)
                return adopted
        if action.switch:
            running = self._confirmed_running()
            if running is not None:
                timer, root_id = running
                if self._matches(timer, action, root_id):
                    return timer
                self._stop_timer(timer.id)
        for _attempt in range(2):
            try:
                timer = self.client.play(action.task_id, action.description, action.parent_id)
            except ConflictError:
                roots = self._refresh_weeks(both=True)
                found = find_running(roots)
                if found is None:
                    continue  # stopped in between: try once more
                other, root_id = found
                if self._matches(other, action, root_id):
                    log.info("action %d: adopted the running timer", action.id)
                    return other
                if not action.switch:
                    label = other.task_title or other.description or other.id
                    raise Refused(f"another timer is running: '{label}'") from None
                self._stop_timer(other.id)
                continue
            except NotFoundError as exc:
                raise Refused(f"cannot resume: {exc.message}") from None
            self._apply_started(timer, action.parent_id)
            return timer
        raise Refused("another timer kept running: try again")

    def _send_stop(self, action: Action) -> Timer | None:
        timer_id = action.timer_id
        if not timer_id:
            running = self._confirmed_running()
            if running is None:
                running = find_running(self._refresh_weeks(both=False))
            if running is None:
                return None  # nothing runs: nothing to stop
            timer_id = running[0].id
        return self._stop_timer(timer_id)

    def _stop_timer(self, timer_id: str) -> Timer | None:
        try:
            timer = self.client.stop(timer_id)
        except NotFoundError:
            log.info("timer to stop is gone: counted as done")
            self._apply_removed(timer_id)
            return None
        except (ConflictError, BadRequestError):
            log.info("timer to stop was already stopped: counted as done")
            with self._lock:
                known = {t.id: t for t in self._snapshot.all_timers()}
            old = known.get(timer_id)
            if old is not None and old.running:
                self._apply_replaced(replace(old, end=self.server_now()))
            return None
        self._apply_replaced(timer)
        return timer

    # -- the snapshot: only the syncing thread writes it -----------------------------------

    def _set_snapshot(self, snap: Snapshot) -> None:
        with self._lock:
            self._snapshot = snap
        body = json.dumps({
            "this_week": [encode_timer(t) for t in snap.this_week],
            "last_week": [encode_timer(t) for t in snap.last_week],
            "week_of": snap.week_of.isoformat() if snap.week_of else None,
        })
        self.outbox.save_snapshot(body, (snap.fetched_at or self.clock.now()).timestamp())

    def _load_snapshot(self) -> None:
        saved = self.outbox.load_snapshot()
        if saved is None:
            return
        try:
            body = json.loads(saved[0])
            self._snapshot = Snapshot(
                tuple(decode_timer(t) for t in body["this_week"]),
                tuple(decode_timer(t) for t in body["last_week"]),
                datetime.fromtimestamp(saved[1], UTC),
            )
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable saved snapshot")

    def _apply_started(self, timer: Timer, parent_id: str | None) -> None:
        with self._lock:
            snap = self._snapshot
        roots = list(snap.this_week)
        placed = False
        if parent_id:
            for i, root in enumerate(roots):
                if parent_id == root.id or any(c.id == parent_id for c in root.children):
                    timer = replace(timer, parent_id=root.id)
                    roots[i] = replace(root, children=(*root.children, timer))
                    placed = True
                    break
        if not placed:
            roots.append(timer)
        self._set_snapshot(replace(snap, this_week=tuple(roots)))

    def _apply_replaced(self, timer: Timer) -> None:
        with self._lock:
            snap = self._snapshot

        def fix(root: Timer) -> Timer:
            if root.id == timer.id:
                return replace(timer, children=root.children, parent_id=root.parent_id,
                               task_title=timer.task_title or root.task_title)
            kids = tuple(fix(c) for c in root.children)
            return replace(root, children=kids) if kids != root.children else root

        self._set_snapshot(replace(snap, this_week=tuple(fix(r) for r in snap.this_week),
                                   last_week=tuple(fix(r) for r in snap.last_week)))

    def _apply_removed(self, timer_id: str) -> None:
        with self._lock:
            snap = self._snapshot

        def keep(roots: tuple[Timer, ...]) -> tuple[Timer, ...]:
            return tuple(
                replace(r, children=tuple(c for c in r.children if c.id != timer_id))
                for r in roots if r.id != timer_id
            )

        self._set_snapshot(replace(snap, this_week=keep(snap.this_week),
                                   last_week=keep(snap.last_week)))

    def _refresh_weeks(self, both: bool) -> list[Timer]:
        """List this week (and last week when asked or due); store and return roots."""
        now = self.server_now()
        today = now.astimezone(self.tz).date() if self.tz else now.astimezone().date()
        this_week = self.client.list_week(today)
        with self._lock:
            snap = self._snapshot
            # Last week changes rarely: it is read at start-up, on a new week, after a
            # wake or a manual refresh, for a 409 this week can't explain, and when a
            # timer we saw running is no longer running this week.
            need_last = (
                both
                or self._need_last_week
                or snap.week_of is None
                or snap.week_of - timedelta(days=snap.week_of.weekday())
                != today - timedelta(days=today.weekday())
                or (find_running(this_week) is None
                    and find_running(snap.roots()) is not None)
            )
        last_week = snap.last_week
        if need_last:
            last_week = tuple(self.client.list_week(today - timedelta(days=7)))
            with self._lock:
                self._need_last_week = False
        self._set_snapshot(Snapshot(tuple(this_week), tuple(last_week), self.clock.now(), today))
        return [*last_week, *this_week]

    def _refresh(self, outcome: SyncOutcome) -> None:
        try:
            self._refresh_weeks(both=False)
        except AuthError as exc:
            self._went_wrong(exc, auth=True)
            outcome.error = exc
            return
        except ApiError as exc:
            self._went_wrong(exc)
            outcome.error = exc
            return
        self._went_right()
        outcome.refreshed = True
        with self._lock:
            self._refresh_due = self.clock.monotonic() + self.poll_interval


def _human(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(1, minutes)} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"

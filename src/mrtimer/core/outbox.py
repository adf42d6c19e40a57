"""The durable outbox: every action is on disk (SQLite, WAL) before its first request.

Rows move ``pending`` -> ``sending`` (persisted before the request goes out) ->
``done`` | ``failed`` | back to ``pending``. A row found in ``sending`` by the next
process to hold the sync lock was interrupted mid-request: it is marked
``ambiguous`` so that a ``play`` is reconciled against the server's list before it is
ever posted again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Action", "ActionKind", "Outbox"]

ActionKind = Literal["start", "stop", "delete"]

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    ambiguous INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result_id TEXT,
    late_seconds REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_open ON actions(origin, status, id);
CREATE TABLE IF NOT EXISTS snapshot (
    origin TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Action:
    id: int
    kind: ActionKind
    payload: dict[str, Any] = field(hash=False)
    created_at: float  # server-corrected epoch seconds when the user asked
    status: str = "pending"
    attempts: int = 0
    ambiguous: bool = False
    last_error: str | None = None
    result_id: str | None = None
    late_seconds: float | None = None

    @property
    def task_id(self) -> str | None:
        return self.payload.get("task_id")

    @property
    def description(self) -> str | None:
        return self.payload.get("description")

    @property
    def parent_id(self) -> str | None:
        return self.payload.get("parent_id")

    @property
    def timer_id(self) -> str | None:
        return self.payload.get("timer_id")

    @property
    def switch(self) -> bool:
        return bool(self.payload.get("switch"))

    def summary(self) -> str:
        if self.kind == "start":
            what = self.payload.get("label") or self.description or self.task_id
            if self.parent_id and not what:
                what = "last timer"
            return f"start {what or 'a timer'}"
        if self.kind == "stop":
            return "stop timer"
        return f"delete timer {self.payload.get('label') or self.timer_id}"


class Outbox:
    """Thread-safe; several processes may open the same file (SQLite locking)."""

    def __init__(self, path: Path | str, origin: str) -> None:
        self.origin = origin
        self._lock = threading.Lock()
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=10)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, kind: ActionKind, payload: dict[str, Any], created_at: float) -> Action:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO actions (origin, kind, payload, created_at, updated_at) "
                "VALUES (?,?,?,?,?)",
                (self.origin, kind, json.dumps(payload), created_at, created_at),
            )
            row_id = cur.lastrowid
            assert row_id is not None
        return Action(row_id, kind, payload, created_at)

    def _rows(self, where: str, args: tuple[Any, ...] = ()) -> list[Action]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM actions WHERE origin=? AND {where} ORDER BY id",
                (self.origin, *args),
            ).fetchall()
        return [_action(r) for r in rows]

    def open_actions(self) -> list[Action]:
        """Waiting (pending or interrupted) actions, in order."""
        return self._rows("status IN ('pending', 'sending')")

    def failed(self) -> list[Action]:
        return self._rows("status = 'failed'")

    def get(self, action_id: int) -> Action | None:
        rows = self._rows("id = ?", (action_id,))
        return rows[0] if rows else None

    def recover_interrupted(self) -> int:
        """Call while holding the sync lock: 'sending' rows were cut off mid-request."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE actions SET status='pending', ambiguous=1 "
                "WHERE origin=? AND status='sending'", (self.origin,))
            return cur.rowcount

    def _set(self, action_id: int, now: float, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        with self._lock:
            self._db.execute(f"UPDATE actions SET {cols}, updated_at=? WHERE id=?",
                             (*values.values(), now, action_id))

    def mark_sending(self, action: Action, now: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE actions SET status='sending', attempts=attempts+1, updated_at=? "
                "WHERE id=?", (now, action.id))

    def mark_pending(self, action: Action, now: float, error: str, ambiguous: bool) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE actions SET status='pending', last_error=?, "
                "ambiguous=MAX(ambiguous, ?), updated_at=? WHERE id=?",
                (error, int(ambiguous), now, action.id))

    def mark_done(self, action: Action, now: float, result_id: str | None,
                  late_seconds: float | None) -> None:
        self._set(action.id, now, status="done", result_id=result_id,
                  late_seconds=late_seconds, last_error=None)

    def mark_failed(self, action: Action, now: float, error: str) -> None:
        self._set(action.id, now, status="failed", last_error=error)

    def dismiss(self, action_id: int, now: float) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE actions SET status='dismissed', updated_at=? "
                "WHERE id=? AND origin=? AND status IN ('failed', 'pending')",
                (now, action_id, self.origin))
            return cur.rowcount > 0

    def retry(self, action_id: int, now: float) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE actions SET status='pending', updated_at=? "
                "WHERE id=? AND origin=? AND status='failed'", (now, action_id, self.origin))
            return cur.rowcount > 0

    def prune(self, older_than: float) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM actions WHERE status IN ('done', 'dismissed') AND updated_at < ?",
                (older_than,))

    # -- last known server state, so a start shows something before the network ----

    def save_snapshot(self, body: str, fetched_at: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO snapshot VALUES (?,?,?) ON CONFLICT(origin) DO UPDATE "
                "SET body=excluded.body, fetched_at=excluded.fetched_at",
                (self.origin, body, fetched_at))

    def load_snapshot(self) -> tuple[str, float] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body, fetched_at FROM snapshot WHERE origin=?", (self.origin,)
            ).fetchone()
        return (row["body"], row["fetched_at"]) if row else None


def _action(row: sqlite3.Row) -> Action:
    return Action(
        id=row["id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
        status=row["status"],
        attempts=row["attempts"],
        ambiguous=bool(row["ambiguous"]),
        last_error=row["last_error"],
        result_id=row["result_id"],
        late_seconds=row["late_seconds"],
    )

"""A local implementation of the Timer Management API: stdlib HTTP server + SQLite.

Semantics follow ``shared/api-contract.md``: the week (Monday-Sunday, UTC) containing
``date``; one running timer per user (409 otherwise); ``parent_id`` resumes into the
root timer's ``children``; stopping a stopped timer is a 409; delete answers 201 with
no body; errors are ``{"message": ...}``. Any non-empty key is accepted (each key is
its own user) unless the server was given one key.

Tests and benchmarks reach in through :class:`Faults` (latency, injected statuses,
dropped connections) and :attr:`SandboxServer.requests` (a request log).
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import ssl
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["Fault", "Faults", "SandboxServer", "DEMO_TASKS"]

Clock = Callable[[], datetime]

DEMO_TASKS: tuple[tuple[str, str, str], ...] = (
    ("9f1c2d7e-0001-4a6b-9a51-2b7c1e0d0001", "Fix login bug", "p-0001"),
    ("9f1c2d7e-0002-4a6b-9a51-2b7c1e0d0002", "Code review", "p-0001"),
    ("9f1c2d7e-0003-4a6b-9a51-2b7c1e0d0003", "Team meeting", "p-0002"),
    ("9f1c2d7e-0004-4a6b-9a51-2b7c1e0d0004", "Write release notes", "p-0002"),
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS timers (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    parent_id TEXT,
    task_id TEXT,
    project_id TEXT,
    description TEXT,
    start_ts REAL NOT NULL,
    end_ts REAL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_user ON timers(user_id, start_ts);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, title TEXT NOT NULL, project_id TEXT);
"""


@dataclass
class Fault:
    """One injected misbehaviour, consumed by the next request matching ``path``.

    kind: ``status`` (answer ``status`` with ``body``/``headers`` without touching the
    data), ``drop_after_commit`` (process the request, then close the connection
    without answering), ``drop_before`` (close without processing), ``delay``
    (sleep ``seconds`` before processing), ``body`` (process, then answer with
    ``body`` instead of the real one).
    """

    kind: str
    method: str | None = None
    path_contains: str | None = None
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return not (self.path_contains and self.path_contains not in path)


class Faults:
    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.latency = 0.0  # seconds added to every request

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self._queue.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if fault.matches(method, path):
                    self._queue.remove(fault)
                    return fault
        return None


class _Error(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _hms(seconds: float) -> str:
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


class _Store:
    def __init__(self, db: str, clock: Clock) -> None:
        self._db = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._clock = clock

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def now(self) -> float:
        return self._clock().timestamp()

    def seed_demo(self, user: str) -> None:
        """Tasks with titles, and a few finished timers last week, for a first look."""
        with self._lock:
            for task_id, title, project in DEMO_TASKS:
                self._db.execute("INSERT OR IGNORE INTO tasks VALUES (?,?,?)",
                                 (task_id, title, project))
            if self._db.execute("SELECT 1 FROM timers WHERE user_id=? LIMIT 1", (user,)).fetchone():
                return
            now = self._clock()
            monday = (now - timedelta(days=now.weekday() + 7)).replace(
                hour=9, minute=0, second=0, microsecond=0)
            for i, (task_id, _title, project) in enumerate(reversed(DEMO_TASKS)):
                start = monday + timedelta(days=i, hours=i)
                self._insert(user, None, task_id, project, None, start.timestamp(),
                             start.timestamp() + 3600 + 600 * i)

    def _insert(self, user: str, parent: str | None, task_id: str | None,
                project: str | None, desc: str | None, start: float,
                end: float | None) -> str:
        timer_id = str(uuid.uuid4())
        seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM timers").fetchone()[0]
        self._db.execute(
            "INSERT INTO timers VALUES (?,?,?,?,?,?,?,?,?)",
            (timer_id, user, parent, task_id, project, desc, start, end, seq),
        )
        return timer_id

    def _title(self, task_id: str | None) -> sqlite3.Row | None:
        if not task_id:
            return None
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
        return row

    def _render(self, row: sqlite3.Row, with_children: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": row["id"],
            "task_id": row["task_id"],
            "description": row["description"],
            "start_date": _iso(row["start_ts"]),
            "end_date": _iso(row["end_ts"]) if row["end_ts"] is not None else None,
            "duration": _hms(row["end_ts"] - row["start_ts"]) if row["end_ts"] is not None
            else None,
            "created_by": row["user_id"],
            "project_id": row["project_id"],
            "children": [],
        }
        task = self._title(row["task_id"])
        if task is not None:
            out["task"] = {"id": task["id"], "title": task["title"]}
        if with_children and row["parent_id"] is None:
            kids = self._db.execute(
                "SELECT * FROM timers WHERE parent_id=? ORDER BY start_ts, seq", (row["id"],))
            out["children"] = [self._render(k, with_children=False) for k in kids]
        return out

    def list_week(self, user: str, day: date) -> list[dict[str, Any]]:
        monday = day - timedelta(days=day.weekday())
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC).timestamp()
        end = start + 7 * 86400
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM timers WHERE user_id=? AND parent_id IS NULL "
                "AND start_ts >= ? AND start_ts < ? ORDER BY start_ts, seq",
                (user, start, end),
            ).fetchall()
            return [self._render(r) for r in rows]

    def play(self, user: str, task_id: str | None, desc: str | None,
             parent_id: str | None) -> dict[str, Any]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                running = self._db.execute(
                    "SELECT 1 FROM timers WHERE user_id=? AND end_ts IS NULL", (user,)).fetchone()
                if running:
                    raise _Error(409, "Active timer already exists")
                project = None
                root_id = None
                if parent_id:
                    parent = self._db.execute(
                        "SELECT * FROM timers WHERE id=? AND user_id=?", (parent_id, user)
                    ).fetchone()
                    if parent is None:
                        raise _Error(404, "Timer not found")
                    root_id = parent["parent_id"] or parent["id"]
                    task_id = task_id or parent["task_id"]
                    desc = desc if desc is not None else parent["description"]
                    project = parent["project_id"]
                task = self._title(task_id)
                if task is not None:
                    project = task["project_id"]
                new_id = self._insert(user, root_id, task_id, project, desc, self.now(), None)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            row = self._db.execute("SELECT * FROM timers WHERE id=?", (new_id,)).fetchone()
            return self._render(row)

    def stop(self, user: str, timer_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM timers WHERE id=? AND user_id=?", (timer_id, user)).fetchone()
            if row is None:
                raise _Error(404, "Timer not found")
            if row["end_ts"] is not None:
                raise _Error(409, "Timer is not running")
            self._db.execute("UPDATE timers SET end_ts=? WHERE id=?", (self.now(), timer_id))
            row = self._db.execute("SELECT * FROM timers WHERE id=?", (timer_id,)).fetchone()
            return self._render(row)

    def delete(self, user: str, timer_id: str) -> None:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM timers WHERE id=? AND user_id=?", (timer_id, user)).fetchone()
            if row is None:
                raise _Error(404, "Timer not found")
            self._db.execute("DELETE FROM timers WHERE id=? OR parent_id=?", (timer_id, timer_id))


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the request log lives in SandboxServer.requests

    def date_time_string(self, timestamp: float | None = None) -> str:
        return format_datetime(self.server.sandbox.clock(), usegmt=True)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        if body or status not in (201, 204):
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data).encode())

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method: str) -> None:
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        raw_path = split.path
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        sandbox._log(method, raw_path, self.headers.get("Authorization"))
        faults = sandbox.faults
        if faults.latency:
            sandbox.closing.wait(faults.latency)  # each request waits its own full latency
        fault = faults.take(method, raw_path)
        if fault and fault.kind == "delay":
            sandbox.delay_gate.wait(fault.seconds)
        if fault and fault.kind == "drop_before":
            self._drop()
            return
        if fault and fault.kind == "status":
            ctype = "text/html" if fault.body.lstrip()[:1] == b"<" else "application/json"
            self._send(fault.status, fault.body, fault.headers, ctype)
            return
        try:
            status, data = self._route(method, raw_path, split.query, raw_body)
        except _Error as err:
            status, data = err.status, {"message": err.message}
        if fault and fault.kind == "drop_after_commit":
            self._drop()
            return
        if fault and fault.kind == "body":
            self._send(status, fault.body, fault.headers)
            return
        if data is None:
            self._send(status, b"")
        else:
            self._json(status, data)

    def _user(self) -> str:
        header = self.headers.get("Authorization") or ""
        scheme, _, key = header.partition(" ")
        key = key.strip()
        expected = self.server.sandbox.key
        if scheme.lower() != "bearer" or not key or (expected is not None and key != expected):
            raise _Error(401, "Invalid or missing API key")
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def _route(self, method: str, path: str, query: str,
               body: bytes) -> tuple[int, object]:
        sandbox = self.server.sandbox
        prefix = sandbox.prefix
        if not path.startswith(prefix + "/timer"):
            raise _Error(404, "Not found")
        rest = path[len(prefix) + len("/timer"):]
        segments = [unquote(s) for s in rest.split("/")[1:]] if rest else []
        user = self._user()
        store = sandbox.store
        if method == "GET" and not segments:
            values = parse_qs(query).get("date", [])
            try:
                day = date.fromisoformat(values[0]) if values else sandbox.clock().date()
            except ValueError:
                raise _Error(400, "Invalid request parameters") from None
            return 200, {"data": store.list_week(user, day)}
        if method == "POST" and segments == ["play"]:
            try:
                payload = json.loads(body) if body.strip() else {}
            except ValueError:
                raise _Error(400, "Invalid request parameters") from None
            if not isinstance(payload, dict):
                raise _Error(400, "Invalid request parameters")
            fields = {}
            for key in ("task_id", "description", "parent_id"):
                value = payload.get(key)
                if value is not None and not isinstance(value, str):
                    raise _Error(400, "Invalid request parameters")
                fields[key] = value
            return 200, {"data": store.play(user, fields["task_id"], fields["description"],
                                            fields["parent_id"])}
        if method == "POST" and len(segments) == 2 and segments[1] == "stop":
            return 200, {"data": store.stop(user, segments[0])}
        if method == "DELETE" and len(segments) == 1:
            store.delete(user, segments[0])
            return 201, None
        raise _Error(404 if method in ("GET", "POST", "DELETE") else 405, "Not found")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer


class SandboxServer:
    """Runs the sandbox API in a named background thread (``start``/``stop``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Path = ":memory:",
        key: str | None = None,
        prefix: str = "/v1/dev",
        clock: Clock | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: a server context to serve HTTPS (the tests' own CA)."""
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.key = key
        self.prefix = prefix.rstrip("/")
        self.faults = Faults()
        self.delay_gate = threading.Event()  # set() to end injected delays early
        self.closing = threading.Event()  # set on stop: ends every wait at once
        self.requests: list[tuple[str, str]] = []
        self._log_lock = threading.Lock()
        self.store = _Store(str(db), lambda: self.clock())
        self._httpd = _HttpServer((host, port), _Handler)
        self._httpd.sandbox = self
        self.tls = tls is not None
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.address
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{port}{self.prefix}"

    def _log(self, method: str, path: str, auth: str | None) -> None:
        with self._log_lock:
            self.requests.append((method, path))

    def request_count(self) -> int:
        with self._log_lock:
            return len(self.requests)

    def seed_demo(self, key: str) -> None:
        self.store.seed_demo(hashlib.sha256(key.encode()).hexdigest()[:32])

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="mrtimer-sandbox", kwargs={"poll_interval": 0.1}
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.delay_gate.set()
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()



"""One tray per user: a file lock in the data folder, and a loopback socket through
which a second start asks the first to open its menu.

The lock (``tray.lock``) is held for the life of the process and released by the OS
if it dies. ``tray.instance`` (mode 0600, in the 0700 data folder) holds the port
and a random token, so only this user's processes can poke the running tray.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import filelock

__all__ = ["SingleInstance"]

log = logging.getLogger("mrtimer.tray")

REQUESTS = ("show-menu", "ping")


class SingleInstance:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.lock = filelock.FileLock(str(data_dir / "tray.lock"))
        self.info_path = data_dir / "tray.instance"
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._token = secrets.token_hex(16)

    # -- the first instance -----------------------------------------------------------

    def acquire(self) -> bool:
        try:
            self.lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        return True

    def serve(self, on_request: Callable[[str], None]) -> None:
        """Listen on a loopback port (named thread) and record how to reach us."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        self._sock = sock
        port = sock.getsockname()[1]
        tmp = self.info_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"port": port, "token": self._token, "pid": os.getpid()}, fh)
        os.replace(tmp, self.info_path)
        self._thread = threading.Thread(target=self._serve, args=(on_request,),
                                        name="mrtimer-instance", daemon=True)
        self._thread.start()

    def _serve(self, on_request: Callable[[str], None]) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            with conn:
                if self._stop.is_set():
                    return
                request = self._read_request(conn)
                if request is None:
                    continue
                try:
                    conn.sendall(b"ok\n")
                except OSError:
                    pass
                try:
                    on_request(request)
                except Exception:  # noqa: BLE001 - a bad handler must not end the server
                    log.exception("single-instance request failed")

    def _read_request(self, conn: socket.socket) -> str | None:
        conn.settimeout(1.0)
        data = b""
        try:
            while b"\n" not in data and len(data) < 256:
                chunk = conn.recv(256)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return None
        token, _, request = data.decode("ascii", "replace").strip().partition(" ")
        if not secrets.compare_digest(token, self._token) or request not in REQUESTS:
            return None
        return request

    def close(self, timeout: float = 1.0) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            try:  # wake accept() with a connection of our own
                with socket.create_connection(sock.getsockname()[:2], timeout=0.5):
                    pass
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
        if sock is not None:
            sock.close()
            self._sock = None
            try:
                self.info_path.unlink()
            except OSError:
                pass
        if self.lock.is_locked:
            self.lock.release()

    # -- a second instance ---------------------------------------------------------------

    def ask_running(self, request: str = "show-menu", timeout: float = 2.0) -> bool:
        """Send ``request`` to the running tray; False when it can't be reached."""
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
            port, token = int(info["port"]), str(info["token"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
                conn.sendall(f"{token} {request}\n".encode("ascii"))
                return conn.recv(16).startswith(b"ok")
        except OSError:
            return False

"""Dialogs in a child process: API key entry, description prompt, settings,
confirmation, and the popup menu of backends without a native one.

Why a child process: pystray owns the main thread (macOS requires it for the status
item) and Tk wants the main thread too (macOS again), so a dialog gets a process of
its own: the same executable, started as

- ``[sys.executable, "-m", "mrtimer.tray.dialogs", KIND]`` from a Python install,
- ``[sys.executable, "_dialog", KIND]`` when frozen (the ``mrtimer _dialog`` hidden
  command calls :func:`main`).

The tray never blocks on a dialog: a reader thread per child delivers its events.

Protocol: JSON, one object per line. The parent writes the request as the first line
of the child's stdin; the child writes events to stdout (``submit``, ``choose``,
``cancel``, ``error``); for dialogs whose input the parent must check first (the API
key, settings) the parent answers a ``submit`` with ``{"event": "result", "ok": ...,
"message": ...}`` and the child shows the message or closes. ``{"event": "raise"}``
brings an open dialog to the front. The API key travels only child -> parent over
the pipe: never in argv, never in the environment, never in a log.

Kinds: ``signin``, ``describe``, ``settings``, ``confirm``, ``menu``.

Testing hook: when the request has ``probe`` (a folder), the child writes
``dialog-KIND.json`` there (window id, status text, and for the menu the screen
rectangle of each entry) whenever that changes.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "DialogError", "DialogHandle", "Dialogs", "dialog_argv", "main"]

log = logging.getLogger("mrtimer.tray")

KINDS = ("signin", "describe", "settings", "confirm", "menu")
Event = dict[str, Any]


class DialogError(RuntimeError):
    """A dialog could not be started."""


def dialog_argv(kind: str) -> list[str]:
    if kind not in KINDS:
        raise ValueError(f"unknown dialog {kind!r}")
    if getattr(sys, "frozen", False):
        return [sys.executable, "_dialog", kind]
    return [sys.executable, "-m", "mrtimer.tray.dialogs", kind]


# -- parent side --------------------------------------------------------------------------


class DialogHandle:
    """One dialog child: send it answers, close it."""

    def __init__(self, kind: str, proc: subprocess.Popen[bytes]) -> None:
        self.kind = kind
        self.proc = proc
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, message: Event) -> None:
        data = (json.dumps(message) + "\n").encode("utf-8")
        with self._lock:
            stdin = self.proc.stdin
            if stdin is None or stdin.closed:
                return
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass

    def close(self) -> None:
        if self.alive:
            self.proc.terminate()


class Dialogs:
    """Starts dialog children, at most one of each kind, and ends them all on quit."""

    def __init__(self, argv: Callable[[str], list[str]] = dialog_argv) -> None:
        self._argv = argv
        self._lock = threading.Lock()
        self._open: dict[str, DialogHandle] = {}
        self._closed = False

    def is_open(self, kind: str) -> bool:
        with self._lock:
            handle = self._open.get(kind)
        return handle is not None and handle.alive

    def open(
        self,
        kind: str,
        request: Event,
        on_event: Callable[[DialogHandle, Event], None],
        on_exit: Callable[[DialogHandle], None] | None = None,
    ) -> DialogHandle | None:
        """Start a dialog (None if one of this kind is open: it is raised instead)."""
        with self._lock:
            if self._closed:
                return None
            current = self._open.get(kind)
            if current is not None and current.alive:
                current.send({"event": "raise"})
                return None
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
            try:
                proc = subprocess.Popen(self._argv(kind), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, creationflags=flags)
            except OSError as exc:
                raise DialogError(f"cannot open the {kind} dialog: {exc}") from exc
            handle = DialogHandle(kind, proc)
            self._open[kind] = handle
        handle.send(request)
        thread = threading.Thread(target=self._read, args=(handle, on_event, on_exit),
                                  name=f"mrtimer-dialog-{kind}", daemon=True)
        handle.thread = thread
        thread.start()
        return handle

    def _read(self, handle: DialogHandle, on_event: Callable[[DialogHandle, Event], None],
              on_exit: Callable[[DialogHandle], None] | None) -> None:
        stdout = handle.proc.stdout
        assert stdout is not None
        try:
            for raw in stdout:
                try:
                    message = json.loads(raw)
                except ValueError:
                    log.warning("%s dialog wrote a line that is not JSON", handle.kind)
                    continue
                if not isinstance(message, dict):
                    continue
                try:
                    on_event(handle, message)
                except Exception:  # noqa: BLE001 - a handler bug must not kill the reader
                    log.exception("%s dialog event handler failed", handle.kind)
        finally:
            handle.proc.wait()
            for stream in (handle.proc.stdin, stdout):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
            with self._lock:
                if self._open.get(handle.kind) is handle:
                    del self._open[handle.kind]
            if handle.proc.returncode not in (0, None) and handle.proc.returncode > 0:
                log.warning("%s dialog exited with %s", handle.kind, handle.proc.returncode)
            if on_exit is not None:
                try:
                    on_exit(handle)
                except Exception:  # noqa: BLE001
                    log.exception("%s dialog exit handler failed", handle.kind)

    def close_all(self, timeout: float = 1.0) -> None:
        with self._lock:
            self._closed = True
            handles = list(self._open.values())
        for handle in handles:
            handle.close()
        for handle in handles:
            try:
                handle.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                handle.proc.kill()
            if handle.thread is not None:
                handle.thread.join(timeout)


# -- child side -------------------------------------------------------------------------------


def _emit(message: Event) -> None:
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        os._exit(0)  # the tray is gone: nobody to answer


def _clean(text: object, limit: int = 200) -> str:
    line = "".join(c if c.isprintable() else " " for c in str(text))
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def main(kind: str) -> int:
    """Run one dialog (the child process). Exit 0 whatever the user chose."""
    if kind not in KINDS:
        print(f"unknown dialog {kind!r}; one of {', '.join(KINDS)}", file=sys.stderr)
        return 2
    line = sys.stdin.readline()
    try:
        request = json.loads(line) if line.strip() else {}
    except ValueError:
        request = {}
    if not isinstance(request, dict):
        request = {}
    try:
        import tkinter  # noqa: F401
    except ImportError as exc:
        _emit({"event": "error", "message": f"dialogs need Tk (tkinter): {exc}"})
        return 3
    from . import _tk

    try:
        return _tk.run(kind, request, _emit)
    except _tk.NoDisplay as exc:
        _emit({"event": "error", "message": f"cannot open a window: {exc}"})
        return 3



def _stdin_lines(into: queue.Queue[Event | None]) -> None:
    """Child: parent messages -> queue; None when the parent closes the pipe."""
    for raw in sys.stdin:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict):
            into.put(message)
    into.put(None)


def write_probe(request: Event, kind: str, data: Event) -> None:
    folder = request.get("probe")
    if not isinstance(folder, str) or not folder:
        return
    path = Path(folder) / f"dialog-{kind}.json"
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({"pid": os.getpid(), "kind": kind, **data}), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))

"""Desktop notifications: the tray icon's own where it has them, else the platform's.

Order: the tray controller (pystray's ``Icon.notify`` where ``HAS_NOTIFICATION``), then
Linux: D-Bus ``org.freedesktop.Notifications`` (in-process through jeepney), then the
``notify-send`` command; macOS: ``osascript`` ("display notification"); Windows: the tray
icon only (pystray's balloon). Sending happens in one named thread behind a queue, with a
rate limit, so a burst of state changes never floods the desktop or blocks a caller.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mrtimer.core.sysenv import system_env

from ._session import Session

__all__ = [
    "APP_NAME",
    "CommandNotifier",
    "ControllerNotifier",
    "DBusNotifier",
    "NotificationCenter",
    "Notifier",
    "NotifyError",
    "RateLimiter",
    "platform_notifiers",
]

log = logging.getLogger("mrtimer.desktop.notify")

APP_NAME = "Meet and Rock Timer"


class NotifyError(Exception):
    """This notifier could not show the notification (try the next one)."""


class Notifier(Protocol):
    name: str

    def available(self) -> bool:
        """Cheap check: may :meth:`send` work right now?"""
        ...

    def send(self, title: str, text: str) -> None:
        """Show one notification or raise :class:`NotifyError`."""
        ...


class _TrayDoor(Protocol):
    def notify(self, title: str, text: str) -> None: ...

    def can_notify(self) -> bool: ...


class ControllerNotifier:
    """Through the tray's one UI door (pystray's ``Icon.notify`` on its thread)."""

    name = "tray icon"

    def __init__(self, controller: _TrayDoor) -> None:
        self._controller = controller

    def available(self) -> bool:
        try:
            return bool(self._controller.can_notify())
        except Exception:
            log.exception("controller.can_notify failed")
            return False

    def send(self, title: str, text: str) -> None:
        try:
            self._controller.notify(title, text)
        except Exception as exc:
            raise NotifyError(f"tray icon: {exc}") from exc


class DBusNotifier:
    """``org.freedesktop.Notifications.Notify`` on the session bus, through jeepney.

    Each notification replaces our previous one (replaces_id), as pystray's does."""

    name = "D-Bus org.freedesktop.Notifications"

    def __init__(self, timeout: float = 3.0, expire_ms: int = 8000) -> None:
        self.timeout = timeout
        self.expire_ms = expire_ms
        self._last_id = 0

    def available(self) -> bool:
        try:
            import jeepney  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            return False
        import os

        return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))  # what jeepney connects to

    def send(self, title: str, text: str) -> None:
        try:
            from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
            from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]
        except ImportError as exc:
            raise NotifyError(f"jeepney is not installed: {exc}") from exc
        addr = DBusAddress("/org/freedesktop/Notifications",
                           bus_name="org.freedesktop.Notifications",
                           interface="org.freedesktop.Notifications")
        msg = new_method_call(addr, "Notify", "susssasa{sv}i", (
            APP_NAME, self._last_id, "", title, text, [], {}, self.expire_ms))
        try:
            with open_dbus_connection(bus="SESSION", auth_timeout=self.timeout) as conn:
                reply = conn.send_and_get_reply(msg, timeout=self.timeout)
                body = unwrap_msg(reply)
        except Exception as exc:  # no bus, no server, timeout, error reply
            raise NotifyError(f"D-Bus notification failed: {exc}") from exc
        if body:
            self._last_id = int(body[0])


class CommandNotifier:
    """A command line notifier: ``notify-send`` on Linux, ``osascript`` on macOS."""

    def __init__(self, name: str, argv: Callable[[str, str], list[str]],
                 timeout: float = 5.0,
                 run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run,
                 which: Callable[[str], str | None] = shutil.which) -> None:
        self.name = name
        self._argv = argv
        self.timeout = timeout
        self._run = run
        self._which = which

    def available(self) -> bool:
        return self._which(self._argv("", "")[0]) is not None

    def send(self, title: str, text: str) -> None:
        argv = self._argv(title, text)
        try:
            done = self._run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, timeout=self.timeout, check=False,
                             env=system_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotifyError(f"{self.name}: {exc}") from exc
        if done.returncode != 0:
            err = (done.stderr or b"").decode("utf-8", "replace").strip()
            raise NotifyError(f"{self.name} exited {done.returncode}: {err[:200]}")

    @classmethod
    def notify_send(cls, **kw: object) -> CommandNotifier:
        return cls("notify-send",
                   lambda title, text: ["notify-send", f"--app-name={APP_NAME}", "--",
                                        title, text], **kw)  # type: ignore[arg-type]

    @classmethod
    def osascript(cls, **kw: object) -> CommandNotifier:
        # The texts travel as arguments, never inside the script: no quoting to get wrong.
        script = ["-e", "on run argv", "-e",
                  "display notification (item 2 of argv) with title (item 1 of argv)",
                  "-e", "end run"]
        return cls("osascript",
                   lambda title, text: ["osascript", *script, title, text],
                   **kw)  # type: ignore[arg-type]


def platform_notifiers(session: Session) -> list[Notifier]:
    """The notifiers to try after the tray icon's own, best first."""
    if session.os == "linux" or session.os == "other":
        return [DBusNotifier(), CommandNotifier.notify_send()]
    if session.os == "macos":
        return [CommandNotifier.osascript()]
    return []  # Windows: pystray's balloon through the tray is the notifier


class RateLimiter:
    """At most ``burst`` notifications per ``per`` seconds, and the same text not again
    within ``repeat_after`` seconds. Pure: the caller passes the monotonic time."""

    def __init__(self, burst: int = 3, per: float = 10.0, repeat_after: float = 60.0) -> None:
        self.burst = burst
        self.per = per
        self.repeat_after = repeat_after
        self._sent: deque[float] = deque()
        self._seen: dict[str, float] = {}

    def allow(self, key: str, now: float) -> bool:
        while self._sent and now - self._sent[0] >= self.per:
            self._sent.popleft()
        for k in [k for k, t in self._seen.items() if now - t >= self.repeat_after]:
            del self._seen[k]
        if key in self._seen or len(self._sent) >= self.burst:
            return False
        self._sent.append(now)
        self._seen[key] = now
        return True


@dataclass(frozen=True)
class _Note:
    title: str
    text: str


class NotificationCenter:
    """Queue + one named sender thread + rate limit + on/off switch."""

    def __init__(
        self,
        notifiers: Sequence[Notifier],
        enabled: Callable[[], bool] = lambda: True,
        *,
        limiter: RateLimiter | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "mrtimer-notify",
    ) -> None:
        self.notifiers = list(notifiers)
        self._enabled = enabled
        self._limiter = limiter or RateLimiter()
        self._mono = monotonic
        self._queue: queue.Queue[_Note | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._broken: set[str] = set()
        self._lock = threading.Lock()
        self.sent: list[tuple[str, str, str]] = []  # (notifier, title, text), newest last
        self.dropped = 0
        self._posted = 0
        self._handled = 0
        self._done = threading.Condition(self._lock)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> bool:
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def post(self, title: str, text: str, *, key: str | None = None,
             force: bool = False) -> bool:
        """Queue one notification; False when it is off or rate-limited. ``key`` groups
        notifications that count as "the same" for the repeat rule (default: the text).
        ``force`` skips the rate limit (not the on/off switch)."""
        if not self._enabled():
            return False
        with self._lock:
            if not force and not self._limiter.allow(key or f"{title}\n{text}", self._mono()):
                self.dropped += 1
                log.info("notification rate-limited: %s", title)
                return False
            self._posted += 1
        self._queue.put(_Note(title, text))
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued notification was handled (tests)."""
        with self._done:
            return self._done.wait_for(lambda: self._handled >= self._posted, timeout)

    def _run(self) -> None:
        while True:
            note = self._queue.get()
            if note is None:
                return
            try:
                self._deliver(note)
            except Exception:  # a notifier's bug must not end the sender
                log.exception("notification failed")
            finally:
                with self._done:
                    self._handled += 1
                    self._done.notify_all()

    def _deliver(self, note: _Note) -> None:
        for notifier in self.notifiers:
            if not notifier.available():
                continue
            try:
                notifier.send(note.title, note.text)
            except NotifyError as exc:
                if notifier.name not in self._broken:
                    self._broken.add(notifier.name)
                    log.warning("notifier %s failed: %s", notifier.name, exc)
                continue
            self._broken.discard(notifier.name)
            with self._lock:
                self.sent.append((notifier.name, note.title, note.text))
                del self.sent[:-50]
            return
        log.info("no notifier could show: %s: %s", note.title, note.text)

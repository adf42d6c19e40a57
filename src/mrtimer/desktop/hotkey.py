"""Global hotkeys: parsing, "already taken" checks, and a supervised pynput listener.

pynput only *listens* (X11 RECORD, a Windows low-level hook, a macOS event tap): it never
claims a combination, so another program holding the same one would silently win too.
Before listening we therefore try to claim each combination the way other programs do
and release it at once: ``XGrabKey`` on X11 (BadAccess means taken) and
``RegisterHotKey`` on Windows (ERROR_HOTKEY_ALREADY_REGISTERED). macOS offers no such
check. pynput is imported lazily: importing it without a display raises.
"""

from __future__ import annotations

import ctypes
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Combo",
    "HotkeyError",
    "HotkeyService",
    "Listener",
    "ListenerFactory",
    "User32Api",
    "macos_accessibility_trusted",
    "parse_hotkey",
    "pynput_listener",
    "windows_taken",
    "x11_taken",
]

log = logging.getLogger("mrtimer.desktop.hotkey")

MODIFIERS = ("ctrl", "alt", "alt_gr", "shift", "cmd")
_MOD_LABEL = {"ctrl": "Ctrl", "alt": "Alt", "alt_gr": "AltGr", "shift": "Shift", "cmd": "Super"}
# pynput's Key names that are not modifiers (keyboard/_base.py, pynput 1.8).
SPECIAL_KEYS = frozenset({
    "backspace", "caps_lock", "delete", "down", "end", "enter", "esc",
    *(f"f{i}" for i in range(1, 21)),
    "home", "left", "page_down", "page_up", "right", "space", "tab", "up",
    "media_play_pause", "media_volume_mute", "media_volume_down", "media_volume_up",
    "media_previous", "media_next", "insert", "menu", "num_lock", "pause", "print_screen",
    "scroll_lock", "alt_l", "alt_r", "cmd_l", "cmd_r", "ctrl_l", "ctrl_r", "shift_l", "shift_r",
})


class HotkeyError(ValueError):
    """A hotkey text that pynput would not accept; the message is one line."""


@dataclass(frozen=True)
class Combo:
    """One hotkey: modifiers plus exactly one other key.

    ``key`` is a lower-case character (``"t"``), a pynput key name (``"f5"``) or
    ``"#NN"`` for a virtual key code written ``<NN>``."""

    modifiers: frozenset[str]
    key: str

    @property
    def text(self) -> str:
        """The pynput spelling, modifiers in a fixed order."""
        mods = [f"<{m}>" for m in MODIFIERS if m in self.modifiers]
        return "+".join([*mods, self._key_text()])

    def _key_text(self) -> str:
        if self.key.startswith("#"):
            return f"<{self.key[1:]}>"
        return f"<{self.key}>" if len(self.key) > 1 else self.key

    @property
    def label(self) -> str:
        """For people: ``Ctrl+Alt+Shift+T``."""
        mods = [_MOD_LABEL[m] for m in MODIFIERS if m in self.modifiers]
        key = self.key.upper() if len(self.key) == 1 else self.key.replace("_", " ").title()
        return "+".join([*mods, key])

    @property
    def xdotool(self) -> str:
        """The same combination as an ``xdotool key`` argument (tests, docs)."""
        names = {"ctrl": "ctrl", "alt": "alt", "shift": "shift", "cmd": "super",
                 "alt_gr": "ISO_Level3_Shift"}
        mods = [names[m] for m in MODIFIERS if m in self.modifiers]
        sym = _X11_NAMES.get(self.key) or self.key
        return "+".join([*mods, sym])


def parse_hotkey(text: str) -> Combo:
    """Parse pynput's syntax (``<ctrl>+<alt>+t``) strictly; raise :class:`HotkeyError`."""
    raw = text.strip()
    if not raw:
        raise HotkeyError("empty hotkey")
    parts: list[str] = []
    start = 0
    for i, c in enumerate(raw):  # pynput's own splitting: a '+' right after '+' is a key
        if c == "+" and i != start:
            parts.append(raw[start:i])
            start = i + 1
    if start == len(raw):
        raise HotkeyError(f"{text!r} ends with '+'")
    parts.append(raw[start:])
    mods: set[str] = set()
    keys: list[str] = []
    for part in parts:
        if len(part) == 1:
            keys.append(part.lower())
            continue
        if len(part) > 2 and part[0] == "<" and part[-1] == ">":
            name = part[1:-1].lower()
            if name in MODIFIERS:
                if name in mods:
                    raise HotkeyError(f"{text!r} names <{name}> twice")
                mods.add(name)
            elif name in SPECIAL_KEYS:
                keys.append(name)
            elif name.isdigit():
                keys.append(f"#{int(name)}")
            else:
                raise HotkeyError(f"unknown key <{name}> in {text!r}")
            continue
        raise HotkeyError(f"{part!r} in {text!r}: use one character or a name like <ctrl>")
    if len(keys) != 1:
        raise HotkeyError(f"{text!r}: exactly one key besides the modifiers expected")
    return Combo(frozenset(mods), keys[0])


# -- X11: is a combination grabbed by another client? -------------------------------------

_X11_NAMES = {
    "enter": "Return", "esc": "Escape", "space": "space", "tab": "Tab",
    "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
    "end": "End", "page_up": "Prior", "page_down": "Next", "up": "Up", "down": "Down",
    "left": "Left", "right": "Right", "print_screen": "Print", "pause": "Pause",
    "menu": "Menu", "scroll_lock": "Scroll_Lock", "num_lock": "Num_Lock",
    "caps_lock": "Caps_Lock", **{f"f{i}": f"F{i}" for i in range(1, 21)},
}


def _x11_keysym(key: str) -> int | None:
    from Xlib import XK

    if len(key) == 1:
        code = ord(key)
        return code if 0x20 <= code <= 0xFF else None  # Latin-1 keysyms equal the code
    name = _X11_NAMES.get(key)
    if name is None:
        return None
    sym = XK.string_to_keysym(name)
    return int(sym) or None


def x11_taken(combos: Sequence[Combo], display_name: str | None = None) -> list[Combo]:
    """The combinations another X client has grabbed (XGrabKey fails with BadAccess).

    Each variant with Caps Lock and Num Lock is tried, as hotkey daemons grab those
    too. Our own test grabs are released at once. Raises on connection errors."""
    from Xlib import X, error
    from Xlib import display as xdisplay

    masks = {"ctrl": X.ControlMask, "shift": X.ShiftMask, "alt": X.Mod1Mask,
             "cmd": X.Mod4Mask, "alt_gr": X.Mod5Mask}
    d = xdisplay.Display(display_name)
    try:
        root = d.screen().root
        taken: list[Combo] = []
        for combo in combos:
            sym = _x11_keysym(combo.key)
            keycode = d.keysym_to_keycode(sym) if sym is not None else 0
            if not keycode:
                log.info("cannot check %s on X11: no key code for it", combo.label)
                continue
            mods = 0
            for m in combo.modifiers:
                mods |= masks[m]
            busy = False
            for extra in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):
                catch = error.CatchError(error.BadAccess)
                root.grab_key(keycode, mods | extra, False, X.GrabModeAsync,
                              X.GrabModeAsync, onerror=catch)
                d.sync()
                if catch.get_error() is not None:
                    busy = True
                else:
                    root.ungrab_key(keycode, mods | extra)
            d.sync()
            if busy:
                taken.append(combo)
        return taken
    finally:
        d.close()


# -- Windows: RegisterHotKey as the claim test --------------------------------------------

ERROR_HOTKEY_ALREADY_REGISTERED = 1409
_WIN_MODS = {"alt": 0x1, "ctrl": 0x2, "shift": 0x4, "cmd": 0x8, "alt_gr": 0x1 | 0x2}
MOD_NOREPEAT = 0x4000
_WIN_VK = {
    "backspace": 0x08, "tab": 0x09, "enter": 0x0D, "pause": 0x13, "caps_lock": 0x14,
    "esc": 0x1B, "space": 0x20, "page_up": 0x21, "page_down": 0x22, "end": 0x23,
    "home": 0x24, "left": 0x25, "up": 0x26, "right": 0x27, "down": 0x28,
    "print_screen": 0x2C, "insert": 0x2D, "delete": 0x2E, "menu": 0x5D,
    "num_lock": 0x90, "scroll_lock": 0x91, **{f"f{i}": 0x6F + i for i in range(1, 21)},
}


def windows_vk(key: str) -> int | None:
    if key.startswith("#"):
        return int(key[1:])
    if len(key) == 1 and (key.isascii() and key.isalnum()):
        return ord(key.upper())
    return _WIN_VK.get(key)


class User32Api(Protocol):
    """The three user32 calls the check needs (faked in tests)."""

    def register_hotkey(self, ident: int, modifiers: int, vk: int) -> bool: ...

    def unregister_hotkey(self, ident: int) -> None: ...

    def last_error(self) -> int: ...


class _User32:  # pragma: no cover - Windows only
    def __init__(self) -> None:
        from ctypes import wintypes

        self._dll = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
        self._dll.RegisterHotKey.argtypes = (wintypes.HWND, ctypes.c_int, wintypes.UINT,
                                             wintypes.UINT)
        self._dll.RegisterHotKey.restype = wintypes.BOOL
        self._dll.UnregisterHotKey.argtypes = (wintypes.HWND, ctypes.c_int)
        self._dll.UnregisterHotKey.restype = wintypes.BOOL

    def register_hotkey(self, ident: int, modifiers: int, vk: int) -> bool:
        return bool(self._dll.RegisterHotKey(None, ident, modifiers, vk))

    def unregister_hotkey(self, ident: int) -> None:
        self._dll.UnregisterHotKey(None, ident)

    def last_error(self) -> int:
        return int(ctypes.get_last_error())  # type: ignore[attr-defined]


def windows_taken(combos: Sequence[Combo], api: User32Api | None = None) -> list[Combo]:
    """The combinations another program registered (RegisterHotKey says so)."""
    user32: User32Api = api if api is not None else _User32()
    taken: list[Combo] = []
    for i, combo in enumerate(combos):
        vk = windows_vk(combo.key)
        if vk is None:
            log.info("cannot check %s on Windows: no virtual key for it", combo.label)
            continue
        mods = MOD_NOREPEAT
        for m in combo.modifiers:
            mods |= _WIN_MODS[m]
        ident = 0x4D52 + i  # any id in 0x0000-0xBFFF for an application
        if user32.register_hotkey(ident, mods, vk):
            user32.unregister_hotkey(ident)
        elif user32.last_error() == ERROR_HOTKEY_ALREADY_REGISTERED:
            taken.append(combo)
        else:
            log.info("RegisterHotKey check for %s failed (error %d)", combo.label,
                     user32.last_error())
    return taken


# -- macOS: the Accessibility permission ----------------------------------------------------

_AX_LIB = "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices"


def macos_accessibility_trusted(load: Callable[[str], Any] | None = None) -> bool | None:
    """``AXIsProcessTrusted()``: may this process watch the keyboard? None if unknown."""
    try:
        lib = (load or ctypes.cdll.LoadLibrary)(_AX_LIB)
        fn = lib.AXIsProcessTrusted
        fn.argtypes = []
        fn.restype = ctypes.c_bool
        return bool(fn())
    except (OSError, AttributeError) as exc:
        log.warning("cannot ask macOS for the Accessibility permission: %s", exc)
        return None


# -- the listener and its supervisor ---------------------------------------------------------


class Listener(Protocol):
    """What the supervisor needs of a keyboard listener thread."""

    ready: threading.Event  # set once events flow
    ended: threading.Event  # set when the thread has finished, for whatever reason
    error: BaseException | None  # why it ended, when it raised

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...

    def is_alive(self) -> bool: ...


# (pynput text -> callback, called on ready and on end) -> a listener not yet started
ListenerFactory = Callable[[dict[str, Callable[[], None]], Callable[[], None]], Listener]


def pynput_listener(callbacks: dict[str, Callable[[], None]],
                    changed: Callable[[], None]) -> Listener:
    """A pynput ``GlobalHotKeys`` that reports readiness and death through events.

    pynput's ``wait()`` blocks forever when its thread dies before it is ready (X11
    without RECORD), and its ``stop()`` calls ``wait()``: neither is used unguarded."""
    from pynput import keyboard

    class _Listener(keyboard.GlobalHotKeys):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(callbacks)
            self.name = "mrtimer-hotkey-listener"
            self.ready = threading.Event()
            self.ended = threading.Event()
            self.error: BaseException | None = None

        def _mark_ready(self) -> None:
            super()._mark_ready()
            self.ready.set()
            changed()

        def run(self) -> None:
            try:
                super().run()
            except BaseException as exc:  # noqa: B036 - recorded and reported
                self.error = exc
            finally:
                self.ended.set()
                changed()

        def stop(self) -> None:
            if not self.ready.is_set():
                return
            super().stop()
            # On X11 the "disable" request waits in python-xlib's buffer until the next
            # key event wakes the RECORD connection (its reader holds the socket in
            # select). Closing that socket ends the thread now.
            display = getattr(self, "_display_record", None)
            sock = getattr(getattr(display, "display", None), "socket", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    listener: Listener = _Listener()
    return listener


Report = Callable[[str], None]


class HotkeyService:
    """Keeps a listener running for the given hotkeys in a supervising thread.

    Callbacks only hand the hotkey's name to ``dispatch`` (which must not block);
    a listener that dies is restarted with backoff, at most ``max_restarts`` times in
    ``restart_window`` seconds; then hotkeys are given up and ``report`` says so once.
    ``preflight`` returns the combinations another program already holds."""

    def __init__(
        self,
        bindings: Mapping[str, Combo],
        dispatch: Callable[[str], None],
        report: Report,
        *,
        factory: ListenerFactory = pynput_listener,
        preflight: Callable[[list[Combo]], list[Combo]] | None = None,
        names: Mapping[str, str] | None = None,
        max_restarts: int = 5,
        restart_window: float = 600.0,
        backoff: float = 1.0,
        ready_timeout: float = 10.0,
        debounce: float = 0.3,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "mrtimer-hotkeys",
    ) -> None:
        self.bindings = dict(bindings)
        self._dispatch = dispatch
        self._report = report
        self._factory = factory
        self._preflight = preflight
        self._names = dict(names or {})
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.backoff = backoff
        self.ready_timeout = ready_timeout
        self.debounce = debounce
        self._mono = monotonic
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._listener: Listener | None = None
        self._last_fired: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.starts = 0  # listeners started (tests)
        self.ready = threading.Event()  # set while a listener is ready
        self.gave_up = threading.Event()
        self.taken: list[Combo] = []

    # -- public ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> bool:
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        with self._lock:
            listener = self._listener
        if listener is not None:
            _stop_quietly(listener)
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if listener is not None and listener.is_alive():
            listener.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive() and not (listener and listener.is_alive())

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- internals ------------------------------------------------------------------------

    def _fire(self, name: str) -> None:
        """Runs in the listener thread: never blocks, never raises."""
        try:
            now = self._mono()
            last = self._last_fired.get(name)
            self._last_fired[name] = now  # every repeat extends the quiet time
            if last is not None and now - last < self.debounce:
                return  # key auto-repeat while held
            self._dispatch(name)
        except Exception:
            log.exception("hotkey %s: dispatch failed", name)

    def _callbacks(self) -> dict[str, Callable[[], None]]:
        def bind(name: str) -> Callable[[], None]:
            return lambda: self._fire(name)

        return {combo.text: bind(name) for name, combo in self.bindings.items()}

    def _check_taken(self) -> None:
        if self._preflight is None:
            return
        try:
            self.taken = self._preflight(list(self.bindings.values()))
        except Exception as exc:
            log.warning("could not check whether the hotkeys are free: %s", exc)
            return
        for combo in self.taken:
            setting = next((self._names.get(n, n) for n, c in self.bindings.items()
                            if c == combo), "")
            self._report(f"Hotkey {combo.label} is already used by another program: "
                         f"choose another one in the settings ({setting}).")

    def _run(self) -> None:
        self._check_taken()
        restarts: deque[float] = deque()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                listener = self._factory(self._callbacks(), self._wake.set)
                with self._lock:
                    if self._stop.is_set():
                        return
                    self._listener = listener
                listener.start()
                self.starts += 1
            except Exception as exc:  # import errors, invalid keys: restarting won't help
                log.warning("hotkey listener could not start: %s", exc)
                self._give_up(f"Global hotkeys are off: {_one_line(exc)}")
                return
            if not self._wait_ready(listener):
                if self._stop.is_set():
                    return
                _stop_quietly(listener)
                reason = listener.error or "it did not get ready in time"
                log.warning("hotkey listener failed to start: %s", reason)
            else:
                self.ready.set()
                log.info("global hotkeys active: %s",
                         ", ".join(c.label for c in self.bindings.values()))
                while not self._stop.is_set() and not listener.ended.is_set():
                    self._wake.wait()
                    self._wake.clear()
                self.ready.clear()
                if self._stop.is_set():
                    return
                log.warning("hotkey listener died (%s): restarting",
                            listener.error or "no error given")
            listener.join(0.5)
            now = self._mono()
            restarts.append(now)
            while restarts and now - restarts[0] > self.restart_window:
                restarts.popleft()
            if len(restarts) > self.max_restarts:
                self._give_up(
                    f"Global hotkeys stopped working ({_one_line(listener.error)}); "
                    "see the log. Restart the app to try again."
                )
                return
            self._stop.wait(min(60.0, self.backoff * 2 ** (len(restarts) - 1)))

    def _wait_ready(self, listener: Listener) -> bool:
        deadline = time.monotonic() + self.ready_timeout
        while not self._stop.is_set():
            if listener.ready.is_set():
                return not listener.ended.is_set()
            if listener.ended.is_set():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._wake.wait(left)
            self._wake.clear()
        return False

    def _give_up(self, message: str) -> None:
        self.gave_up.set()
        self._report(message)


def _stop_quietly(listener: Listener) -> None:
    try:
        listener.stop()
    except Exception:
        log.exception("stopping the hotkey listener failed")


def _one_line(exc: object) -> str:
    if exc is None:
        return "no error given"
    text = str(exc).strip().splitlines()
    head = text[0] if text else exc.__class__.__name__
    return head if len(head) <= 160 else head[:157] + "..."

"""pystray, made to behave the same on every backend.

Only :mod:`mrtimer.tray.controller` uses this module, and only from the UI thread
(except :meth:`Tray.call_soon`, the one thread-safe entry). What each backend gets:

- **gtk** (``Gtk.StatusIcon``, XEmbed trays): the title becomes a real tooltip
  (pystray only calls ``set_title``, which no tray shows); a left click opens the
  menu too; the icon is rendered at the size the tray gives it.
- **appindicator** (StatusNotifierItem, or its own XEmbed fallback): both clicks open
  the menu (native); the title goes to ``set_title``, which SNI hosts show.
- **xorg** (no PyGObject): pystray's window doesn't select ``ButtonPressMask``, so a
  click did nothing and there is no menu. Here the window listens to clicks (which
  open the popup menu, a child process), draws the icon square and centred over the
  panel's own background instead of stretched over black, shows the title in a
  tooltip window on hover, writes it as UTF-8 ``_NET_WM_NAME`` (pystray's Latin-1
  ``WM_NAME`` fails on other characters), and asks to be docked again when the
  tray didn't take it.
- **win32**: a left click opens the menu; ``&`` in labels is escaped.
- **darwin**: one-colour (template) icons; calls are handed to AppKit's main thread.

``call_soon(fn)`` runs ``fn`` on the UI thread: ``GLib.idle_add`` (gtk,
appindicator), a ClientMessage to our own window handled in pystray's X loop
(xorg), a posted window message (win32), ``AppHelper.callAfter`` (darwin).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import tempfile
import threading
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from .model import Command, Item

if TYPE_CHECKING:
    from PIL import ImageFont

__all__ = ["BackendUnavailable", "Tray", "choose_backends", "create_tray"]

log = logging.getLogger("mrtimer.tray")

# A click on an icon without a native menu: (x, y below the icon, y above the icon).
ClickHandler = Callable[[int, int, int], None]
SizeHandler = Callable[[int], None]
CommandHandler = Callable[[Command], None]

SNI_WATCHER = "org.kde.StatusNotifierWatcher"
APPINDICATOR_SIZE = 48  # px; SNI hosts scale the file down to their panel size


class BackendUnavailable(RuntimeError):
    """No pystray backend could start (no display, no toolkit); one-line message."""


def _session_bus_reachable() -> bool:
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and Path(runtime, "bus").exists()


def sni_watcher_present(timeout_ms: int = 500) -> bool:
    """A StatusNotifierWatcher on the session bus: SNI hosts (KDE, GNOME with the
    AppIndicator extension, waybar, XFCE's statusnotifier plugin) will show us."""
    if not _session_bus_reachable():
        return False  # don't let GIO autolaunch a bus that outlives us
    try:
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio, GLib
    except (ImportError, ValueError):
        return False
    try:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        reply = bus.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", GLib.Variant("(s)", (SNI_WATCHER,)), GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE, timeout_ms, None)
        return bool(reply.unpack()[0])
    except Exception:  # noqa: BLE001 - any D-Bus trouble means "no watcher"
        return False


def choose_backends() -> list[str]:
    """Backends to try, best first. ``PYSTRAY_BACKEND`` forces one."""
    forced = os.environ.get("PYSTRAY_BACKEND", "").strip()
    if forced:
        return [forced]
    if sys.platform == "darwin":
        return ["darwin"]
    if sys.platform == "win32":
        return ["win32"]
    # With a StatusNotifierWatcher, AppIndicator is the native protocol. Without one,
    # Gtk.StatusIcon docks in XEmbed trays and (unlike AppIndicator's fallback) shows
    # a tooltip. Without PyGObject, xorg.
    if sni_watcher_present():
        return ["appindicator", "gtk", "xorg"]
    return ["gtk", "appindicator", "xorg"]


def _import_backend(name: str) -> Any:
    os.environ["PYSTRAY_BACKEND"] = name  # pystray picks its backend at import time
    for mod in [m for m in sys.modules if m == "pystray"]:
        del sys.modules[mod]
    importlib.import_module("pystray")
    return importlib.import_module(f"pystray._{name}")


# -- the wrapper the controller uses ---------------------------------------------------


class Tray:
    """One pystray icon plus what the controller needs from it."""

    def __init__(self, backend: str, icon: Any, pystray_mod: Any) -> None:
        self.backend = backend
        self.icon = icon
        self._pystray = pystray_mod
        self.mono = backend == "darwin"  # macOS shows template images only
        self.native_menu = backend != "xorg"
        # Pixel size to render at until the backend tells the real one.
        self.size = {"appindicator": APPINDICATOR_SIZE, "gtk": 24, "xorg": 24,
                     "darwin": 44}.get(backend, 32)
        # Set once the icon is on screen: embedded and drawn (gtk, xorg); where the
        # backend can't tell (AppIndicator, macOS, Windows), as soon as it is shown.
        self.shown: threading.Event = getattr(icon, "mr_shown", None) or threading.Event()

    # any thread
    def call_soon(self, fn: Callable[[], None]) -> None:
        self.icon.mr_call_soon(fn)

    # UI thread (or the setup callback, before anything else runs)
    def run(self, setup: Callable[[], None]) -> None:
        self.icon.run(setup=lambda _icon: setup())

    def show(self) -> None:
        self.icon.visible = True
        if self.backend not in ("gtk", "xorg"):
            self.shown.set()

    def wait_shown(self, timeout: float) -> bool:
        """Wait (any thread but the UI's) until the icon is on screen, at most
        ``timeout`` seconds: without a tray host it never is."""
        return self.shown.wait(timeout)

    def stop(self) -> None:
        self.icon.stop()

    def set_image(self, image: Image.Image) -> None:
        self.icon.icon = image

    def set_title(self, title: str) -> None:
        self.icon.title = title

    def update_menu(self) -> None:
        if self.native_menu:
            self.icon.update_menu()

    def popup_menu(self) -> bool:
        """Open the native menu at the pointer; False when the backend can't."""
        opener = getattr(self.icon, "mr_popup_menu", None)
        return bool(opener()) if opener is not None else False

    @property
    def can_notify(self) -> bool:
        return bool(getattr(self.icon, "HAS_NOTIFICATION", False)) and bool(self.icon.visible)

    def notify(self, title: str, text: str) -> bool:
        if not getattr(self.icon, "HAS_NOTIFICATION", False):
            return False
        try:
            self.icon.notify(text, title)
        except Exception:  # noqa: BLE001 - a missing notification server is not fatal
            log.warning("desktop notification failed", exc_info=True)
            return False
        return True


def _action(on_command: CommandHandler, command: Command | None
            ) -> Callable[[Any, Any], None]:
    # pystray counts the parameters: exactly (icon, item).
    def action(_icon: Any, _item: Any) -> None:
        if command is not None:
            on_command(command)

    return action


def _constant(value: bool) -> Callable[[Any], bool]:
    def get(_item: Any) -> bool:
        return value

    return get


def _pystray_menu(pystray_mod: Any, items: Callable[[], tuple[Item, ...]],
                  on_command: CommandHandler, escape_amp: bool) -> Any:
    Menu, MenuItem = pystray_mod.Menu, pystray_mod.MenuItem

    def text_of(item: Item) -> str:
        return item.text.replace("&", "&&") if escape_amp else item.text

    def convert(entries: tuple[Item, ...]) -> list[Any]:
        out: list[Any] = []
        for item in entries:
            if item.separator:
                out.append(Menu.SEPARATOR)
                continue
            if item.submenu:
                out.append(MenuItem(text_of(item), Menu(*convert(item.submenu)),
                                    enabled=item.enabled))
                continue
            command = item.command
            checked = None if item.checked is None else _constant(item.checked)
            out.append(MenuItem(
                text_of(item), _action(on_command, command), checked=checked,
                enabled=item.enabled and (command is not None or item.checked is not None),
                default=item.role == "header"))
        return out

    return Menu(lambda: iter(convert(items())))


def create_tray(
    name: str,
    image: Image.Image,
    title: str,
    items: Callable[[], tuple[Item, ...]],
    on_command: CommandHandler,
    on_click: ClickHandler,
    on_resize: SizeHandler,
    backends: list[str] | None = None,
) -> Tray:
    """Start the first backend that works; :class:`BackendUnavailable` when none does."""
    errors: list[str] = []
    for backend in backends or choose_backends():
        try:
            module = _import_backend(backend)
        except Exception as exc:  # noqa: BLE001 - Xlib raises DisplayNameError, gi ValueError
            errors.append(f"{backend}: {type(exc).__name__}: {exc}")
            log.info("tray backend %s unavailable: %s", backend, exc)
            continue
        pystray_mod = sys.modules["pystray"]
        cls = _icon_class(backend, module)
        menu = None if backend == "xorg" else _pystray_menu(
            pystray_mod, items, on_command, escape_amp=backend == "win32")
        try:
            icon = cls(name, image, title, menu, mr_on_click=on_click, mr_on_resize=on_resize)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{backend}: {type(exc).__name__}: {exc}")
            log.warning("tray backend %s failed to start", backend, exc_info=True)
            continue
        log.info("tray backend: %s", backend)
        return Tray(backend, icon, pystray_mod)
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    hint = "" if display or sys.platform in ("win32", "darwin") else \
        " (no graphical session: DISPLAY and WAYLAND_DISPLAY are unset)"
    raise BackendUnavailable("cannot show a tray icon" + hint + ": " + "; ".join(errors))


# -- backend subclasses ------------------------------------------------------------------


def _icon_class(backend: str, module: Any) -> Any:
    if backend in ("gtk", "appindicator"):
        return _gtk_family(backend, module)
    if backend == "xorg":
        return _xorg_class(module)
    if backend == "win32":
        return _win32_class(module)
    if backend == "darwin":
        return _darwin_class(module)
    return _generic_class(module)


class _Calls:
    """The queue behind ``call_soon`` for backends that post a wake-up message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: deque[Callable[[], None]] = deque()

    def push(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._calls.append(fn)

    def run_all(self) -> None:
        while True:
            with self._lock:
                if not self._calls:
                    return
                fn = self._calls.popleft()
            try:
                fn()
            except Exception:  # noqa: BLE001 - one bad call must not stop the UI loop
                log.exception("UI call failed")


def _gtk_family(backend: str, module: Any) -> Any:
    from gi.repository import GLib, Gtk

    GLib.set_prgname("mrtimer")
    GLib.set_application_name("Meet and Rock Timer")
    base = module.Icon

    class GtkFamilyIcon(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, mr_on_click: ClickHandler, mr_on_resize: SizeHandler,
                     **kwargs: Any) -> None:
            self._mr_on_click = mr_on_click
            self._mr_on_resize = mr_on_resize
            self.mr_shown = threading.Event()
            super().__init__(*args, **kwargs)
            status = getattr(self, "_status_icon", None)
            if status is not None:
                status.connect("size-changed", self._mr_size_changed)
                status.set_tooltip_text(self.title)

        def mr_call_soon(self, fn: Callable[[], None]) -> None:
            def once() -> bool:
                try:
                    fn()
                except Exception:  # noqa: BLE001
                    log.exception("UI call failed")
                return False

            # Default priority, not idle: GTK's own idle work (resizes, redraws of an open
            # menu) must not starve the door.
            GLib.idle_add(once, priority=GLib.PRIORITY_DEFAULT)

        def _mr_size_changed(self, _status: Any, size: int) -> bool:
            # "size" is the panel's thickness: render at it first. Some trays then give
            # the icon less width and GTK scales it down (blurry digits): measure the
            # allocation once it settles and render at that size instead.
            if size <= 1:
                return False
            self._mr_on_resize(int(size))
            if not self.mr_shown.is_set():
                # Embedded: the icon is drawn once GTK has no more pending work.
                def drawn() -> bool:
                    self.mr_shown.set()
                    return False

                GLib.idle_add(drawn, priority=GLib.PRIORITY_LOW)
            tries = [4]

            def measure() -> bool:
                tries[0] -= 1
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        ok, _screen, area, _orientation = self._status_icon.get_geometry()
                except Exception:  # noqa: BLE001
                    ok = False
                if ok and 16 <= min(area.width, area.height) < size:
                    self._mr_on_resize(int(min(area.width, area.height)))
                return tries[0] > 0

            GLib.timeout_add(250, measure)
            return False  # GTK scales the current image until our re-render lands

        def _show(self) -> None:
            super()._show()
            self._update_title()  # title changes made while hidden

        def _update_fs_icon(self) -> None:
            # pystray writes the icon with format="PNG" to an extension-less mktemp()
            # name: Pillow then imports all its common image plugins first (~20-40 ms on
            # the way to the first icon). A ".png" name makes Pillow load the PNG writer
            # alone, and mkstemp() creates the file without mktemp()'s race.
            fd, path = tempfile.mkstemp(prefix="mrtimer-icon-", suffix=".png")
            os.close(fd)
            self._icon_path = path
            self.icon.save(path)
            self._icon_valid = True

        if backend == "gtk":
            def _update_title(self) -> None:
                def apply() -> bool:
                    self._status_icon.set_title(self.title)
                    self._status_icon.set_tooltip_text(self.title)
                    return False

                GLib.idle_add(apply)

            def _on_status_icon_activate(self, status_icon: Any) -> None:
                # A left click opens the menu, as on every other backend.
                self._on_status_icon_popup_menu(status_icon, 1, Gtk.get_current_event_time())

        def mr_popup_menu(self) -> bool:
            handle = getattr(self, "_menu_handle", None)
            if backend != "gtk" or handle is None:
                return False  # AppIndicator menus can't be opened from code
            # No click event to anchor to (a hotkey, a second start): position it at
            # the icon, as a click would.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                handle.popup(None, None, Gtk.StatusIcon.position_menu, self._status_icon, 0,
                             Gtk.get_current_event_time())
            return True

        def _finalize(self) -> None:
            # Without a notification server pystray's cleanup raises, and run() with it.
            try:
                super()._finalize()
            except Exception:  # noqa: BLE001
                log.info("tray cleanup: %s", sys.exc_info()[1])

    return GtkFamilyIcon


def _xorg_class(module: Any) -> Any:
    import Xlib.error
    import Xlib.X as X
    import Xlib.Xatom as Xatom

    base = module.Icon

    class XorgIcon(base):  # type: ignore[misc, valid-type]
        _MASK = (X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask
                 | X.EnterWindowMask | X.LeaveWindowMask)

        def __init__(self, *args: Any, mr_on_click: ClickHandler, mr_on_resize: SizeHandler,
                     **kwargs: Any) -> None:
            self._mr_on_click = mr_on_click
            self._mr_on_resize = mr_on_resize
            self._mr_calls = _Calls()
            self._mr_closed = False
            self._mr_background: Image.Image | None = None
            self._mr_tip: Any = None
            self._mr_tip_image: Image.Image | None = None
            self._mr_docked = threading.Event()
            self._mr_stop = threading.Event()
            self._mr_size = 0
            self._mr_need_dock = True
            self.mr_shown = threading.Event()
            super().__init__(*args, **kwargs)
            self._mr_call_atom = self._display.intern_atom("_MRTIMER_CALL")
            self._mr_utf8 = self._display.intern_atom("UTF8_STRING")
            self._mr_net_name = self._display.intern_atom("_NET_WM_NAME")
            original = self._message_handlers[X.ClientMessage]

            def on_client_message(event: Any) -> None:
                if event.client_type == self._mr_call_atom:
                    self._mr_calls.run_all()
                else:
                    original(event)

            self._message_handlers[X.ClientMessage] = on_client_message
            self._message_handlers[X.EnterNotify] = self._mr_enter
            self._message_handlers[X.LeaveNotify] = self._mr_leave
            self._message_handlers[X.ReparentNotify] = self._mr_reparent
            expose = self._message_handlers[X.Expose]

            def on_expose(event: Any) -> None:
                if self._mr_tip is not None and event.window.id == self._mr_tip.id:
                    self._mr_draw_tip()
                else:
                    expose(event)

            self._message_handlers[X.Expose] = on_expose
            self._mr_watch = threading.Thread(target=self._mr_dock_watch,
                                              name="mrtimer-xorg-dock", daemon=True)

        # -- the window ----------------------------------------------------------

        def _create_window(self) -> Any:
            window = super()._create_window()
            window.change_attributes(event_mask=self._MASK, background_pixmap=X.ParentRelative)
            return window

        def mr_call_soon(self, fn: Callable[[], None]) -> None:
            self._mr_calls.push(fn)
            if self._mr_closed:
                return
            try:
                self._send_message(self._window, self._mr_call_atom)
                self._display.flush()
            except Exception:  # noqa: BLE001 - the window is gone: we are quitting
                log.debug("xorg call_soon after close", exc_info=True)

        def _show(self) -> None:
            super()._show()
            self._update_title()  # title changes made while hidden

        def _update_fs_icon(self) -> None:
            # pystray writes the icon with format="PNG" to an extension-less mktemp()
            # name: Pillow then imports all its common image plugins first (~20-40 ms on
            # the way to the first icon). A ".png" name makes Pillow load the PNG writer
            # alone, and mkstemp() creates the file without mktemp()'s race.
            fd, path = tempfile.mkstemp(prefix="mrtimer-icon-", suffix=".png")
            os.close(fd)
            self._icon_path = path
            self.icon.save(path)
            self._icon_valid = True
            if not self._mr_watch.is_alive() and not self._mr_stop.is_set():
                self._mr_watch.start()

        def _stop(self) -> None:
            self._mr_closed = True
            self._mr_stop.set()
            self._mr_hide_tip()
            super()._stop()

        def stop(self) -> None:
            super().stop()
            if self._mr_watch.is_alive() and self._mr_watch is not threading.current_thread():
                self._mr_watch.join(1.0)

        # -- docking: ask once, and again only when the tray didn't take us -------

        def _assert_docked(self) -> None:
            # pystray sends a dock request on every icon update (and twice when the
            # icon is shown); trays may embed the window again or give it 1 px.
            if self._systray_manager is None or self._mr_need_dock:
                self._mr_need_dock = False
                self._dock_window()
            assert self._systray_manager

        def _mr_reparent(self, event: Any) -> None:
            if event.window.id == self._window.id and \
                    event.parent.id != self._display.screen().root.id:
                self._mr_docked.set()

        def _mr_dock_watch(self) -> None:
            for attempt in range(6):
                if self._mr_docked.wait(1.0 + attempt) or self._mr_stop.is_set():
                    return
                log.info("xorg: not docked yet, asking the tray again")
                self.mr_call_soon(self._mr_redock)

        def _mr_redock(self) -> None:
            if self._mr_docked.is_set() or self._mr_closed:
                return
            try:
                self._mr_need_dock = False
                self._dock_window()
            except Exception:  # noqa: BLE001
                log.info("xorg: dock request failed", exc_info=True)

        # -- drawing -------------------------------------------------------------

        def _on_expose(self, event: Any) -> None:
            if event.window.id != self._window.id:
                return
            if event.type == X.ConfigureNotify:
                self._mr_background = None
                self._icon_data: Image.Image | None = None
                size = min(event.width, event.height)
                if size > 1 and size != self._mr_size:
                    self._mr_size = size
                    self._mr_on_resize(size)
            self._draw()
            if event.type != X.ConfigureNotify:
                self.mr_shown.set()  # drawn on an exposed (mapped, docked) window

        def _mr_panel_background(self, width: int, height: int) -> Image.Image:
            """What the tray paints behind us (ParentRelative), so the icon's
            transparent parts look transparent."""
            if self._mr_background is not None and self._mr_background.size == (width, height):
                return self._mr_background
            fallback = Image.new("RGB", (width, height), (220, 218, 213))
            try:
                self._window.clear_area()
                reply = self._window.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF)
                if reply.depth == 24 and len(reply.data) >= width * height * 4:
                    raw = "BGRX" if self._display.info.image_byte_order == 0 else "XRGB"
                    background = Image.frombytes("RGB", (width, height), reply.data, "raw", raw)
                else:
                    background = fallback
            except Exception:  # noqa: BLE001 - any X trouble: a neutral panel colour
                background = fallback
            self._mr_background = background
            return background

        def _assert_icon_data(self, width: int, height: int) -> None:
            if self._icon_data and self._icon_data.size == (width, height):
                return
            canvas = self._mr_panel_background(width, height).copy()
            side = max(1, min(width, height))
            icon = self._icon
            if icon.size != (side, side):
                icon = icon.resize((side, side), Image.Resampling.LANCZOS)
            icon = icon.convert("RGBA")
            canvas.paste(icon, ((width - side) // 2, (height - side) // 2), icon)
            canvas.tostring = canvas.tobytes  # type: ignore[attr-defined]  # old Xlib name
            self._icon_data = canvas

        def _update_title(self) -> None:
            title = self.title or ""
            self._window.change_property(self._mr_net_name, self._mr_utf8, 8,
                                         title.encode("utf-8"))
            self._window.change_property(Xatom.WM_NAME, Xatom.STRING, 8,
                                         title.encode("latin-1", "replace"))
            if self._mr_tip is not None:
                self._mr_show_tip()

        # -- clicks and the tooltip ----------------------------------------------

        def _on_button_press(self, event: Any) -> None:
            self._mr_hide_tip()
            if event.detail not in (1, 2, 3):
                return
            x, below, above = int(event.root_x), int(event.root_y), int(event.root_y)
            try:
                geo = self._window.get_geometry()
                pos = self._window.translate_coords(self._display.screen().root, 0, 0)
                x, above = -pos.x, -pos.y
                below = above + geo.height
            except Xlib.error.XError:
                pass
            self._mr_on_click(x, below, above)

        def _mr_enter(self, event: Any) -> None:
            if event.window.id == self._window.id:
                self._mr_show_tip()

        def _mr_leave(self, event: Any) -> None:
            if event.window.id == self._window.id:
                self._mr_hide_tip()

        def _mr_show_tip(self) -> None:
            text = self.title or ""
            if not text or self._mr_closed:
                return
            image = _tooltip_image(text)
            self._mr_tip_image = image
            screen = self._display.screen()
            try:
                geo = self._window.get_geometry()
                pos = self._window.translate_coords(screen.root, 0, 0)
                ax, ay = -pos.x, -pos.y
                x = max(0, min(ax, screen.width_in_pixels - image.width))
                y = ay + geo.height + 4
                if y + image.height > screen.height_in_pixels:
                    y = max(0, ay - image.height - 4)
                if self._mr_tip is None:
                    self._mr_tip = screen.root.create_window(
                        x, y, image.width, image.height, 0, screen.root_depth,
                        X.InputOutput, X.CopyFromParent, override_redirect=True,
                        background_pixel=screen.white_pixel, event_mask=X.ExposureMask)
                    self._mr_tip.set_wm_name("mrtimer-tooltip")
                    self._mr_tip.change_property(
                        self._display.intern_atom("_NET_WM_WINDOW_TYPE"), Xatom.ATOM, 32,
                        [self._display.intern_atom("_NET_WM_WINDOW_TYPE_TOOLTIP")])
                    self._mr_tip_gc = self._mr_tip.create_gc()
                else:
                    self._mr_tip.configure(x=x, y=y, width=image.width, height=image.height)
                self._mr_tip.map()
                self._mr_tip.configure(stack_mode=X.Above)
                self._mr_draw_tip()
                self._display.flush()
            except Xlib.error.XError:
                log.debug("xorg tooltip failed", exc_info=True)

        def _mr_draw_tip(self) -> None:
            if self._mr_tip is not None and self._mr_tip_image is not None:
                self._mr_tip.put_pil_image(self._mr_tip_gc, 0, 0, self._mr_tip_image)

        def _mr_hide_tip(self) -> None:
            if self._mr_tip is not None:
                try:
                    self._mr_tip.destroy()
                    self._display.flush()
                except Exception:  # noqa: BLE001
                    pass
                self._mr_tip = None

    return XorgIcon


def _win32_class(module: Any) -> Any:
    from pystray._util import win32

    base = module.Icon
    wm_call = win32.WM_USER + 20

    class Win32Icon(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, mr_on_click: ClickHandler, mr_on_resize: SizeHandler,
                     **kwargs: Any) -> None:
            self._mr_calls = _Calls()
            super().__init__(*args, **kwargs)
            self._message_handlers[wm_call] = lambda _w, _l: self._mr_calls.run_all()

        def mr_call_soon(self, fn: Callable[[], None]) -> None:
            self._mr_calls.push(fn)
            if self._hwnd:
                win32.PostMessage(self._hwnd, wm_call, 0, 0)

        def _mark_ready(self) -> None:
            super()._mark_ready()
            if self._hwnd:  # calls queued before the window existed
                win32.PostMessage(self._hwnd, wm_call, 0, 0)

        def _on_notify(self, wparam: Any, lparam: Any) -> Any:
            if lparam == win32.WM_LBUTTONUP:
                lparam = win32.WM_RBUTTONUP  # a left click opens the menu too
            return super()._on_notify(wparam, lparam)

        def mr_popup_menu(self) -> bool:
            self._on_notify(0, win32.WM_RBUTTONUP)
            return True

    return Win32Icon


def _darwin_class(module: Any) -> Any:
    base = module.Icon

    class DarwinIcon(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, mr_on_click: ClickHandler, mr_on_resize: SizeHandler,
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

        def mr_call_soon(self, fn: Callable[[], None]) -> None:
            from PyObjCTools import AppHelper  # type: ignore[import-not-found]

            AppHelper.callAfter(fn)

        def _assert_image(self) -> None:
            super()._assert_image()
            if self._icon_image is not None:
                self._icon_image.setTemplate_(True)  # the menu bar colours it

        def mr_popup_menu(self) -> bool:
            self._status_item.button().performClick_(None)
            return True

    return DarwinIcon


def _generic_class(module: Any) -> Any:
    base = module.Icon

    class GenericIcon(base):  # type: ignore[misc, valid-type]
        """Unknown backends: one dedicated thread stands in for the UI thread."""

        def __init__(self, *args: Any, mr_on_click: ClickHandler, mr_on_resize: SizeHandler,
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._mr_lock = threading.Lock()

        def mr_call_soon(self, fn: Callable[[], None]) -> None:
            def serial() -> None:
                with self._mr_lock:
                    fn()

            threading.Thread(target=serial, name="mrtimer-ui-call", daemon=True).start()

    return GenericIcon


# -- the xorg tooltip's picture ------------------------------------------------------------


_FONT: ImageFont.FreeTypeFont | ImageFont.ImageFont | None = None


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Imported here: only the xorg tooltip draws text with FreeType.
    from PIL import ImageFont

    global _FONT
    if _FONT is None:
        for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf"):
            try:
                _FONT = ImageFont.truetype(name, 13)
                break
            except OSError:
                continue
        else:
            _FONT = ImageFont.load_default()
    return _FONT


def _tooltip_image(text: str) -> Image.Image:
    from PIL import ImageDraw  # xorg only (it imports FreeType)

    font = _font()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    w, h = int(right - left) + 12, int(bottom - top) + 10
    img = Image.new("RGB", (w, h), (255, 255, 225))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w - 1, h - 1), outline=(90, 90, 90))
    draw.text((6 - left, 5 - top), text, font=font, fill=(0, 0, 0))
    return img

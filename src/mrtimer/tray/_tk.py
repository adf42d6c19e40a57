"""The Tk side of :mod:`mrtimer.tray.dialogs` (imported only in the dialog child)."""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from .dialogs import Event, _clean, _stdin_lines, write_probe

Emit = Callable[[Event], None]

APP = "Meet and Rock Timer"
OK_FG, ERR_FG, DIM_FG = "#15803d", "#b91c1c", "#4b5563"


class NoDisplay(RuntimeError):
    pass


def run(kind: str, request: Event, emit: Emit) -> int:
    try:
        root = tk.Tk(className="mrtimer")
    except tk.TclError as exc:
        raise NoDisplay(str(exc)) from None
    inbox: queue.Queue[Event | None] = queue.Queue()
    threading.Thread(target=_stdin_lines, args=(inbox,), name="stdin", daemon=True).start()
    dialog: _Base = _KINDS[kind](root, request, emit, kind)

    def poll() -> None:
        while True:
            try:
                message = inbox.get_nowait()
            except queue.Empty:
                break
            if message is None or message.get("event") == "close":
                dialog.close()
                return
            if message.get("event") == "raise":
                dialog.bring_up()
            else:
                dialog.on_message(message)
        if dialog.alive:
            root.after(50, poll)

    root.after(50, poll)
    root.mainloop()
    return 0


class _Base:
    title = ""

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        self.root = root
        self.request = request
        self.emit = emit
        self.kind = kind
        self.alive = True
        self.ready = False  # shown and focused: typing reaches the first field
        self._status_text = ""

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self.root.destroy()

    def finish(self, event: Event) -> None:
        self.emit(event)
        self.close()

    def cancel(self) -> None:
        self.finish({"event": "cancel"})

    def bring_up(self) -> None:
        self.root.deiconify()
        self.root.lift()
        self.root.focus_force()

    def on_message(self, message: Event) -> None:
        pass

    def probe(self, **extra: Any) -> None:
        if not self.alive:
            return
        try:
            frame = int(self.root.wm_frame(), 16)
        except (tk.TclError, ValueError):
            frame = 0
        write_probe(self.request, self.kind, {
            "window": frame, "inner": self.root.winfo_id(), "title": self.root.title(),
            "status": self._status_text, "ready": self.ready, **extra})


class _Form(_Base):
    """A small window: heading, body, status line, buttons."""

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        super().__init__(root, request, emit, kind)
        root.title(f"{self.title} — {APP}")
        root.resizable(False, False)
        style = ttk.Style(root)
        if "clam" in style.theme_names() and root.tk.call("tk", "windowingsystem") == "x11":
            style.theme_use("clam")
        bold = tkfont.nametofont("TkDefaultFont").copy()
        bold.configure(weight="bold", size=bold.cget("size") + 2)
        self.frame = ttk.Frame(root, padding=16)
        self.frame.grid(sticky="nsew")
        self.heading = ttk.Label(self.frame, font=bold)
        self.heading.grid(row=0, column=0, columnspan=3, sticky="w", pady=(0, 8))
        self.body = ttk.Frame(self.frame)
        self.body.grid(row=1, column=0, columnspan=3, sticky="nsew")
        self.status = ttk.Label(self.frame, foreground=DIM_FG, wraplength=420)
        self.status.grid(row=2, column=0, columnspan=3, sticky="w", pady=(8, 0))
        self.buttons = ttk.Frame(self.frame)
        self.buttons.grid(row=3, column=0, columnspan=3, sticky="e", pady=(12, 0))
        root.protocol("WM_DELETE_WINDOW", self.cancel)
        root.bind("<Escape>", lambda _e: self.cancel())
        root.bind("<Map>", lambda _e: self.probe())

    def add_buttons(self, ok_text: str, ok: Callable[[], None],
                    cancel_text: str = "Cancel", default_ok: bool = True) -> ttk.Button:
        cancel = ttk.Button(self.buttons, text=cancel_text, command=self.cancel)
        okb = ttk.Button(self.buttons, text=ok_text, command=ok,
                         default="active" if default_ok else "normal")
        cancel.grid(row=0, column=0, padx=(0, 8))
        okb.grid(row=0, column=1)
        self.ok_button = okb
        return okb

    def set_status(self, text: str, colour: str = DIM_FG) -> None:
        self._status_text = text
        self.status.configure(text=text, foreground=colour)
        self.probe()

    def show(self, focus: tk.Widget) -> None:
        root = self.root
        root.update_idletasks()
        w, h = root.winfo_reqwidth(), root.winfo_reqheight()
        x = max(0, (root.winfo_screenwidth() - w) // 2)
        y = max(0, (root.winfo_screenheight() - h) // 3)
        root.geometry(f"+{x}+{y}")
        root.attributes("-topmost", True)

        def grab_focus() -> None:
            root.lift()
            root.focus_force()
            focus.focus_set()
            self.ready = True
            self.probe()

        root.after(30, grab_focus)


class SignIn(_Form):
    title = "Sign in"

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        super().__init__(root, request, emit, kind)
        origin = _clean(request.get("origin") or "the Meet and Rock API", 120)
        self.heading.configure(text=f"Sign in to {APP}")
        ttk.Label(self.body, wraplength=420, justify="left", text=(
            f"Paste your API key for {origin}. It is checked with the server, then kept "
            "in your system keyring.")).grid(row=0, column=0, columnspan=2, sticky="w")
        ttk.Label(self.body, text="API key").grid(row=1, column=0, sticky="w", pady=(10, 0))
        self.key = tk.StringVar()
        self.entry = ttk.Entry(self.body, textvariable=self.key, show="•", width=44)
        self.entry.grid(row=2, column=0, sticky="we")
        self.visible = tk.BooleanVar(value=False)
        ttk.Checkbutton(self.body, text="Show", variable=self.visible,
                        command=self._toggle).grid(row=2, column=1, padx=(8, 0))
        self.add_buttons("Sign in", self.submit)
        root.bind("<Return>", lambda _e: self.submit())
        if request.get("message"):
            self.set_status(_clean(request["message"]), ERR_FG)
        self.show(self.entry)

    def _toggle(self) -> None:
        self.entry.configure(show="" if self.visible.get() else "•")

    def _busy(self, busy: bool) -> None:
        state = "disabled" if busy else "normal"
        self.entry.configure(state=state)
        self.ok_button.configure(state=state)

    def submit(self) -> None:
        if str(self.entry.cget("state")) == "disabled":
            return
        key = self.key.get().strip()
        if not key:
            self.set_status("Paste your API key first.", ERR_FG)
            return
        if any(c.isspace() for c in key) or not key.isprintable():
            self.set_status("An API key is one word of printable characters.", ERR_FG)
            return
        self._busy(True)
        self.set_status("Checking the key with the server…")
        self.emit({"event": "submit", "key": key})

    def on_message(self, message: Event) -> None:
        if message.get("event") != "result":
            return
        if message.get("ok"):
            self.set_status(_clean(message.get("message") or "Signed in."), OK_FG)
            self.root.after(700, self.close)
            return
        self._busy(False)
        self.set_status(_clean(message.get("message") or "That key did not work."), ERR_FG)
        self.entry.select_range(0, "end")
        self.entry.focus_set()


class Describe(_Form):
    title = "New timer"

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        super().__init__(root, request, emit, kind)
        self.heading.configure(text=_clean(request.get("heading") or "Start a new timer", 80))
        ttk.Label(self.body, text=_clean(request.get("prompt") or "What are you working on?")
                  ).grid(row=0, column=0, sticky="w")
        raw = request.get("suggestions")
        values = [_clean(s, 80) for s in raw if isinstance(s, str)] if isinstance(raw, list) \
            else []
        self.text = tk.StringVar(value=_clean(request.get("initial") or "", 200))
        self.entry = ttk.Combobox(self.body, textvariable=self.text, values=values, width=44)
        self.entry.grid(row=1, column=0, sticky="we", pady=(6, 0))
        self.add_buttons(_clean(request.get("ok") or "Start", 20), self.submit)
        root.bind("<Return>", lambda _e: self.submit())
        self.show(self.entry)

    def submit(self) -> None:
        text = " ".join(self.text.get().split())
        if not text:
            self.set_status("Type a description, or pick a recent one.", ERR_FG)
            return
        self.finish({"event": "submit", "text": text[:500]})


class Confirm(_Form):
    title = "Confirm"

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        super().__init__(root, request, emit, kind)
        root.title(f"{_clean(request.get('title') or 'Confirm', 60)} — {APP}")
        self.heading.configure(text=_clean(request.get("heading") or "Are you sure?", 80))
        ttk.Label(self.body, wraplength=420, justify="left",
                  text=_clean(request.get("message") or "", 400)).grid(row=0, column=0,
                                                                         sticky="w")
        self.add_buttons(_clean(request.get("ok") or "OK", 24),
                         lambda: self.finish({"event": "submit", "ok": True}),
                         cancel_text=_clean(request.get("cancel") or "Cancel", 24),
                         default_ok=False)
        cancel = self.buttons.grid_slaves(row=0, column=0)[0]

        def press(_e: Any) -> None:
            widget = root.focus_get()
            if isinstance(widget, ttk.Button):
                widget.invoke()

        root.bind("<Return>", press)
        self.show(cancel)


class SettingsForm(_Form):
    title = "Settings"

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        super().__init__(root, request, emit, kind)
        self.heading.configure(text=f"{APP} settings")
        self.vars: dict[str, tk.BooleanVar | tk.StringVar] = {}
        self.widgets: list[tk.Widget] = []
        row = 0
        fields = request.get("fields") if isinstance(request.get("fields"), list) else []
        assert isinstance(fields, list)
        for spec in fields:
            if not isinstance(spec, dict) or not isinstance(spec.get("key"), str):
                continue
            key, kind_ = spec["key"], spec.get("type", "text")
            label = _clean(spec.get("label") or key, 60)
            help_text = _clean(spec.get("help") or "", 160)
            widget: tk.Widget
            if kind_ == "bool":
                var: tk.BooleanVar | tk.StringVar = tk.BooleanVar(value=bool(spec.get("value")))
                widget = ttk.Checkbutton(self.body, text=label, variable=var)
                widget.grid(row=row, column=0, columnspan=2, sticky="w", pady=(6, 0))
            else:
                ttk.Label(self.body, text=label).grid(row=row, column=0, sticky="w",
                                                      pady=(6, 0), padx=(0, 12))
                var = tk.StringVar(value=str(spec.get("value", "")))
                if kind_ == "int":
                    widget = ttk.Spinbox(self.body, textvariable=var, width=8,
                                         from_=spec.get("min", 0), to=spec.get("max", 10**6))
                else:
                    widget = ttk.Entry(self.body, textvariable=var, width=40)
                widget.grid(row=row, column=1, sticky="w", pady=(6, 0))
            self.vars[key] = var
            self.widgets.append(widget)
            row += 1
            if help_text:
                ttk.Label(self.body, text=help_text, foreground=DIM_FG, wraplength=420).grid(
                    row=row, column=0 if kind_ == "bool" else 1, columnspan=2, sticky="w")
                row += 1
        if request.get("note"):
            self.set_status(_clean(request["note"], 300))
        self.add_buttons("Save", self.submit)
        root.bind("<Return>", lambda _e: self.submit())
        self.show(self.widgets[0] if self.widgets else self.ok_button)

    def submit(self) -> None:
        values: dict[str, Any] = {}
        for key, var in self.vars.items():
            value = var.get()
            values[key] = value if isinstance(value, bool) else str(value).strip()
        self.ok_button.configure(state="disabled")
        self.set_status("Saving…")
        self.emit({"event": "submit", "values": values})

    def on_message(self, message: Event) -> None:
        if message.get("event") != "result":
            return
        if message.get("ok"):
            self.set_status(_clean(message.get("message") or "Saved."), OK_FG)
            self.root.after(400, self.close)
            return
        self.ok_button.configure(state="normal")
        self.set_status(_clean(message.get("message") or "Not saved."), ERR_FG)


class PopupMenu(_Base):
    """The full tray menu as a Tk popup, for backends without a native menu."""

    def __init__(self, root: tk.Tk, request: Event, emit: Emit, kind: str) -> None:
        super().__init__(root, request, emit, kind)
        root.withdraw()
        base = tkfont.nametofont("TkMenuFont")
        self.bold = base.copy()
        self.bold.configure(weight="bold")
        self.small = base.copy()
        self.small.configure(size=max(7, int(base.cget("size")) - 1), slant="italic")
        self.menu = tk.Menu(root, tearoff=0)
        self.chosen = False
        self.ids: list[str | None] = []
        items = request.get("items")
        self._build(self.menu, items if isinstance(items, list) else [], self.ids)
        self.menu.bind("<Unmap>", lambda _e: root.after(250, self._dismissed))
        self.menu.bind("<Map>", lambda _e: root.after(20, self._probe_entries))
        root.after(10, self._post)

    def _build(self, menu: tk.Menu, items: list[Any], ids: list[str | None]) -> None:
        for entry in items:
            if not isinstance(entry, dict):
                continue
            ident = entry.get("id") if isinstance(entry.get("id"), str) else None
            text = _clean(entry.get("text", ""), 120)
            role = entry.get("role", "")
            active = bool(entry.get("active")) and bool(entry.get("enabled", True))
            if role == "separator":
                menu.add_separator()
            elif isinstance(entry.get("submenu"), list):
                sub = tk.Menu(menu, tearoff=0)
                self._build(sub, entry["submenu"], [])
                menu.add_cascade(label=text, menu=sub, state="normal" if active else "disabled")
            elif "checked" in entry:
                var = tk.BooleanVar(value=bool(entry["checked"]))
                setattr(menu, f"_var{len(ids)}", var)  # keep it alive
                menu.add_checkbutton(label=text, variable=var, onvalue=True, offvalue=False,
                                     command=self._choose(ident if entry.get("command") else None),
                                     state="normal" if active else "disabled")
            elif entry.get("command") and active:
                menu.add_command(label=text, command=self._choose(ident))
            else:
                font = self.bold if role == "header" else self.small if role == "section" \
                    else None
                options: dict[str, Any] = {"label": text, "state": "disabled"}
                if font is not None:
                    options["font"] = font
                menu.add_command(**options)
            ids.append(ident)

    def _choose(self, ident: str | None) -> Callable[[], None]:
        def chosen() -> None:
            self.chosen = True
            if ident is None:
                self.cancel()
            else:
                self.finish({"event": "choose", "id": ident})

        return chosen

    def _post(self) -> None:
        x, y = self.request.get("x"), self.request.get("y")
        if not isinstance(x, int) or not isinstance(y, int):
            x, y = self.root.winfo_pointerxy()
        above = self.request.get("above")
        self.menu.update_idletasks()
        height = self.menu.winfo_reqheight()
        if isinstance(above, int) and y + height > self.root.winfo_screenheight():
            y = max(0, above - height)  # the panel is at the bottom: open upwards
        self.menu.tk_popup(x, y)
        try:
            self.menu.focus_force()
        except tk.TclError:
            pass

    def _dismissed(self) -> None:
        if not self.chosen and self.alive:
            self.cancel()

    def _probe_entries(self) -> None:
        if not self.request.get("probe") or not self.alive:
            return
        menu = self.menu
        last = menu.index("end")
        entries = []
        if last is not None:
            rootx, rooty, width = menu.winfo_rootx(), menu.winfo_rooty(), menu.winfo_width()
            for i in range(last + 1):
                top = menu.yposition(i)
                bottom = menu.yposition(i + 1) if i < last else menu.winfo_height()
                kind = menu.type(i)
                entries.append({
                    "id": self.ids[i] if i < len(self.ids) else None,
                    "type": kind,
                    "text": menu.entrycget(i, "label") if kind != "separator" else "",
                    "state": menu.entrycget(i, "state") if kind != "separator" else "",
                    "x": rootx + width // 2,
                    "y": rooty + (top + bottom) // 2,
                })
        write_probe(self.request, self.kind, {"window": menu.winfo_id(), "entries": entries})


_KINDS: dict[str, Callable[[tk.Tk, Event, Emit, str], _Base]] = {
    "signin": SignIn,
    "describe": Describe,
    "confirm": Confirm,
    "settings": SettingsForm,
    "menu": PopupMenu,
}

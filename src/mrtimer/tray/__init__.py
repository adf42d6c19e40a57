"""The system-tray app: pystray icon and menu, icon rendering, the one UI door,
dialogs in a child process.

Modules: :mod:`.model` (what is shown: a pure function of the core state),
:mod:`.icons` (Pillow rendering), :mod:`.controller` (the door between threads and
the UI thread), :mod:`.backend` (pystray, evened out across backends),
:mod:`.dialogs` (child-process dialogs), :mod:`.session`, :mod:`.single`,
:mod:`.main` (``run_tray``). Importing this package imports no UI toolkit.
"""

"""Meet and Rock Timer: a system-tray time tracker for the Meet and Rock Timer API."""

__version__ = "0.1.0"

__all__ = ["__version__"]

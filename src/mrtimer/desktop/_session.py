"""Which desktop we run on: decides what each feature can use (pure, env injected)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["Session"]

OS = Literal["linux", "windows", "macos", "other"]
Display = Literal["x11", "wayland", "none", "native"]


@dataclass(frozen=True)
class Session:
    os: OS
    display: Display
    desktop: str = ""  # XDG_CURRENT_DESKTOP, lower case ("gnome", "kde", ...)

    @classmethod
    def detect(cls, env: Mapping[str, str] | None = None,
               platform: str | None = None) -> Session:
        env = os.environ if env is None else env
        platform = sys.platform if platform is None else platform
        if platform == "win32":
            return cls("windows", "native")
        if platform == "darwin":
            return cls("macos", "native")
        kind: OS = "linux" if platform.startswith(("linux", "freebsd", "openbsd")) else "other"
        desktop = env.get("XDG_CURRENT_DESKTOP", "").lower()
        session_type = env.get("XDG_SESSION_TYPE", "").lower()
        # XWayland sets DISPLAY inside a Wayland session, but an X client there sees only
        # other X clients' keys: the session type decides first.
        if session_type == "wayland" or (env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")):
            return cls(kind, "wayland", desktop)
        if env.get("DISPLAY"):
            return cls(kind, "x11", desktop)
        return cls(kind, "none", desktop)

    @property
    def wayland(self) -> bool:
        return self.display == "wayland"

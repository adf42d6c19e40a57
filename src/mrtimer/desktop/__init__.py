"""Desktop integration: global hotkeys, notifications, start at login, idle, reminders.

Each part is optional at run time: what a platform can't provide becomes one line in
``DesktopIntegration.status().notes`` and the rest keeps working. Nothing here imports
pynput, Xlib or jeepney at import time (they fail without a display or a bus).
"""

from ._integration import (
    DesktopController,
    DesktopIntegration,
    DesktopStatus,
    Prompt,
    PromptAction,
    state_notifications,
)
from ._session import Session
from ._settings import DesktopSettings, WorkingHours

__all__ = [
    "DesktopController",
    "DesktopIntegration",
    "DesktopSettings",
    "DesktopStatus",
    "Prompt",
    "PromptAction",
    "Session",
    "WorkingHours",
    "state_notifications",
]

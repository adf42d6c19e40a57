"""The settings desktop integration reads: core's own :class:`Settings` (validated,
one set of defaults), re-exported under the name the desktop package uses."""

from __future__ import annotations

from mrtimer.core.schedule import WorkingHours
from mrtimer.core.settings import Settings as DesktopSettings

__all__ = ["DesktopSettings", "WorkingHours"]

"""The local sandbox API: the test suite's real HTTP peer and a try-out for new users."""

from ._server import DEMO_TASKS, Fault, Faults, SandboxServer

__all__ = ["DEMO_TASKS", "Fault", "Faults", "SandboxServer"]

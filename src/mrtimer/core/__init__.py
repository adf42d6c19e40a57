"""The tracking core: state, actions, durable outbox, settings, secrets (no UI imports)."""

from .app import SANDBOX_KEY, App, origin_of
from .clock import Clock, SystemClock
from .outbox import Action, Outbox
from .paths import Paths
from .secrets import ENV_VAR, SERVICE, KeyStore, SecretsUnavailable
from .settings import SETTING_HELP, Settings, SettingsError
from .state import AuthStatus, RecentTask, Running, Snapshot, TrackerState
from .tracker import Refused, SyncOutcome, Tracker
from .worker import Worker

__all__ = [
    "ENV_VAR",
    "SANDBOX_KEY",
    "SERVICE",
    "SETTING_HELP",
    "Action",
    "App",
    "AuthStatus",
    "Clock",
    "KeyStore",
    "Outbox",
    "Paths",
    "RecentTask",
    "Refused",
    "Running",
    "SecretsUnavailable",
    "Settings",
    "SettingsError",
    "Snapshot",
    "SyncOutcome",
    "SystemClock",
    "Tracker",
    "TrackerState",
    "Worker",
    "origin_of",
]

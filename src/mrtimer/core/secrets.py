"""The API key: OS keyring (service ``meetandrock-timer``), or ``MRTIMER_API_KEY``.

The key is held only in memory here and handed to the HTTP layer through a callable;
it is never written to settings, logs, argv or messages.
"""

from __future__ import annotations

import os
import threading

__all__ = ["ENV_VAR", "SERVICE", "KeyStore", "SecretsUnavailable"]

SERVICE = "meetandrock-timer"
ENV_VAR = "MRTIMER_API_KEY"


class SecretsUnavailable(RuntimeError):
    """No usable OS keyring; the message names the environment variable."""


_NO_KEYRING = (
    f"no OS keyring is available to store the API key; set {ENV_VAR} in the environment "
    "instead (or install and unlock a keyring such as GNOME Keyring or KWallet)"
)


class KeyStore:
    """One key per API origin, cached in memory after the first lookup."""

    def __init__(self, account: str) -> None:
        self.account = account
        self._lock = threading.Lock()
        self._cached: str | None = None
        self._loaded = False

    @property
    def from_env(self) -> bool:
        return bool(os.environ.get(ENV_VAR, "").strip())

    def get(self) -> str | None:
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            return env
        with self._lock:
            if not self._loaded:
                import keyring.errors  # imported when first needed: it is slow to load

                try:
                    self._cached = keyring.get_password(SERVICE, self.account)
                except keyring.errors.NoKeyringError:
                    self._cached = None
                except keyring.errors.KeyringError as exc:
                    raise SecretsUnavailable(f"keyring error: {type(exc).__name__}") from None
                self._loaded = True
            return self._cached

    def get_quiet(self) -> str | None:
        """For the HTTP layer: never raises, ``None`` when there is no key."""
        try:
            return self.get()
        except SecretsUnavailable:
            return None

    def set(self, key: str) -> None:
        import keyring.errors

        try:
            keyring.set_password(SERVICE, self.account, key)
        except keyring.errors.NoKeyringError:
            raise SecretsUnavailable(_NO_KEYRING) from None
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(
                f"could not store the key in the keyring ({type(exc).__name__}); "
                f"set {ENV_VAR} instead"
            ) from None
        with self._lock:
            self._cached, self._loaded = key, True

    def delete(self) -> bool:
        """Remove the stored key; False when there was none."""
        import keyring.errors

        try:
            keyring.delete_password(SERVICE, self.account)
            found = True
        except keyring.errors.PasswordDeleteError:
            found = False
        except keyring.errors.NoKeyringError:
            raise SecretsUnavailable(_NO_KEYRING) from None
        with self._lock:
            self._cached, self._loaded = None, True
        return found

    def has_backend(self) -> bool:
        import keyring

        backend = keyring.get_keyring()
        return not type(backend).__module__.startswith("keyring.backends.fail")

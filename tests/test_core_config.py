"""Settings, paths, the key store and logging."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from mrtimer.core import KeyStore, Paths, SecretsUnavailable, Settings, SettingsError
from mrtimer.core.logs import setup_logging


def test_paths_under_mrtimer_home(clean_env: Path) -> None:
    p = Paths.default()
    assert p.config_dir == clean_env / "config" and p.log_dir == clean_env / "logs"
    assert p.settings_file.parent == p.config_dir and p.outbox_db.parent == p.data_dir


def test_paths_default_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MRTIMER_HOME")
    p = Paths.default()
    assert "mrtimer" in str(p.config_dir) and "mrtimer" in str(p.cache_dir)


def test_settings_round_trip_atomically(tmp_path: Path) -> None:
    path = tmp_path / "c" / "settings.toml"
    assert Settings.load(path) == Settings()
    s = Settings().with_value("poll_interval", "120").with_value("notifications", "off")
    s.save(path)
    assert Settings.load(path) == s
    assert [f.name for f in path.parent.iterdir()] == ["settings.toml"]  # no temp leftovers
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("poll_interval = 'often'", "poll_interval: a whole number expected"),
        ("poll_interval = 1", "poll_interval: seconds between 15 and 3600"),
        ("base_url = 'http://api.example.com'", "refusing plain http://"),
        ("this is not toml", "is not valid TOML"),
        ("notifications = 1", "notifications: true or false expected"),
    ],
)
def test_bad_settings_have_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as err:
        Settings.load(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_settings_are_ignored_and_unknown_keys_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("future_option = true\npoll_interval = 90\n")
    assert Settings.load(path).poll_interval == 90
    with pytest.raises(SettingsError, match="unknown setting"):
        Settings().with_value("nope", "1")


def test_keystore_env_overrides_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore("https://api.example.test")
    assert store.get() is None
    store.set("from-keyring")
    assert KeyStore("https://api.example.test").get() == "from-keyring"
    assert KeyStore("https://other.example.test").get() is None  # one key per origin
    monkeypatch.setenv("MRTIMER_API_KEY", "from-env")
    assert store.get() == "from-env" and store.from_env
    assert store.delete() and not KeyStore("https://api.example.test").delete()


def test_no_keyring_backend_names_the_variable() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = KeyStore("https://api.example.test")
    assert store.get() is None  # reading: simply no key
    assert not store.has_backend()
    with pytest.raises(SecretsUnavailable) as err:
        store.set("k")
    assert "MRTIMER_API_KEY" in str(err.value)


def test_logs_rotate_and_mask_the_key(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "mrtimer.log"
    handler = setup_logging(log_file, lambda: "SUPERSECRET")
    log = logging.getLogger("mrtimer.test")
    log.warning("header was Authorization: Bearer SUPERSECRET")
    log.warning("raw %s", "SUPERSECRET")
    log.warning("other bearer abc.def")
    for i in range(12000):
        log.info("line %d %s", i, "x" * 400)
    handler.flush()
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == ["mrtimer.log", "mrtimer.log.1", "mrtimer.log.2", "mrtimer.log.3"]
    text = "".join(p.read_text() for p in log_file.parent.iterdir())
    assert "SUPERSECRET" not in text and "abc.def" not in text
    logging.getLogger("mrtimer").removeHandler(handler)
    handler.close()


def test_system_env_undoes_the_frozen_bundle_paths() -> None:
    from mrtimer.core.sysenv import system_env

    bundle = {"LD_LIBRARY_PATH": "/usr/lib/mrtimer/_internal", "LD_LIBRARY_PATH_ORIG": "/opt/x",
              "GI_TYPELIB_PATH": "/usr/lib/mrtimer/_internal/gi", "HOME": "/home/u"}
    assert system_env(bundle, frozen=True, platform="linux") == {
        "LD_LIBRARY_PATH": "/opt/x", "HOME": "/home/u"}
    del bundle["LD_LIBRARY_PATH_ORIG"]
    assert "LD_LIBRARY_PATH" not in system_env(bundle, frozen=True, platform="linux")
    assert system_env(bundle, frozen=False, platform="linux") == bundle
    assert system_env(bundle, frozen=True, platform="win32") == bundle

"""One tray per user, and `mrtimer tray` where no tray can be shown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mrtimer.tray.main import ALREADY_RUNNING, run_tray
from mrtimer.tray.single import SingleInstance

from conftest import wait_until

TESTS = Path(__file__).resolve().parent


def test_the_second_instance_reaches_the_first(tmp_path: Path) -> None:
    first, second = SingleInstance(tmp_path), SingleInstance(tmp_path)
    asked: list[str] = []
    assert first.acquire()
    first.serve(asked.append)
    try:
        assert not second.acquire()
        assert second.ask_running("show-menu")
        assert wait_until(lambda: asked == ["show-menu"], timeout=5)
        info = json.loads((tmp_path / "tray.instance").read_text())
        assert oct((tmp_path / "tray.instance").stat().st_mode & 0o777) == "0o600"
        # Without the token (another user, a stray process) nothing happens.
        with socket.create_connection(("127.0.0.1", info["port"]), timeout=2) as conn:
            conn.sendall(b"wrong-token show-menu\n")
            assert conn.recv(16) == b""
        assert asked == ["show-menu"]
    finally:
        first.close()
    assert not (tmp_path / "tray.instance").exists()
    assert second.acquire()  # released with the first
    assert not second.ask_running()  # nobody listens any more
    second.close()


def test_run_tray_says_one_is_running_and_exits_0(
        clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mrtimer.core import Paths

    paths = Paths.default()
    paths.ensure()
    holder = SingleInstance(paths.data_dir)
    asked: list[str] = []
    assert holder.acquire()
    holder.serve(asked.append)
    try:
        assert run_tray() == 0
        assert capsys.readouterr().out.strip() == ALREADY_RUNNING
        assert wait_until(lambda: asked == ["show-menu"], timeout=5)
    finally:
        holder.close()


def test_without_a_display_the_tray_explains_and_exits_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY") and not k.startswith("MRTIMER_")}
    env.update({
        "MRTIMER_HOME": str(tmp_path / "home"),
        "PYSTRAY_BACKEND": "xorg",
        "PYTHONPATH": os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]),
        "PYTHON_KEYRING_BACKEND": "memkeyring.FileKeyring",
        "MRTIMER_TEST_KEYRING": str(tmp_path / "keyring.json"),
    })
    result = subprocess.run([sys.executable, "-m", "mrtimer", "tray"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "cannot show a tray icon (no graphical session" in result.stderr
    assert "Traceback" not in result.stderr
    # The lock was released: a later start is not told one is running.
    again = subprocess.run([sys.executable, "-m", "mrtimer", "tray"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and ALREADY_RUNNING not in again.stdout

"""Linux start at login for real: the file written, validated, and its Exec run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mrtimer import __version__
from mrtimer.desktop.autostart import LinuxAutostart, launch_command, sync_autostart


def need_validator() -> None:
    if shutil.which("desktop-file-validate") is None:
        msg = "needs desktop-file-validate: apt-get install -y desktop-file-utils"
        if os.environ.get("MRTIMER_REQUIRE_X11") == "1":
            pytest.fail(msg)
        pytest.skip(msg)


def write_and_check(tmp_path: Path, command: list[str]) -> list[str]:
    """Write the entry, validate it, and return the Exec read back from the file."""
    entry = LinuxAutostart(tmp_path / "config")
    assert sync_autostart(entry, True, command)
    done = subprocess.run(["desktop-file-validate", str(entry.path)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr
    assert oct(entry.path.stat().st_mode & 0o777) == "0o644"
    exec_args = entry.registered()
    assert exec_args == command
    return exec_args


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MRTIMER_HOME": str(tmp_path / "home")}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def test_module_command_is_written_valid_and_starts(tmp_path: Path) -> None:
    need_validator()
    command = launch_command()  # under pytest: this interpreter with -m mrtimer tray
    assert command == [sys.executable, "-m", "mrtimer", "tray"]
    exec_args = write_and_check(tmp_path, command)
    shown = run([*exec_args, "--help"], tmp_path)  # the very command, up to "tray"
    assert shown.returncode == 0 and "system-tray app" in shown.stdout, shown.stderr
    version = run([*exec_args[:-1], "--version"], tmp_path)
    assert version.returncode == 0 and __version__ in version.stdout


def test_installed_script_in_an_awkward_path(tmp_path: Path) -> None:
    need_validator()
    script = shutil.which("mrtimer")
    if script is None:
        pytest.skip("the mrtimer script is not installed (pip install -e .)")
    odd = tmp_path / "my apps $HOME 100%" / "bin"
    odd.mkdir(parents=True)
    link = odd / "mrtimer"
    link.symlink_to(script)
    command = launch_command(frozen=False, argv0=str(link), windows=False)
    assert command == [str(link.resolve()), "tray"]
    # resolve() follows the link; register the awkward path itself to test the quoting.
    command = [str(link), "tray"]
    exec_args = write_and_check(tmp_path, command)
    shown = run([*exec_args, "--help"], tmp_path)
    assert shown.returncode == 0 and "system-tray app" in shown.stdout, shown.stderr


@pytest.mark.x11
def test_the_registered_exec_line_starts_the_tray(tmp_path: Path) -> None:
    """What the session manager would run at login, run as is: the icon docks."""
    from mrtimer.sandbox import SandboxServer

    import x11

    need_validator()
    x11.require()
    exec_args = write_and_check(tmp_path, launch_command())
    (tmp_path / "x11").mkdir()
    with SandboxServer(port=0) as server, \
            x11.Desktop.start(tmp_path / "x11", timeout=30) as desktop:
        env = {"MRTIMER_HOME": str(tmp_path / "home"), "MRTIMER_API_KEY": "autostart-key",
               "MRTIMER_BASE_URL": server.base_url, "PYSTRAY_BACKEND": "xorg"}
        proc = desktop.spawn(exec_args, env=env)
        icon = desktop.wait_for_icon(timeout=30)
        assert icon.width > 1 and proc.poll() is None
        x11.poll(lambda: server.request_count() > 0, 15, what="the tray's first refresh")
        desktop.stop(proc)

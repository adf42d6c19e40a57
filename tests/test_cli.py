"""The `mrtimer` command line as a user runs it: real processes against the sandbox."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mrtimer.api import ApiClient
from mrtimer.sandbox import Fault, SandboxServer

from conftest import wait_until

KEY = "cli-SECRET-key-4d2f91"
TESTS = Path(__file__).parent


class Cli:
    def __init__(self, home: Path, keyring_file: Path, base_url: str) -> None:
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith("MRTIMER_")
        }
        self.env.update({
            "MRTIMER_HOME": str(home),
            "MRTIMER_BASE_URL": base_url,
            "PYTHON_KEYRING_BACKEND": "memkeyring.FileKeyring",
            "MRTIMER_TEST_KEYRING": str(keyring_file),
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        })
        self.home = home

    def popen(self, *args: str, **kw: object) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "mrtimer", *args], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.PIPE, **kw)  # type: ignore[call-overload]

    def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "mrtimer", *args], input=stdin,
                                env={**self.env, **(env or {})}, capture_output=True,
                                text=True, timeout=60)
        assert "Traceback" not in result.stderr, result.stderr
        if result.returncode != 0:  # exactly one line explaining why
            assert result.stderr.count("\n") == 1, result.stderr
        return result


@pytest.fixture
def cli(clean_env: Path, tmp_path: Path, sandbox: SandboxServer) -> Cli:
    return Cli(clean_env, tmp_path / "keyring.json", sandbox.base_url)


@pytest.fixture
def signed_in(cli: Cli) -> Cli:
    r = cli("login", stdin=KEY + "\n")
    assert r.returncode == 0, r.stderr
    return cli


def server_roots(server: SandboxServer) -> list:  # type: ignore[type-arg]
    with ApiClient(server.base_url, lambda: KEY) as c:
        return c.list_week()


def test_version_and_help(cli: Cli) -> None:
    from mrtimer import __version__

    assert cli("--version").stdout.strip() == f"mrtimer {__version__}"
    out = cli("--help").stdout
    for command in ("login", "status", "start", "stop", "toggle", "list", "recent", "delete",
                    "sandbox", "tray", "queue", "config"):
        assert command in out


def test_end_to_end(signed_in: Cli, sandbox: SandboxServer) -> None:
    cli = signed_in
    r = cli("status")
    assert r.returncode == 0 and "Not tracking." in r.stdout
    r = cli("start", "Fix login bug", "--task", "task-1")
    assert r.returncode == 0 and r.stdout.startswith("Started Fix login bug at ")
    r = cli("start", "Review")
    assert r.returncode == 1 and "a timer is running: Fix login bug" in r.stderr
    assert "--switch" in r.stderr
    r = cli("start", "Review", "--switch")
    assert r.returncode == 0
    status = json.loads(cli("status", "--json").stdout)
    assert status["running"]["description"] == "Review"
    assert set(status["running"]) >= {"id", "description", "task_id", "project_id", "start",
                                      "elapsed_seconds"}
    assert status["pending_actions"] == [] and status["failed_actions"] == []
    assert isinstance(status["today_seconds"], int) and isinstance(status["week_seconds"], int)
    r = cli("toggle")
    assert r.returncode == 0 and r.stdout.startswith("Stopped Review")
    r = cli("toggle")
    assert r.returncode == 0 and r.stdout.startswith("Resumed Review")
    r = cli("stop")
    assert r.returncode == 0 and r.stdout.startswith("Stopped")
    r = cli("stop")
    assert r.returncode == 1 and r.stderr.strip() == "mrtimer: nothing is running"
    listing = json.loads(cli("list", "--json").stdout)
    assert [t["description"] for t in listing] == ["Fix login bug", "Review"]
    assert len(listing[1]["children"]) == 1
    text = cli("list").stdout
    assert "↳" in text and "Fix login bug" in text
    recent = json.loads(cli("recent", "--json").stdout)
    assert [r["description"] for r in recent] == ["Review", "Fix login bug"]
    r = cli("start", "--resume", listing[0]["id"])
    assert r.returncode == 0
    r = cli("stop")
    r = cli("delete", listing[0]["id"])
    assert r.returncode == 0
    assert [t.description for t in server_roots(sandbox)] == ["Review"]
    r = cli("delete", listing[0]["id"])
    assert r.returncode == 1 and "not found" in r.stderr
    assert cli("list", "--date", "2020-01-01").stdout.strip() == "No timers that week."
    assert cli("logout").stdout.strip() == "Signed out."
    assert cli("status").returncode == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("list", "--date", "2026-02-30"), 2, "bad date '2026-02-30'"),
        (("--base-url", "http://api.example.com/v1", "status"), 2, "refusing plain http://"),
        (("--base-url", "nonsense", "status"), 2, "invalid base URL"),
        (("frobnicate",), 2, "No such command"),
        (("start", "--task"), 2, "requires an argument"),
        (("config", "set", "poll_interval", "fast"), 2, "poll_interval: a whole number"),
        (("status",), 3, "no API key"),
        (("queue", "--retry", "99"), 1, "no failed action 99"),
    ],
)
def test_usage_errors(cli: Cli, args: tuple[str, ...], code: int, message: str) -> None:
    r = cli(*args)
    assert r.returncode == code and message in r.stderr and r.stderr.startswith("mrtimer: ")


def test_login_validates_before_storing(cli: Cli, sandbox: SandboxServer) -> None:
    sandbox.key = "the-real-key"
    r = cli("login", stdin="wrong-key\n")
    assert r.returncode == 3 and "refused this key" in r.stderr and "wrong-key" not in r.stderr
    assert cli("status").returncode == 3
    r = cli("login", stdin="")
    assert r.returncode == 2 and "no API key given" in r.stderr
    assert cli("login", stdin="the-real-key\n").returncode == 0
    assert cli("status").returncode == 0


def test_login_without_keyring_names_the_variable(cli: Cli) -> None:
    r = cli("login", stdin=KEY, env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert r.returncode == 3 and "MRTIMER_API_KEY" in r.stderr
    r = cli("status", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                           "MRTIMER_API_KEY": KEY})
    assert r.returncode == 0


def test_conflict_and_401_exit_codes(signed_in: Cli, sandbox: SandboxServer) -> None:
    ApiClient(sandbox.base_url, lambda: KEY).play(description="from the web app")
    r = signed_in("start", "mine")
    assert r.returncode == 1 and "from the web app" in r.stderr
    sandbox.key = "rotated"
    r = signed_in("status")
    assert r.returncode == 3 and "refused" in r.stderr


def test_unreachable_queues_then_next_command_sends(signed_in: Cli, sandbox: SandboxServer
                                                    ) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = {"MRTIMER_BASE_URL": f"http://127.0.0.1:{port}/v1/dev",
            "MRTIMER_API_KEY": KEY}
    r = signed_in("start", "on the train", env=down)
    assert r.returncode == 4 and "queued" in r.stderr
    status = json.loads(signed_in("status", "--json", env=down).stdout)
    assert status["running"]["description"] == "on the train" and status["running"]["pending"]
    assert len(status["pending_actions"]) == 1 and status["online"] is False
    with SandboxServer(port=port) as back:
        r = signed_in("status", env=down)
        assert r.returncode == 0 and "Tracking: on the train" in r.stdout
        assert [t.description for t in server_roots(back)] == ["on the train"]
        signed_in("status", env=down)
        assert len(server_roots(back)) == 1


def test_killed_mid_request_replays_exactly_once(signed_in: Cli, sandbox: SandboxServer
                                                 ) -> None:
    sandbox.faults.add(Fault("delay", method="POST", path_contains="play", seconds=30))
    proc = signed_in.popen("start", "interrupted")
    assert wait_until(lambda: any(p.endswith("/timer/play") for _, p in sandbox.requests))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    sandbox.delay_gate.set()  # the server finishes the request nobody waits for
    assert wait_until(lambda: len(server_roots(sandbox)) == 1)
    sandbox.delay_gate.clear()
    r = signed_in("status")
    assert r.returncode == 0 and "Tracking: interrupted" in r.stdout
    assert len(server_roots(sandbox)) == 1
    assert json.loads(signed_in("status", "--json").stdout)["pending_actions"] == []


def test_killed_before_sending_replays_once(signed_in: Cli, sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault("delay", method="GET", seconds=30))  # the first list hangs
    proc = signed_in.popen("start", "queued then killed")
    assert wait_until(lambda: any(m == "GET" for m, _ in sandbox.requests))
    # The action is on disk only once the pre-sync finishes; kill during it: nothing queued.
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    sandbox.delay_gate.set()
    sandbox.faults.clear()
    assert server_roots(sandbox) == []
    # Now an action that is on disk but never sent (network down at the time).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = signed_in("start", "queued", env={"MRTIMER_BASE_URL": f"http://127.0.0.1:{port}/v1/dev",
                                          "MRTIMER_API_KEY": KEY})
    assert r.returncode == 4
    with SandboxServer(port=port) as back:
        env = {"MRTIMER_BASE_URL": back.base_url, "MRTIMER_API_KEY": KEY}
        assert signed_in("status", env=env).returncode == 0
        assert signed_in("status", env=env).returncode == 0
        assert [t.description for t in server_roots(back)] == ["queued"]


def test_key_never_lands_in_files_or_output(signed_in: Cli, sandbox: SandboxServer,
                                            clean_env: Path) -> None:
    outputs = []
    for args in (("start", "secret check"), ("status", "--json"), ("list", "--json"),
                 ("recent", "--json"), ("queue", "--json"), ("config", "show"), ("stop",)):
        r = signed_in(*args)
        outputs.append(r.stdout + r.stderr)
    sandbox.key = "other"
    outputs.append(signed_in("status").stderr)
    files = [p for p in clean_env.rglob("*") if p.is_file()]
    assert any(p.name == "mrtimer.log" for p in files) and any(
        p.name == "outbox.sqlite3" for p in files)
    for p in files:
        assert KEY.encode() not in p.read_bytes(), p
    for text in outputs:
        assert KEY not in text


def test_config_commands(cli: Cli, clean_env: Path) -> None:
    assert cli("config", "set", "poll_interval", "120").stdout.strip() == "poll_interval = 120"
    assert "poll_interval = 120" in cli("config", "show").stdout
    assert str(clean_env / "config" / "settings.toml") in cli("config", "path").stdout

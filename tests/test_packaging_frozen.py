"""The frozen Linux app for real: PyInstaller onedir -> .deb -> dpkg -i -> run -> dpkg -r.

Marked ``packaging`` (select with ``-m packaging``). Needs Linux, PyInstaller, dpkg-deb
and binutils, and root for ``dpkg -i``; skipped with the reason otherwise, failed
instead when ``MRTIMER_REQUIRE_PACKAGING=1`` (as in CI).

The build is cached in ``$TMPDIR/mrtimer-packaging-cache/<hash of src/ and
packaging/>`` so the suite builds once (about 1.5 minutes on 2 cores, plus the .deb's
xz compression); measurements go to ``artifacts/packaging/metrics.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from mrtimer import __version__
from mrtimer.sandbox import SandboxServer

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
ARTIFACTS = ROOT / "artifacts" / "packaging"
REQUIRED = os.environ.get("MRTIMER_REQUIRE_PACKAGING") == "1"
PACKAGE = "meetandrock-timer"
CACHE_ROOT = Path(tempfile.gettempdir()) / "mrtimer-packaging-cache"
BIN = Path("/usr/bin/mrtimer")
APP_DIR = Path("/usr/lib/mrtimer")


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (MRTIMER_REQUIRE_PACKAGING=1)")
    pytest.skip(reason)


def _has_pyinstaller() -> bool:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        return False
    return True


def _build_key() -> str:
    """Hash of what goes into the build (sources, packaging, installed distributions),
    so a cached build is never stale."""
    digest = hashlib.sha256()
    for base in (ROOT / "src" / "mrtimer", PACKAGING):
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    import importlib.metadata

    import PyInstaller

    installed = sorted(f"{d.metadata['Name']}=={d.version}"
                       for d in importlib.metadata.distributions())
    digest.update(f"{PyInstaller.__version__} {sys.version} {installed}".encode())
    # CI builds for itself, never reusing a build a developer's session left behind
    digest.update(f"CI={os.environ.get('CI', '')}".encode())
    return digest.hexdigest()[:16]


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


@dataclass
class Built:
    onedir: Path
    deb: Path
    metrics: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def metrics() -> Iterator[dict[str, Any]]:
    values: dict[str, Any] = {}
    yield values
    if values:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "metrics.json").write_text(json.dumps(values, indent=2) + "\n")
        print("\npackaging metrics:", json.dumps(values, indent=2))


@pytest.fixture(scope="session")
def built(metrics: dict[str, Any]) -> Built:
    need(sys.platform.startswith("linux"), "the .deb is built on Linux")
    need(_has_pyinstaller(), "PyInstaller is not installed (pip install -e '.[build]')")
    for tool in ("dpkg-deb", "dpkg", "readelf", "strip", "objdump"):
        need(shutil.which(tool) is not None, f"{tool} is not installed")
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    # Another pytest session (another developer's run) may build at the same time.
    with FileLock(str(CACHE_ROOT / ".build.lock"), timeout=1800):
        return _build_or_reuse(metrics)


def _build_or_reuse(metrics: dict[str, Any]) -> Built:
    key = _build_key()
    cache = CACHE_ROOT / key
    done = cache / "done.json"
    if done.is_file():
        info = json.loads(done.read_text())
        metrics.update(info["metrics"], cached_build=True)
        return Built(Path(info["onedir"]), Path(info["deb"]), info["metrics"])
    for old in CACHE_ROOT.iterdir():  # older builds no session is likely to still use
        if old.is_dir() and old != cache and time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)  # a build that died half-way
    cache.mkdir(parents=True)
    env = {**os.environ, "MRTIMER_ICONS_QUIET": "1"}
    started = time.monotonic()
    subprocess.run([sys.executable, str(PACKAGING / "build.py"), "--no-installer",
                    "--dist", str(cache / "dist"), "--work", str(cache / "work")],
                   check=True, cwd=ROOT, env=env)
    pyinstaller_s = time.monotonic() - started
    onedir = cache / "dist" / "mrtimer"
    started = time.monotonic()
    out = subprocess.run([sys.executable, str(PACKAGING / "linux" / "build_deb.py"),
                          "--onedir", str(onedir), "--out", str(cache / "out")],
                         check=True, cwd=ROOT, env=env, capture_output=True, text=True)
    deb_s = time.monotonic() - started
    deb = Path(out.stdout.strip().splitlines()[-1])
    values = {
        "pyinstaller_build_s": round(pyinstaller_s, 1),
        "deb_build_s": round(deb_s, 1),
        "onedir_bytes": _du(onedir),
        "onedir_mb": round(_du(onedir) / 1e6, 1),
        "deb_bytes": deb.stat().st_size,
        "deb_mb": round(deb.stat().st_size / 1e6, 1),
    }
    done.write_text(json.dumps({"onedir": str(onedir), "deb": str(deb), "metrics": values}))
    metrics.update(values, cached_build=False)
    return Built(onedir, deb, values)


# -- the onedir ------------------------------------------------------------------------


def _pyz_modules(exe: Path) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader

    pkg = CArchiveReader(str(exe))
    names = set(pkg.toc)
    pyz = pkg.open_embedded_archive("PYZ.pyz")
    return names | set(pyz.toc)


def test_onedir_bundles_every_backend_and_the_assets(built: Built) -> None:
    modules = _pyz_modules(built.onedir / "mrtimer")
    sys.path.insert(0, str(PACKAGING))
    import pyi_common  # type: ignore[import-not-found]

    expected = [m for m in pyi_common.hidden_imports("linux") if not m.startswith("gi.repo")]
    missing = sorted(set(expected) - modules)
    assert not missing, f"not bundled: {missing}"
    for module in ("keyring.backends.SecretService", "secretstorage", "jeepney",
                   "pystray._appindicator", "pynput.keyboard._xorg", "Xlib.display",
                   "tkinter", "PIL.PngImagePlugin", "mrtimer.tray.dialogs"):
        assert module in modules, module
    internal = built.onedir / "_internal"
    typelibs = {p.name for p in (internal / "gi_typelibs").glob("*.typelib")}
    assert {"Gtk-3.0.typelib", "AyatanaAppIndicator3-0.1.typelib", "GdkPixbuf-2.0.typelib",
            "DBus-1.0.typelib"} <= typelibs
    assert (internal / "_tcl_data").is_dir() and (internal / "_tk_data").is_dir()
    entry_points = list(internal.glob("keyring-*.dist-info/entry_points.txt"))
    assert entry_points and "keyring.backends" in entry_points[0].read_text()
    assets = {p.name for p in (internal / "mrtimer" / "assets").glob("*.png")}
    shipped = {p.name for p in (ROOT / "src" / "mrtimer" / "assets").glob("*.png")}
    assert shipped and shipped <= assets


def test_onedir_leaves_out_what_is_not_needed(built: Built) -> None:
    modules = _pyz_modules(built.onedir / "mrtimer")
    for name in ("keyrings", "keyrings.alt", "pytest", "_pytest", "hypothesis", "numpy",
                 "PIL.AvifImagePlugin", "PIL.WebPImagePlugin", "PIL.SpiderImagePlugin",
                 "setuptools", "pip", "unittest.test", "tkinter.test", "tests"):
        assert name not in modules, f"{name} is bundled"
    assert not [m for m in modules if m.startswith(("keyrings.", "_pytest."))]
    internal = built.onedir / "_internal"
    files = {p.name for p in internal.rglob("*") if p.is_file()}
    for name in ("libpixbufloader-svg.so", "librsvg-2.so.2", "libicudata.so.72"):
        assert name not in files
    pil = internal / "PIL"
    assert not list(pil.glob("_avif*")) and not list(pil.glob("_webp*"))
    assert not (internal / "share" / "icons" / "Adwaita").exists()
    assert not list(internal.rglob("keyrings*"))
    # stripped: no debug sections left in libpython
    libpython = next(internal.glob("libpython3*.so*"))
    sections = subprocess.run(["readelf", "-S", "-W", str(libpython)], capture_output=True,
                              text=True, check=True).stdout
    assert ".debug_info" not in sections


# -- the .deb --------------------------------------------------------------------------


def test_deb_metadata_and_contents(built: Built) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(built.deb)], capture_output=True,
                            text=True, check=True).stdout
    control = dict(re.findall(r"^(\S+): (.*)$", fields, re.M))
    assert control["Package"] == PACKAGE
    assert control["Version"].startswith(__version__)
    depends = control["Depends"]
    assert re.search(r"libc6 \(>= 2\.\d+\)", depends) and "libgtk-3-0" in depends
    listing = subprocess.run(["dpkg-deb", "-c", str(built.deb)], capture_output=True,
                             text=True, check=True).stdout
    assert re.search(r"\./usr/bin/mrtimer -> \.\./lib/mrtimer/mrtimer$", listing, re.M)
    for path in ("./usr/lib/mrtimer/mrtimer", "./usr/share/applications/mrtimer.desktop",
                 "./usr/share/icons/hicolor/48x48/apps/mrtimer.png",
                 "./usr/share/icons/hicolor/256x256/apps/mrtimer.png",
                 "./usr/share/doc/meetandrock-timer/copyright",
                 "./usr/share/man/man1/mrtimer.1.gz"):
        assert re.search(rf" {re.escape(path)}$", listing, re.M), path
    assert " root/root " in listing and not re.search(r"^-rwx.* \./.*\.so(\.|$)", listing, re.M)


def test_deb_lintian_clean_after_triage(built: Built, metrics: dict[str, Any]) -> None:
    need(shutil.which("lintian") is not None, "lintian is not installed")
    started = time.monotonic()
    done = subprocess.run(["lintian", "--tag-display-limit", "0", str(built.deb)],
                          capture_output=True, text=True)
    metrics["lintian_s"] = round(time.monotonic() - started, 1)
    findings = [ln for ln in done.stdout.splitlines() if re.match(r"[EW]: ", ln)]
    assert not findings, "lintian (see docs/README-packaging.md):\n" + "\n".join(findings)


# -- installed -------------------------------------------------------------------------


def _installed() -> bool:
    return subprocess.run(["dpkg", "-s", PACKAGE], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def installed(built: Built) -> Iterator[Path]:
    need(os.geteuid() == 0, "dpkg -i needs root")
    # one session at a time between dpkg -i and dpkg -r
    with FileLock(str(CACHE_ROOT / ".dpkg.lock"), timeout=1800):
        subprocess.run(["dpkg", "-i", str(built.deb)], check=True, capture_output=True)
        try:
            yield BIN
        finally:
            if _installed():
                subprocess.run(["dpkg", "-r", PACKAGE], check=False, capture_output=True)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MRTIMER_", "PYTHON_KEYRING", "DBUS_SESSION"))}
    env.update(MRTIMER_HOME=str(home), **extra)
    return env


def _run(args: list[str], env: dict[str, str], stdin: str | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def test_installed_layout(installed: Path) -> None:
    assert installed.is_symlink() and os.readlink(installed) == "../lib/mrtimer/mrtimer"
    assert (APP_DIR / "mrtimer").stat().st_mode & 0o111
    desktop = Path("/usr/share/applications/mrtimer.desktop")
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(desktop)], check=True)
    assert Path("/usr/share/icons/hicolor/48x48/apps/mrtimer.png").is_file()


def test_frozen_version(installed: Path, tmp_path: Path, metrics: dict[str, Any]) -> None:
    env = _env(tmp_path)
    times = []
    for _ in range(5):
        started = time.monotonic()
        done = _run(["--version"], env)
        times.append(time.monotonic() - started)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"mrtimer {__version__}"
    metrics["version_first_s"] = round(times[0], 3)
    metrics["version_median_s"] = round(statistics.median(times), 3)


def test_frozen_status_and_start_against_the_sandbox(installed: Path, tmp_path: Path,
                                                     sandbox: SandboxServer) -> None:
    env = _env(tmp_path, MRTIMER_BASE_URL=sandbox.base_url, MRTIMER_API_KEY="frozen-key")
    done = _run(["status"], env)
    assert done.returncode == 0, done.stderr
    assert "Not tracking." in done.stdout
    done = _run(["start", "Frozen smoke test"], env)
    assert done.returncode == 0, done.stderr
    done = _run(["status", "--json"], env)
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["running"]["description"] == "Frozen smoke test" and state["online"]
    assert _run(["stop"], env).returncode == 0


def test_frozen_login_without_a_keyring_service(installed: Path, tmp_path: Path,
                                                sandbox: SandboxServer) -> None:
    """No D-Bus: keyring's fail backend; the CLI must say to use MRTIMER_API_KEY."""
    env = _env(tmp_path, MRTIMER_BASE_URL=sandbox.base_url)
    done = _run(["login"], env, stdin="frozen-key\n")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "MRTIMER_API_KEY" in done.stderr and "Traceback" not in done.stderr
    assert "no OS keyring" in done.stderr


def test_frozen_keyring_finds_the_secret_service_backend(installed: Path, tmp_path: Path,
                                                         sandbox: SandboxServer) -> None:
    """The Secret Service backend loads frozen (entry points + module bundled).

    Forced by PYTHON_KEYRING_BACKEND on a private session bus without a secrets
    daemon: a missing module would crash with ImportError; a present one reports
    that it cannot store the key, naming MRTIMER_API_KEY.
    """
    need(shutil.which("dbus-run-session") is not None, "dbus-run-session is not installed")
    env = _env(tmp_path, MRTIMER_BASE_URL=sandbox.base_url,
               PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring")
    done = subprocess.run(["dbus-run-session", "--", str(BIN), "login"], env=env,
                          input="frozen-key\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "MRTIMER_API_KEY" in done.stderr


def test_frozen_keyring_stores_the_key_in_gnome_keyring(installed: Path, tmp_path: Path,
                                                        sandbox: SandboxServer) -> None:
    """With a real Secret Service (gnome-keyring), login stores the key; status uses it."""
    if shutil.which("gnome-keyring-daemon") is None or shutil.which("dbus-run-session") is None:
        pytest.skip("gnome-keyring-daemon / dbus-run-session not installed "
                    "(apt-get install gnome-keyring dbus)")
    home = tmp_path / "user"
    home.mkdir()
    env = _env(tmp_path / "mrtimer", MRTIMER_BASE_URL=sandbox.base_url, HOME=str(home),
               XDG_DATA_HOME=str(home / ".local/share"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o700)
    script = (
        "set -e\n"
        "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
        f"echo frozen-key | {BIN} login\n"
        f"{BIN} status\n"
        f"{BIN} logout\n"
    )
    done = subprocess.run(["dbus-run-session", "--", "sh", "-c", script], env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "the key is in the OS keyring" in done.stdout
    assert "Not tracking." in done.stdout and "Signed out." in done.stdout


# -- the frozen tray on a real X server (tests/x11.py) ----------------------------------

TRAY_KEY = "frozen-tray-key-41d2"


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import x11

    x11.require(dbus=True)
    with x11.Desktop.start(tmp_path_factory.mktemp("x11"), dbus=True) as d:
        yield d


@pytest.fixture
def tray_server() -> Iterator[SandboxServer]:
    srv = SandboxServer("127.0.0.1", 0, key=TRAY_KEY).start()
    srv.seed_demo(TRAY_KEY)
    yield srv
    srv.stop()


def _launch_tray(desktop: Any, argv: list[str], home: Path, server: SandboxServer,
                 **extra: str) -> Any:
    from test_tray_x11 import Tray

    home.mkdir(parents=True, exist_ok=True)
    env = {"MRTIMER_HOME": str(home), "MRTIMER_TRAY_PROBE": str(home / "probe"),
           "MRTIMER_API_KEY": TRAY_KEY, **extra}
    with open(home / "tray.log", "ab") as log:
        proc = desktop.spawn([*argv, "--base-url", server.base_url, "tray"], env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    return Tray(desktop, home, "", proc)


def _time_to_icon(desktop: Any, tray: Any) -> float:
    """Seconds from spawn to the idle stopwatch's pixels on screen."""
    from test_tray_x11 import icon_box, is_idle

    import x11

    started = time.monotonic()

    def shown() -> bool:
        tray.assert_alive()
        icons = desktop.tray_icons()
        return bool(icons) and is_idle(desktop.screenshot(box=icon_box(icons[0])))

    x11.poll(shown, 30, interval=0.02, what="the idle icon")
    return time.monotonic() - started


def _tray_log(tray: Any) -> str:
    return str((tray.home / "tray.log").read_text(errors="replace"))


def test_frozen_tray_docks_and_its_menu_starts_a_timer(
        installed: Path, desktop: Any, tray_server: SandboxServer, tmp_path: Path,
        metrics: dict[str, Any]) -> None:
    """Default backend choice (AppIndicator, docked in trayer), hotkeys on (pynput)."""
    from test_tray_x11 import icon_box, is_running, wait_icon_pixels

    import x11

    tray = _launch_tray(desktop, [str(BIN)], tmp_path / "frozen", tray_server)
    try:
        metrics["tray_icon_visible_frozen_s"] = round(_time_to_icon(desktop, tray), 2)
        st = tray.wait_state(lambda st: any(e["text"] == "Fix login bug" for e in st["menu"]),
                             "recent tasks from the sandbox")
        metrics["tray_backend_frozen"] = st["backend"]
        assert st["backend"] in ("appindicator", "gtk"), st["backend"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        icon = desktop.wait_for_icon()
        desktop.screenshot(ARTIFACTS / "frozen-tray-idle.png",
                           box=(0, 0, 320, desktop.panel_height))
        button = 1 if st["backend"] == "appindicator" else 3
        menu = tray.open_native_menu(button=button)
        desktop.screenshot(ARTIFACTS / "frozen-tray-menu.png",
                           box=(0, 0, max(320, menu.x + menu.width + 8),
                                menu.y + menu.height + 8))
        desktop.key("Escape")
        tray.choose("Fix login bug", button=button)
        x11.poll(lambda: tray_server.requests and any(
            m == "POST" for m, _p in tray_server.requests), 10, what="a POST to the sandbox")
        st = tray.wait_state(lambda st: st["icon"] == "running"
                             and st["title"].startswith("Fix login bug"), "running")
        busy = wait_icon_pixels(tray, is_running, "the green running stopwatch")
        busy.resize((busy.width * 4, busy.height * 4)).save(ARTIFACTS / "frozen-tray-running.png")
        assert icon_box(icon)
        tray.choose("Stop", button=button)
        tray.wait_state(lambda st: st["icon"] == "idle", "stopped")
        tray.choose("Quit", button=button)
        assert tray.proc.wait(10) == 0
    finally:
        tray.stop()
    log = _tray_log(tray)
    assert "No module named" not in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("backend", ["appindicator", "xorg"])
def test_frozen_tray_runs_on_the_other_backends(installed: Path, desktop: Any,
                                                tray_server: SandboxServer, tmp_path: Path,
                                                backend: str) -> None:
    """Each bundled pystray backend starts frozen and docks (xorg docks 94 % of starts in
    trayer: one retry)."""
    import x11

    for attempt in (1, 2):
        tray = _launch_tray(desktop, [str(BIN)], tmp_path / f"{backend}{attempt}",
                            tray_server, PYSTRAY_BACKEND=backend)
        try:
            tray.wait_state(lambda st: st["backend"] == backend, f"the {backend} backend")
            desktop.wait_for_icon(timeout=10)
            break
        except AssertionError:
            if attempt == 2 or tray.proc.poll() is not None:
                raise
        finally:
            tray.stop()
            x11.poll(lambda: not desktop.tray_icons(), 10, what="the icon to go")
    log = _tray_log(tray)
    assert "No module named" not in log and "Traceback" not in log, log[-3000:]


def test_frozen_tray_opens_a_dialog_child(installed: Path, desktop: Any,
                                          tray_server: SandboxServer, tmp_path: Path) -> None:
    """The frozen dialog child (`mrtimer _dialog KIND`, tkinter + Tcl/Tk data bundled)."""
    probe = _run(["_dialog", "--help"], _env(tmp_path))
    if "No such command" in probe.stderr:
        pytest.skip("the CLI has no `_dialog` command yet (mrtimer.tray.dialogs.main)")
    import x11

    tray = _launch_tray(desktop, [str(BIN)], tmp_path / "dialog", tray_server)
    try:
        _time_to_icon(desktop, tray)  # docked and drawn before it is clicked
        st = tray.wait_state(lambda st: any(e["text"] == "New timer…" for e in st["menu"]),
                             "the menu")
        button = 1 if st["backend"] == "appindicator" else 3
        tray.choose("New timer…", button=button)
        shown = x11.poll(lambda: tray.dialog("describe"), 20, what="the describe dialog")
        assert shown
        desktop.key("Escape")
        tray.choose("Quit", button=button)
        tray.proc.wait(10)
    finally:
        tray.stop()
    log = _tray_log(tray)
    assert "No module named" not in log and "Traceback" not in log, log[-3000:]


def test_unfrozen_tray_start_for_comparison(desktop: Any, tray_server: SandboxServer,
                                            tmp_path: Path, metrics: dict[str, Any]) -> None:
    tray = _launch_tray(desktop, [sys.executable, "-m", "mrtimer"], tmp_path / "src",
                        tray_server)
    try:
        metrics["tray_icon_visible_unfrozen_s"] = round(_time_to_icon(desktop, tray), 2)
    finally:
        tray.stop()


def test_zz_dpkg_remove(installed: Path) -> None:
    """Runs last in this module: dpkg -r leaves nothing behind."""
    done = subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not _installed()
    assert not BIN.exists() and not BIN.is_symlink() and not APP_DIR.exists()
    assert not Path("/usr/share/applications/mrtimer.desktop").exists()

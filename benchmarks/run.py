"""Benchmarks: speed, memory and network cost of the tray app, side by side with floors.

    python benchmarks/run.py [--quick] [--no-xorg]

Prints a table and writes ``benchmarks/RESULTS.md``. Each figure is measured in the same
run as its floor, so a noisy machine still gives a fair ratio. Figures 1-4 need Xvfb,
trayer, dbus-daemon, dunst and xdotool (the X11 test tools; see ``tests/x11.py``).

Every process started here runs on a ``tests/x11.py`` Desktop, which ends them all (by
process group id) when it closes. Every wait has a deadline.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from PIL import Image, ImageChops

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TESTS = ROOT / "tests"
RESULTS = HERE / "RESULTS.md"
NOTES = HERE / "NOTES.md"  # appended to RESULTS.md
for _p in (str(HERE), str(TESTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import bench_network  # noqa: E402
import bench_report  # noqa: E402

from mrtimer.sandbox import SandboxServer  # noqa: E402

# Start floor: the command.
FLOOR_START = "import pystray, PIL.Image, httpx"
# Memory floor: "a process that imports the same packages and sleeps". The packages are
# read from the measured tray itself (PYTHONPROFILEIMPORTTIME: every module it has
# imported by the time of the reading, mrtimer's own excepted), so the floor follows
# what the app really loads, third-party and standard library alike. With the gtk
# backend ``import pystray`` (first) loads gi + Gtk 3 as it does in the app.
FLOOR_PROGRAM = """
import importlib, os, sys, time
import pystray
failed = []
for name in open(sys.argv[1]).read().split():
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failed.append(f"{name}: {exc.__class__.__name__}")
with open(sys.argv[2] + ".part", "w") as out:
    out.write("\\n".join(failed))
os.replace(sys.argv[2] + ".part", sys.argv[2])
if len(sys.argv) < 4:
    time.sleep(1800)
"""
# The issue's own list of what the code names, for comparison only.
FLOOR_NAMED = ("import pystray, PIL.Image, PIL.ImageDraw, PIL.ImageFont, httpx, keyring, "
               "filelock, click")
NOT_FLOOR = ("mrtimer", "memkeyring")  # ours (memkeyring: the tests' keyring, never loaded)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- results --------------------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    value: str
    floor: str
    ratio: str
    target: str
    ok: bool | None  # None: reported only
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    load: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        verdict = {True: "pass", False: "MISS", None: "-"}[row.ok]
        print(f"  {row.figure}: {row.value} (floor {row.floor}, ratio {row.ratio}; "
              f"target {row.target}) {verdict}", flush=True)

    def detail(self, text: str) -> None:
        self.details.append(text)


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# -- machine ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    return {"CPU": cpu, "cores": str(os.cpu_count()), "RAM": ram, "OS": os_name,
            "Python": platform.python_version()}


# -- /proc ------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


# -- X pixels ---------------------------------------------------------------------------------


class Screen:
    """Fast pixel grabs from the root window (python-xlib ``get_image``)."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self._zpixmap = X.ZPixmap
        self.conn = xdisplay.Display(display)
        self.root = self.conn.screen().root

    def grab(self, box: tuple[int, int, int, int]) -> Image.Image:
        x0, y0, x1, y1 = box
        raw = self.root.get_image(x0, y0, x1 - x0, y1 - y0, self._zpixmap, 0xFFFFFFFF)
        data = raw.data if isinstance(raw.data, bytes) else bytes(raw.data, "latin-1")
        return Image.frombytes("RGB", (x1 - x0, y1 - y0), data, "raw", "BGRX")

    def key(self, keysym_name: str) -> None:
        """Press and release a key through XTEST (no process start in the timing)."""
        from Xlib import XK, X
        from Xlib.ext import xtest

        code = self.conn.keysym_to_keycode(XK.string_to_keysym(keysym_name))
        xtest.fake_input(self.conn, X.KeyPress, code)
        xtest.fake_input(self.conn, X.KeyRelease, code)
        self.conn.sync()

    def close(self) -> None:
        self.conn.close()


def drawn_pixels(img: Image.Image, blank: Image.Image) -> int:
    """Pixels that differ from the empty panel and are not dark (an unpainted window)."""
    changed = ImageChops.difference(img, blank).convert("L").point(lambda v: 255 if v > 24
                                                                   else 0).convert("1")
    bright = img.convert("L").point(lambda v: 255 if v > 60 else 0).convert("1")
    return ImageChops.logical_and(changed, bright).histogram()[-1]


def poll(predicate: Callable[[], Any], timeout: float, interval: float, what: str) -> Any:
    """``tests/x11.py``'s poll, timing out with TimeoutError (a figure not measured)
    rather than a test's AssertionError."""
    import x11

    try:
        return x11.poll(predicate, timeout, interval, what)
    except AssertionError as exc:
        raise TimeoutError(str(exc)) from exc


# -- the desktop, the sandbox, the app --------------------------------------------------------


@contextmanager
def desktop_and_server(tmp: Path) -> Iterator[tuple[Any, SandboxServer]]:
    import test_tray_x11 as t

    import x11

    missing = x11.missing_tools(*x11.BASE_TOOLS, *x11.DBUS_TOOLS)
    if missing:
        raise RuntimeError(f"needs {', '.join(missing)} ({x11.INSTALL_HINT})")
    server = SandboxServer("127.0.0.1", 0, key=t.KEY).start()
    try:
        server.seed_demo(t.KEY)
        (tmp / "x11").mkdir(parents=True, exist_ok=True)
        with x11.Desktop.start(tmp / "x11", dbus=True) as desktop:
            yield desktop, server
    finally:
        server.stop()


PYCACHE: dict[str, str] = {}  # set by main(): where compiled bytecode goes


def floor_env(backend: str) -> dict[str, str]:
    return {"PYSTRAY_BACKEND": backend, **PYCACHE}


def use_bytecode_cache(tmp: Path) -> None:
    """Run the app and the floors as installed: with compiled bytecode. This environment
    may set PYTHONDONTWRITEBYTECODE=1, and the editable checkout has no __pycache__, so
    without this mrtimer's own modules are compiled from source on every start while
    the floor's packages (site-packages, compiled by pip) are not. Bytecode goes to a
    private PYTHONPYCACHEPREFIX (nothing is written into the checkout); ``warm_up``
    fills it for the app and for the floors alike."""
    PYCACHE.update({"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(tmp / "pyc")})


def warm_up(desktop: Any, server: SandboxServer, tmp: Path) -> None:
    import test_tray_x11 as t

    for code in (FLOOR_START, FLOOR_NAMED):
        for backend in ("gtk", "xorg"):
            desktop.spawn([sys.executable, "-c", code], env=floor_env(backend),
                          log="warm-up").wait(120)
    desktop.spawn([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "mrtimer")],
                  env=PYCACHE, log="warm-up").wait(120)
    tray = t.launch(desktop, tmp / "warm-up", "gtk", server, extra=PYCACHE)
    try:
        tray.wait_state(lambda st: any(e["text"] == "Fix login bug" for e in st["menu"]),
                        "recent tasks from the sandbox")
    finally:
        tray.stop()
    poll(lambda: not desktop.tray_icons(), 10, 0.05, "the warm-up icon to go")


# -- 1: start to icon visible -----------------------------------------------------------------


def start_to_icon(desktop: Any, server: SandboxServer, tmp: Path, backend: str, runs: int,
                  res: Results) -> None:
    import test_tray_x11 as t

    assert desktop.panel is not None
    panel = desktop.geometry(desktop.panel)
    box = panel.box
    screen = Screen(desktop.display)
    try:
        blank = screen.grab(box)
        app: list[float] = []
        floor: list[float] = []
        failures = 0
        for _ in range(runs):
            # The floor is watched the way the app is (a screen grab every 3 ms until it
            # is done), so both starts share the machine with the same watcher.
            t0 = time.perf_counter()
            proc = desktop.spawn([sys.executable, "-c", FLOOR_START], env=floor_env(backend),
                                 log="floor-start")
            poll(lambda: drawn_pixels(screen.grab(box), blank) >= 0 and  # noqa: B023
                 proc.poll() is not None, 60, 0.003, "the floor process to end")  # noqa: B023
            floor.append(time.perf_counter() - t0)

            # One home for every run, as at a user's everyday start (the first run
            # creates its files: the outbox database, settings).
            home = tmp / f"start-{backend}"
            t0 = time.perf_counter()
            tray = t.launch(desktop, home, backend, server, wait_icon=False, extra=PYCACHE)
            try:
                poll(lambda: drawn_pixels(screen.grab(box), blank) >= 60, 20, 0.003,
                     "the icon's pixels")
                app.append(time.perf_counter() - t0)
            except TimeoutError:
                failures += 1  # xorg docking is not certain (pystray asks the tray once)
            finally:
                tray.stop()
            poll(lambda: drawn_pixels(screen.grab(box), blank) < 10, 10, 0.02,
                 "the icon to go")
    finally:
        screen.close()
    ratio = med(app) / med(floor) if app else float("nan")
    note = f"{len(app)} runs" + (f", {failures} did not dock" if failures else "")
    if app and len(app) == len(floor):  # each app start next to its own floor run
        paired = med([a / f for a, f in zip(app, floor, strict=True)])
        note += f"; median of the run-by-run ratios: {paired:.2f}x"
    res.add(Row(f"start to icon visible ({backend})", fmt_s(med(app)), fmt_s(med(floor)),
                f"{ratio:.2f}x", "<= 1.3x floor", bool(app) and ratio <= 1.3, note))
    res.detail(f"start to icon ({backend}): app runs "
               f"{', '.join(f'{v:.3f}' for v in app)} s; floor runs "
               f"{', '.join(f'{v:.3f}' for v in floor)} s (`python -c \"{FLOOR_START}\"`)")


# -- 2, 3, 4: memory, CPU, click to feedback (one gtk tray) ----------------------------------


def imported_modules(log: Path) -> list[str]:
    """Every module named in a PYTHONPROFILEIMPORTTIME log (stderr), in order, ours
    left out."""
    names: list[str] = []
    seen: set[str] = set()
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("import time:") or line.rstrip().endswith("| imported package"):
            continue
        name = line.rsplit("|", 1)[-1].strip()
        if name and name not in seen and name.split(".")[0] not in NOT_FLOOR:
            seen.add(name)
            names.append(name)
    return names


@dataclass
class Floor:
    proc: Any
    modules: int
    failed: list[str]


def memory_floor(desktop: Any, tmp: Path, log: Path, tag: str) -> Floor:
    """Start the memory floor for what the tray at ``log`` has imported: one run that
    imports and exits (so its bytecode is compiled beforehand, as the app's is), then
    the sleeping process that is measured."""
    names = imported_modules(log)
    listing = tmp / f"floor-{tag}.txt"
    listing.write_text("\n".join(names))
    ready = tmp / f"floor-{tag}.ready"
    desktop.spawn([sys.executable, "-c", FLOOR_PROGRAM, str(listing), str(ready), "once"],
                  env=floor_env("gtk"), log="floor-mem").wait(120)
    ready.unlink()
    proc = desktop.spawn([sys.executable, "-c", FLOOR_PROGRAM, str(listing), str(ready)],
                         env=floor_env("gtk"), log="floor-mem")
    poll(ready.exists, 60, 0.05, "the memory floor to finish importing")
    failed = [f for f in ready.read_text().splitlines() if f]
    return Floor(proc, len(names), failed)


def long_run(desktop: Any, server: SandboxServer, tmp: Path, quick: bool, res: Results) -> None:
    import test_tray_x11 as t

    mem_wait = 10.0 if quick else 60.0
    cpu_minutes = 1 if quick else 5
    named_proc = desktop.spawn([sys.executable, "-c",
                                FLOOR_NAMED + "; import time; time.sleep(1800)"],
                               env=floor_env("gtk"), log="floor-mem-named")
    home = tmp / "long"
    tray = t.launch(desktop, home, "gtk", server,
                    extra={**PYCACHE, "PYTHONPROFILEIMPORTTIME": "1"})
    pid = tray.proc.pid
    floors: list[Floor] = []
    try:
        tray.wait_state(lambda st: any(e["text"] == "Fix login bug" for e in st["menu"]),
                        "recent tasks from the sandbox")
        # memory, idle
        time.sleep(mem_wait)
        tray.assert_alive()
        idle_app = rss_kib(pid)
        idle_cpu = cpu_seconds(pid)
        named = rss_kib(named_proc.pid)
        floors.append(memory_floor(desktop, tmp, home / "tray.log", "idle"))
        idle_floor = rss_kib(floors[0].proc.pid)
        # a timer running
        tray.choose("Fix login bug", button=3)
        t.wait_running(server, "Fix login bug")
        tray.wait_state(lambda st: st["icon"] == "running", "running")
        c0, w0 = cpu_seconds(pid), time.monotonic()
        per_minute: list[float] = []
        run_app = run_floor = 0
        last_c, last_w = c0, w0
        for minute in range(cpu_minutes):
            end = w0 + 60.0 * (minute + 1)
            if minute == 0:
                time.sleep(max(0.0, w0 + mem_wait - time.monotonic()))
                tray.assert_alive()
                run_app = rss_kib(pid)
                floors.append(memory_floor(desktop, tmp, home / "tray.log", "running"))
                run_floor = rss_kib(floors[1].proc.pid)
                desktop.stop(floors[0].proc)
            time.sleep(max(0.0, end - time.monotonic()))
            tray.assert_alive()
            c, w = cpu_seconds(pid), time.monotonic()
            per_minute.append((c - last_c) / (w - last_w) * 60.0)
            last_c, last_w = c, w
        total = (last_c - c0) / (last_w - w0) * 60.0
        floor_cpu = cpu_seconds(floors[1].proc.pid)
        for label, app_kib, floor_kib, fl in (("idle", idle_app, idle_floor, floors[0]),
                                              ("timer running", run_app, run_floor, floors[1])):
            ratio = app_kib / floor_kib
            res.add(Row(f"memory RSS after {mem_wait:.0f} s, {label} (gtk)",
                        f"{app_kib / 1024:.1f} MiB", f"{floor_kib / 1024:.1f} MiB",
                        f"{ratio:.2f}x", "<= 1.25x floor", ratio <= 1.25,
                        f"floor: the {fl.modules} modules the tray had imported; vs the "
                        f"issue's named imports only ({named / 1024:.1f} MiB): "
                        f"{app_kib / named:.2f}x"))
            if fl.failed:
                res.detail(f"memory floor ({label}): {len(fl.failed)} modules did not "
                           f"import on their own: {'; '.join(fl.failed[:10])}")
        res.add(Row(f"CPU while a timer runs ({cpu_minutes} min, gtk)",
                    f"{total * 1000:.0f} ms/min", "0", "-", "<= 100 ms/min",
                    total <= 0.100, "per minute: " +
                    ", ".join(f"{v * 1000:.0f}" for v in per_minute) + " ms"))
        res.detail(f"memory floor: a process with PYSTRAY_BACKEND=gtk that imports pystray "
                   f"and then every module the tray had imported at the reading (idle: "
                   f"{floors[0].modules}, running: {floors[1].modules}; read from the tray's "
                   f"PYTHONPROFILEIMPORTTIME log, mrtimer's own left out), then sleeps. "
                   f"CPU of the tray during its start and {mem_wait:.0f} s idle: "
                   f"{idle_cpu:.2f} s; the floor process's CPU in total: {floor_cpu:.2f} s")
        try:
            click_to_feedback(desktop, server, tray, res)
        except (TimeoutError, AssertionError, StopIteration) as exc:
            res.detail(f"click to feedback: not measured: {exc}")
            print(f"click to feedback: not measured: {exc}", file=sys.stderr)
    finally:
        tray.stop()
        for fl in floors:
            desktop.stop(fl.proc)
        desktop.stop(named_proc)


def click_to_feedback(desktop: Any, server: SandboxServer, tray: Any, res: Results,
                      cycles: int = 5) -> None:
    """Menu activation (XTEST Return in the open native menu) to state.json showing the
    new state, and to the icon's pixels, with every API response delayed by 2 s."""
    import test_tray_x11 as t

    box = t.icon_box(tray.icon())
    screen = Screen(desktop.display)
    latencies: dict[str, list[float]] = {"start": [], "switch": [], "stop": []}
    pixels: dict[str, list[float]] = {"start": [], "stop": []}

    def act(text: str, shown: Callable[[dict[str, Any]], bool],
            drawn: Callable[[Image.Image], bool] | None, kind: str, task: str | None) -> None:
        st = tray.state()
        assert st is not None
        seq = st["seq"]
        active = [e for e in st["menu"] if e["active"]]
        index = next(i for i, e in enumerate(active) if e["text"].startswith(text))
        tray.open_native_menu(3)
        desktop.key(*["Down"] * (index + 1))
        time.sleep(0.1)  # let the highlight settle; not part of the figure
        t0 = time.perf_counter()
        screen.key("Return")
        state_at = pixel_at = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (state_at is None or
                                               (drawn is not None and pixel_at is None)):
            now = time.perf_counter()
            if state_at is None:
                cur = tray.state()
                if cur is not None and cur["seq"] != seq and shown(cur):
                    state_at = now
            if drawn is not None and pixel_at is None and drawn(screen.grab(box)):
                pixel_at = now
            time.sleep(0.002)
        if state_at is None:
            raise TimeoutError(f"{kind}: the tray did not show the new state in 10 s")
        latencies[kind].append(state_at - t0)
        if drawn is not None and pixel_at is not None:
            pixels[kind].append(pixel_at - t0)
        desktop.move(600, 600)
        t.wait_running(server, task, timeout=20)  # let the slow API catch up
        tray.wait_state(lambda st: "waiting to sync" not in st["menu"][0]["text"],
                        "the tray to sync", 20)

    try:
        # begin idle
        if (tray.state() or {}).get("running"):
            tray.choose("Stop", button=3)
            t.wait_running(server, None, timeout=20)
            tray.wait_state(lambda st: not st["running"], "stopped")
        server.faults.latency = 2.0
        for _ in range(cycles):
            tray.wait_state(lambda st: not st["running"], "idle", 20)
            act("Fix login bug", lambda st: st["icon"] == "running" and
                st["title"].startswith("Fix login bug"), t.is_running, "start",
                "Fix login bug")
            act("Code review", lambda st: st["title"].startswith("Code review"), None,
                "switch", "Code review")
            act("Stop", lambda st: st["icon"] == "idle" and not st["running"], t.is_idle,
                "stop", None)
    finally:
        server.faults.latency = 0.0
        screen.close()
    for kind, values in latencies.items():
        value = med(values)
        pix = pixels.get(kind)
        note = f"{len(values)} runs"
        if pix:
            note += f"; to the icon's pixels: {fmt_ms(med(pix))}"
        res.add(Row(f"click to feedback: {kind} (gtk, API +2 s)", fmt_ms(value), "0", "-",
                    "<= 50 ms", value <= 0.050, note))
    res.detail("click to feedback runs (s): " + "; ".join(
        f"{k} {', '.join(f'{v:.3f}' for v in vs)}" for k, vs in latencies.items()) +
        " | to pixels: " + "; ".join(
        f"{k} {', '.join(f'{v:.3f}' for v in vs)}" for k, vs in pixels.items()))


# -- 5, 6, 7 ----------------------------------------------------------------------------------


def network(res: Results) -> None:
    got = bench_network.measure()
    res.add(Row("network: requests per idle hour", f"{got['idle_per_hour']:.0f}", "-", "-",
                "<= 60/h", got["idle_per_hour"] <= 60))
    # A switch is a stop and a play: the API answers 409 to a play while a timer runs.
    floors = {"start": 1, "stop": 1, "switch": 2}
    for action, floor in floors.items():
        res.add(Row(f"network: requests per {action}", f"{got[action]:.0f}", str(floor),
                    f"{got[action] / floor:.0f}x", "no extra requests", got[action] <= floor,
                    "stop + play (a play while a timer runs is a 409)"
                    if action == "switch" else ""))


def report(res: Results) -> None:
    got = bench_report.measure()
    res.add(Row("report scaling: 52 weeks, API +50 ms/request", fmt_s(got["seconds"]),
                fmt_s(got["floor_seconds"]) + " (52 x 50 ms sequential)",
                f"{got['ratio']:.2f}x", "<= 0.33x floor", got["ratio"] <= 1 / 3,
                f"{got['requests']:.0f} requests"))


def frozen_build(res: Results) -> Path | None:
    """The PyInstaller onedir and .deb of the current sources: the packaging tests'
    build (reused when one of these very sources exists, else built: about a minute)."""
    try:
        import PyInstaller  # noqa: F401
        from filelock import FileLock

        import test_packaging_frozen as pf
    except ImportError as exc:
        res.add(Row("frozen app", f"not built: {exc} (pip install -e '.[dev,build]')", "-",
                    "-", "reported", None))
        return None
    missing = [t for t in ("dpkg-deb", "readelf", "strip", "objdump") if not shutil.which(t)]
    if missing:
        res.add(Row("frozen app", f"not built: needs {', '.join(missing)}", "-", "-",
                    "reported", None))
        return None
    print("frozen build (PyInstaller onedir + .deb; reused when current)...", flush=True)
    metrics: dict[str, Any] = {}
    pf.CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with FileLock(str(pf.CACHE_ROOT / ".build.lock"), timeout=1800):
        built = pf._build_or_reuse(metrics)
    how = ("reused the build of these sources" if metrics.get("cached_build") else
           f"built now: PyInstaller {metrics['pyinstaller_build_s']} s, "
           f".deb {metrics['deb_build_s']} s")
    res.add(Row("frozen app: onedir size", f"{metrics['onedir_mb']} MB", "-", "-", "reported",
                None, how))
    res.add(Row("frozen app: .deb size", f"{metrics['deb_mb']} MB", "-", "-", "reported", None,
                "xz-compressed"))
    return Path(built.onedir)


def drop_page_cache() -> bool:
    """Make the next start a cold one (root only; False where the kernel refuses)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def frozen_start(desktop: Any, server: SandboxServer, tmp: Path, onedir: Path, runs: int,
                 res: Results) -> None:
    """Start to icon visible, the frozen executable side by side with `python -m
    mrtimer` (both gtk): the first start of each after dropping the page cache (cold),
    then warm starts."""
    import test_tray_x11 as t

    assert desktop.panel is not None
    box = desktop.geometry(desktop.panel).box
    screen = Screen(desktop.display)
    commands = {"frozen": [str(onedir / "mrtimer")],
                "unfrozen": [sys.executable, "-m", "mrtimer"]}
    cold: dict[str, float] = {}
    warm: dict[str, list[float]] = {k: [] for k in commands}
    dropped = True
    try:
        blank = screen.grab(box)
        for i in range(runs + 1):
            for label, command in commands.items():
                if i == 0:
                    dropped = drop_page_cache() and dropped
                home = tmp / f"frozen-{label}"  # the cold run creates it
                t0 = time.perf_counter()
                tray = t.launch(desktop, home, "gtk", server, wait_icon=False,
                                extra=PYCACHE, command=command)
                try:
                    poll(lambda: drawn_pixels(screen.grab(box), blank) >= 60, 30, 0.003,
                         f"the {label} icon's pixels")
                    took = time.perf_counter() - t0
                finally:
                    tray.stop()
                poll(lambda: drawn_pixels(screen.grab(box), blank) < 10, 10, 0.02,
                     "the icon to go")
                if i == 0:
                    cold[label] = took
                else:
                    warm[label].append(took)
    finally:
        screen.close()
    how = ("after dropping the page cache" if dropped else
           "first start (the page cache could not be dropped here)")
    res.add(Row("frozen app: cold start to icon (gtk)", fmt_s(cold["frozen"]),
                fmt_s(cold["unfrozen"]) + " (unfrozen, cold)",
                f"{cold['frozen'] / cold['unfrozen']:.2f}x", "reported", None, how))
    fw, uw = med(warm["frozen"]), med(warm["unfrozen"])
    res.add(Row("frozen app: warm start to icon (gtk)", fmt_s(fw), fmt_s(uw) + " (unfrozen)",
                f"{fw / uw:.2f}x", "reported", None, f"median of {runs}"))
    res.detail("frozen start to icon: cold frozen "
               f"{cold['frozen']:.3f} s, cold unfrozen {cold['unfrozen']:.3f} s ({how}); "
               f"warm frozen {', '.join(f'{v:.3f}' for v in warm['frozen'])} s; warm "
               f"unfrozen {', '.join(f'{v:.3f}' for v in warm['unfrozen'])} s")


# -- output -----------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = "| figure | measured | floor | ratio | target | result | notes |\n" \
           "|---|---|---|---|---|---|---|\n"
    verdict = {True: "pass", False: "**miss**", None: "-"}
    return head + "".join(f"| {r.figure} | {r.value} | {r.floor} | {r.ratio} | {r.target} | "
                          f"{verdict[r.ok]} | {r.note} |\n" for r in rows)


def write_results(res: Results, info: dict[str, str], command: str, started: datetime,
                  seconds: float, output: Path) -> None:
    misses = [r.figure for r in res.rows if r.ok is False]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {started.strftime('%Y-%m-%d %H:%M UTC')} (took {seconds / 60:.1f} min)",
        f"- command: `{command}`",
        f"- load average (1 min) at start / end: {res.load[0]:.2f} / {os.getloadavg()[0]:.2f}"
        " (other work on the machine disturbs the absolute figures more than the ratios)",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
        table(res.rows),
        f"Targets missed: {', '.join(misses) if misses else 'none'}.",
        "",
        "## Details",
        "",
        *(f"- {d}" for d in res.details),
        "",
    ]
    if NOTES.exists():  # hand-written: profiles of missed targets, before/after
        lines += [NOTES.read_text().rstrip(), ""]
    output.write_text("\n".join(lines))


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # run the finally blocks: the Desktop ends what it started


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="short waits: memory after 10 s, CPU over 1 minute, 3 starts "
                        "(else 11)")
    parser.add_argument("--no-xorg", action="store_true", help="skip the xorg start figure")
    parser.add_argument("--no-frozen", action="store_true",
                        help="skip the frozen app (no PyInstaller build)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run the app as this environment does (no .pyc when "
                        "PYTHONDONTWRITEBYTECODE is set)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    t_start = time.monotonic()
    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    res = Results()
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.pop(name, None) is not None:
            # Set here for this machine's tools; a user's desktop session rarely sets it,
            # and the tray would then load the whole bundle it names (see mrtimer.api._tls).
            res.detail(f"{name} is set in this environment: removed for the processes "
                       "measured, so the tray trusts the system's CA directory as on a "
                       "user's desktop")
    print("network, report scaling...", flush=True)
    network(res)
    report(res)
    onedir = None if args.no_frozen else frozen_build(res)
    runs = 3 if args.quick else 11
    tmp = Path(tempfile.mkdtemp(prefix="mrtimer-bench-"))
    if not args.no_bytecode_cache:
        use_bytecode_cache(tmp)
        res.detail("the app and the floors run with compiled bytecode (a private "
                   "PYTHONPYCACHEPREFIX, warmed up first), as an installed app does; "
                   f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}"
                   " here. `--no-bytecode-cache` measures without")
    try:
        with desktop_and_server(tmp) as (desktop, server):
            if PYCACHE:
                print("warm-up (bytecode cache)...", flush=True)
                warm_up(desktop, server, tmp)
            print("start to icon visible...", flush=True)
            start_to_icon(desktop, server, tmp, "gtk", runs, res)
            if not args.no_xorg:
                try:
                    start_to_icon(desktop, server, tmp, "xorg", runs, res)
                except (TimeoutError, AssertionError) as exc:
                    res.detail(f"start to icon (xorg): not measured: {exc}")
            if onedir is not None:
                print("frozen start to icon...", flush=True)
                try:
                    frozen_start(desktop, server, tmp, onedir, runs, res)
                except (TimeoutError, AssertionError) as exc:
                    res.detail(f"frozen start to icon: not measured: {exc}")
            print("memory, CPU, click to feedback...", flush=True)
            long_run(desktop, server, tmp, args.quick, res)
    except RuntimeError as exc:
        res.detail(f"X11 figures not measured: {exc}")
        print(f"X11 figures not measured: {exc}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "") + \
        (" --no-xorg" if args.no_xorg else "") + \
        (" --no-frozen" if args.no_frozen else "") + \
        (" --no-bytecode-cache" if args.no_bytecode_cache else "")
    write_results(res, info, command, started, time.monotonic() - t_start, args.output)
    print()
    print(table(res.rows))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One command for the current platform's installer (``make dist`` runs this).

- Linux: PyInstaller onedir (``packaging/linux/mrtimer.spec``) -> ``.deb`` (dpkg-deb),
  then ``desktop-file-validate`` (inside build_deb) and ``lintian`` when installed;
- Windows: onedir with ``mrtimer.exe`` + ``mrtimer-cli.exe`` -> Inno Setup installer
  (``ISCC.exe`` from PATH, ``%ISCC%`` or the default install folder);
- macOS: ``Meet and Rock Timer.app`` -> ``.dmg`` (``packaging/macos/build_dmg.sh``).

The spec is checked first (``packaging/speccheck.py``): an option PyInstaller does not
know, or a file the spec names that does not exist, stops the build.

Every installer is also copied to ``dist/installers/`` (what CI uploads).

Usage: ``python packaging/build.py [--dist DIR] [--work DIR] [--no-installer]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pyi_common as common  # noqa: E402

__all__ = ["current_platform", "main", "run_pyinstaller", "spec_for"]

SPEC_DIRS = {"linux": "linux", "windows": "windows", "darwin": "macos"}
ISCC_DEFAULTS = (
    r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe",
    r"C:\Program Files\Inno Setup 6\ISCC.exe",
)


def current_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    raise SystemExit(f"build.py: no packaging for {sys.platform}")


def spec_for(platform: str) -> Path:
    return HERE / SPEC_DIRS[platform] / "mrtimer.spec"


def _run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def run_pyinstaller(platform: str, dist: Path, work: Path, *, clean: bool = True) -> Path:
    """Build the spec; returns the onedir (or, on macOS, the .app)."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        cmd.append("--clean")
    _run([*cmd, str(spec_for(platform))], cwd=common.ROOT)
    if platform == "darwin":
        return dist / f"{common.APP_NAME}.app"
    return dist / common.EXE_NAME


def _find_iscc() -> str:
    for candidate in (os.environ.get("ISCC"), shutil.which("iscc"), shutil.which("ISCC"),
                      *ISCC_DEFAULTS):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("build.py: Inno Setup's ISCC.exe not found (install Inno Setup 6 or "
                     "set ISCC=path\\to\\ISCC.exe)")


def build_installer(platform: str, built: Path, dist: Path, work: Path) -> Path:
    if platform == "linux":
        sys.path.insert(0, str(HERE / "linux"))
        from build_deb import build_deb  # type: ignore[import-not-found,unused-ignore]

        deb: Path = build_deb(built, dist)
        if shutil.which("lintian"):
            print("+ lintian", deb.name, flush=True)
            subprocess.run(["lintian", "--tag-display-limit", "0", str(deb)], check=False)
        return deb
    if platform == "windows":
        icon = work / "mrtimer" / "generated" / "icons" / "mrtimer.ico"
        numeric = ".".join(map(str, common.version_tuple()))
        _run([_find_iscc(), f"/DAppVersion={common.VERSION}", f"/DNumericVersion={numeric}",
              f"/DSourceDir={built}",
              f"/DOutputDir={dist}", f"/DIconFile={icon}",
              str(HERE / "windows" / "mrtimer.iss")])
        return dist / f"MeetAndRockTimer-{common.VERSION}-setup.exe"
    _run(["bash", str(HERE / "macos" / "build_dmg.sh"), str(built), str(dist)])
    return dist / f"MeetAndRockTimer-{common.VERSION}.dmg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dist", type=Path, default=common.ROOT / "dist")
    parser.add_argument("--work", type=Path, default=common.ROOT / "build")
    parser.add_argument("--no-installer", action="store_true",
                        help="Stop after PyInstaller (onedir / .app only).")
    parser.add_argument("--no-clean", action="store_true",
                        help="Reuse PyInstaller's cache from an earlier build.")
    args = parser.parse_args(argv)
    platform = current_platform()
    dist, work = args.dist.resolve(), args.work.resolve()
    from speccheck import check_spec  # option names vs. this PyInstaller; files exist

    problems = check_spec(spec_for(platform))
    if problems:
        raise SystemExit("build.py: the spec check failed:\n  " + "\n  ".join(problems))
    started = time.monotonic()
    built = run_pyinstaller(platform, dist, work, clean=not args.no_clean)
    print(f"built {built} ({time.monotonic() - started:.0f} s)")
    if args.no_installer:
        return 0
    installer = build_installer(platform, built, dist, work)
    if not installer.is_file():
        raise SystemExit(f"build.py: expected {installer}, not found")
    collected = dist / "installers"
    collected.mkdir(parents=True, exist_ok=True)
    shutil.copy2(installer, collected / installer.name)
    size = installer.stat().st_size / 1e6
    print(f"installer: {collected / installer.name} ({size:.1f} MB, "
          f"{time.monotonic() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Packaging checks that need no build: spec options against the installed PyInstaller,
files the specs reference, icons, version resource, Info.plist, .desktop file, .deb
metadata helpers, the Inno Setup and dmg scripts, and the release workflow.

The build + install + run + remove of the .deb is in ``test_packaging_frozen.py``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
REQUIRED = os.environ.get("MRTIMER_REQUIRE_PACKAGING") == "1"


def _load(name: str, path: Path) -> ModuleType:
    """Import a packaging script by path (``packaging`` is also a PyPI package name)."""
    if name in sys.modules:
        loaded: ModuleType = sys.modules[name]
        return loaded
    sys.path.insert(0, str(PACKAGING))  # the scripts import pyi_common as a sibling
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


common = _load("pyi_common", PACKAGING / "pyi_common.py")
speccheck = _load("mrtimer_speccheck", PACKAGING / "speccheck.py")
icons_mod = _load("mrtimer_packaging_icons", PACKAGING / "icons.py")
build_deb = _load("mrtimer_build_deb", PACKAGING / "linux" / "build_deb.py")

SPECS = {"linux": PACKAGING / "linux" / "mrtimer.spec",
         "windows": PACKAGING / "windows" / "mrtimer.spec",
         "darwin": PACKAGING / "macos" / "mrtimer.spec"}


def _need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed"
        if REQUIRED:
            pytest.fail(f"{reason} (MRTIMER_REQUIRE_PACKAGING=1)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def pyinstaller() -> ModuleType:
    try:
        import PyInstaller
    except ImportError:
        if REQUIRED:
            pytest.fail("PyInstaller is not installed (pip install -e '.[build]')")
        pytest.skip("PyInstaller is not installed (pip install -e '.[build]')")
    module: ModuleType = PyInstaller
    return module


@pytest.fixture(scope="module")
def evaluations(pyinstaller: ModuleType,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each spec run with recording stand-ins (no build): what it passes to PyInstaller."""
    os.environ.setdefault("MRTIMER_ICONS_QUIET", "1")
    out = {}
    for platform, spec in SPECS.items():
        out[platform] = speccheck.evaluate_spec(spec, tmp_path_factory.mktemp(platform))
    return out


# -- the spec check --------------------------------------------------------------------


def test_option_names_come_from_the_installed_pyinstaller(pyinstaller: ModuleType) -> None:
    classes = speccheck.pyinstaller_classes()
    accepted = {name: speccheck.accepted_options(cls)[0] for name, cls in classes.items()}
    # the extractor must find the options every spec relies on, else it checks nothing
    assert {"console", "name", "icon", "version", "strip", "exclude_binaries",
            "codesign_identity", "entitlements_file"} <= accepted["EXE"]
    assert {"hiddenimports", "excludes", "datas", "pathex", "hooksconfig"} <= accepted["Analysis"]
    assert {"bundle_identifier", "info_plist", "version", "icon"} <= accepted["BUNDLE"]
    assert {"name", "strip", "upx"} <= accepted["COLLECT"]
    removed = speccheck.accepted_options(classes["Analysis"])[1]
    assert "cipher" in removed


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_spec_options_are_known_to_pyinstaller(pyinstaller: ModuleType, platform: str) -> None:
    assert speccheck.check_keywords(SPECS[platform]) == []
    targets = {c.target for c in speccheck.spec_calls(SPECS[platform])}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= targets


def test_spec_check_catches_misspelled_and_removed_options(pyinstaller: ModuleType,
                                                           tmp_path: Path) -> None:
    spec = tmp_path / "bad.spec"
    spec.write_text(
        "a = Analysis(['x.py'], hiddenimport=['y'], cipher=None)\n"
        "exe = EXE(a, consle=False, name='x', **extra)\n"
        "BUNDLE(exe, bundle_identifer='com.x', info_plist={})\n"
    )
    problems = "\n".join(speccheck.check_keywords(spec))
    assert "unknown option 'hiddenimport'" in problems
    assert "option 'cipher' was removed" in problems
    assert "unknown option 'consle'" in problems
    assert "unknown option 'bundle_identifer'" in problems
    assert "**kwargs cannot be checked" in problems
    assert "'name'" not in problems.split("accepted")[0]


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_every_file_a_spec_references_exists(evaluations: dict[str, Any], platform: str) -> None:
    assert speccheck.check_references(evaluations[platform]) == []


def test_reference_check_reports_missing_files(pyinstaller: ModuleType, tmp_path: Path) -> None:
    spec = tmp_path / "missing.spec"
    spec.write_text(
        "a = Analysis(['nope.py'], datas=[('assets/*.png', 'a')])\n"
        "exe = EXE(a, icon='gone.ico', version='v.txt', name='x')\n"
    )
    problems = speccheck.check_references(speccheck.evaluate_spec(spec, tmp_path / "w"))
    assert len(problems) == 4, problems


def test_windows_spec_windowed_exe_with_icon_and_version(evaluations: dict[str, Any]) -> None:
    exes = {c.kwargs["name"]: c.kwargs for c in evaluations["windows"].of("EXE")}
    assert exes["mrtimer"]["console"] is False
    assert exes["mrtimer-cli"]["console"] is True
    for kwargs in exes.values():
        assert kwargs["icon"].endswith(".ico") and Path(kwargs["icon"]).is_file()
        assert Path(kwargs["version"]).is_file()
    collect = evaluations["windows"].of("COLLECT")[0]
    assert collect.kwargs["name"] == "mrtimer"


def test_macos_spec_bundle(evaluations: dict[str, Any]) -> None:
    bundle = evaluations["darwin"].of("BUNDLE")[0].kwargs
    assert bundle["name"] == "Meet and Rock Timer.app"
    assert bundle["bundle_identifier"] == "com.meetandrock.timer"
    assert bundle["version"] == common.VERSION
    assert bundle["icon"].endswith(".icns") and Path(bundle["icon"]).is_file()
    plist = bundle["info_plist"]
    assert plist["LSUIElement"] is True
    assert plist["CFBundleShortVersionString"] == common.VERSION
    exe = evaluations["darwin"].of("EXE")[0].kwargs
    assert exe["console"] is False and exe["exclude_binaries"] is True
    assert Path(exe["entitlements_file"]).is_file()


def test_linux_spec_onedir_stripped_with_gtk(evaluations: dict[str, Any]) -> None:
    ev = evaluations["linux"]
    exe = ev.of("EXE")[0].kwargs
    assert exe["exclude_binaries"] is True and exe["strip"] is True
    assert ev.of("COLLECT")[0].kwargs["strip"] is True
    hidden = ev.of("Analysis")[0].kwargs["hiddenimports"]
    for module in ("pystray._appindicator", "pystray._gtk", "pystray._xorg",
                   "pynput.keyboard._xorg", "pynput.mouse._xorg",
                   "gi.repository.Gtk", "gi.repository.AyatanaAppIndicator3",
                   "keyring.backends.SecretService"):
        assert module in hidden


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_backends_bundled_and_keyrings_alt_excluded(evaluations: dict[str, Any],
                                                    platform: str) -> None:
    analysis = evaluations[platform].of("Analysis")[0].kwargs
    hidden, excludes = analysis["hiddenimports"], analysis["excludes"]
    backend = {"linux": "xorg", "windows": "win32", "darwin": "darwin"}[platform]
    tray = {"linux": "appindicator", "windows": "win32", "darwin": "darwin"}[platform]
    assert f"pystray._{tray}" in hidden
    assert f"pynput.keyboard._{backend}" in hidden and f"pynput.mouse._{backend}" in hidden
    assert "keyrings.alt" in excludes and "keyrings" in excludes
    assert "tkinter" not in excludes and "tkinter" in hidden  # the dialogs need it
    assert not set(hidden) & set(excludes)
    # every module of the app, including those only imported lazily
    assert set(common.package_modules()) <= set(hidden)
    assert "mrtimer.cli" in hidden
    datas = dict((Path(src).name, dest) for src, dest in analysis["datas"])
    assert datas.get("tray-idle.png") == os.path.join("mrtimer", "assets")


def _module_file_exists(name: str) -> bool | None:
    """Whether ``name`` exists as a file, found without importing (None: not installed)."""
    top, *rest = name.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return None
    if not rest:
        return True
    if not spec.submodule_search_locations:
        return False
    for base in spec.submodule_search_locations:
        path = Path(base, *rest)
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return True
    return False


def test_hidden_imports_name_real_modules() -> None:
    for platform in common.PLATFORMS:
        for name in common.hidden_imports(platform):
            if name.startswith("gi.repository."):
                continue  # typelibs, resolved by PyInstaller's gi hooks
            found = _module_file_exists(name)
            if found is None:
                continue  # a package of another platform (e.g. win32ctypes)
            assert found, f"{platform}: hidden import {name} does not exist"


def test_pillow_exclusions_keep_the_formats_the_app_uses() -> None:
    excluded = {e.removeprefix("PIL.") for e in common.excludes("linux") if e.startswith("PIL.")}
    for needed in ("PngImagePlugin", "IcoImagePlugin", "BmpImagePlugin", "GifImagePlugin",
                   "JpegImagePlugin", "TiffImagePlugin", "MpoImagePlugin"):
        assert needed not in excluded
    import PIL.Image

    plugins = set(PIL.Image._plugins)  # type: ignore[attr-defined]
    assert {f"{n}ImagePlugin" for n in ("Avif", "WebP")} <= excluded
    assert excluded - {"ImageQt"} <= plugins, "an excluded Pillow plugin no longer exists"


# -- icons, version resource, names ----------------------------------------------------


def test_icons_are_generated_in_every_size(tmp_path: Path) -> None:
    from PIL import Image

    result = icons_mod.generate(tmp_path, quiet=True)
    assert result.source is not None, "no source art found: the placeholder was used"
    with Image.open(result.ico) as ico:
        sizes = {s[0] for s in ico.info["sizes"]}
    assert {16, 24, 32, 48, 64, 128, 256} <= sizes
    with Image.open(result.icns) as icns:
        assert icns.format == "ICNS"
        assert max(s[0] * s[2] for s in icns.info["sizes"]) == 1024
    for size, png in result.pngs.items():
        with Image.open(png) as im:
            assert im.size == (size, size) and im.mode == "RGBA"
    assert {16, 32, 48, 128, 256} <= set(result.pngs)


def test_icons_fall_back_to_a_placeholder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(icons_mod, "SOURCE_CANDIDATES", (tmp_path / "missing.png",))
    result = icons_mod.generate(tmp_path / "out")
    assert result.source is None and result.ico.is_file() and result.icns.is_file()
    assert "placeholder" in capsys.readouterr().err


def test_version_matches_the_package() -> None:
    import mrtimer

    assert common.VERSION == mrtimer.__version__
    assert common.version_tuple("1.2.3rc1") == (1, 2, 3, 0)
    assert common.version_tuple("2") == (2, 0, 0, 0)


def test_windows_version_resource_parses(pyinstaller: ModuleType, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import PyInstaller.compat

    # the module imports Windows-only helpers at the top; parsing the text needs neither
    if importlib.util.find_spec("pefile") is None:
        monkeypatch.setitem(sys.modules, "pefile", ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api",
                        getattr(PyInstaller.compat, "win32api", None), raising=False)
    name = "PyInstaller.utils.win32.versioninfo"
    fresh = name not in sys.modules
    try:
        from PyInstaller.utils.win32 import versioninfo

        path = common.write_windows_version_file(tmp_path / "v.txt", "1.2.3")
        info = versioninfo.load_version_info_from_text_file(str(path))
    finally:
        if fresh:
            sys.modules.pop(name, None)
    assert info.ffi.fileVersionMS == (1 << 16) | 2 and info.ffi.fileVersionLS == 3 << 16
    text = str(info)
    assert "'ProductVersion', '1.2.3'" in text and "'OriginalFilename', 'mrtimer.exe'" in text


# -- Linux: .desktop, .deb helpers -----------------------------------------------------


def test_desktop_file_validates() -> None:
    tool = _need_tool("desktop-file-validate")
    desktop = PACKAGING / "linux" / "mrtimer.desktop"
    done = subprocess.run([tool, str(desktop)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    text = desktop.read_text()
    assert "Icon=mrtimer\n" in text and "Exec=mrtimer tray\n" in text


def test_debian_version_and_control() -> None:
    assert build_deb.debian_version("0.1.0") == "0.1.0-1"
    assert build_deb.debian_version("0.2.0rc1") == "0.2.0~rc1-1"
    control = build_deb.control_text(version="0.1.0-1", arch="amd64",
                                     depends=["libc6 (>= 2.36)", "libgtk-3-0"],
                                     installed_kib=1234)
    fields = dict(re.findall(r"^(\S+): (.*)$", control, re.M))
    assert fields["Package"] == "meetandrock-timer"
    assert fields["Depends"] == "libc6 (>= 2.36), libgtk-3-0"
    assert fields["Installed-Size"] == "1234"
    assert control.endswith("\n") and "\n .\n" in control


def test_merge_depends_explicit_entry_wins() -> None:
    merged = build_deb._merge_depends(["libgtk-3-0 (>= 3.0)", "libc6 (>= 2.36)", " "],
                                      ["libgtk-3-0 (>= 3.22)"])
    assert merged == ["libc6 (>= 2.36)", "libgtk-3-0 (>= 3.22)"]


def test_remove_runpath(tmp_path: Path) -> None:
    _need_tool("readelf")
    lib = tmp_path / "lib.so"
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler to make a test library")
    src = tmp_path / "x.c"
    src.write_text("#include <string.h>\nint x(const char *s) { return (int)strlen(s); }\n")
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(lib), str(src),
                    "-Wl,-rpath,/nowhere/lib", "-Wl,--enable-new-dtags"], check=True)
    before = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True).stdout
    assert "RUNPATH" in before
    assert build_deb.remove_runpath(lib) is True
    after = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True).stdout
    assert "RUNPATH" not in after
    assert "Shared library: [libc.so.6]" in after  # the other entries are kept
    assert build_deb.remove_runpath(lib) is False


def test_lintian_overrides_only_expected_tags() -> None:
    text = (PACKAGING / "linux" / "lintian-overrides").read_text()
    tags = set(re.findall(r"^meetandrock-timer: (\S+)", text, re.M))
    assert tags == {"embedded-library", "library-not-linked-against-libc",
                    "shared-library-lacks-prerequisites", "missing-depends-on-sensible-utils",
                    "hardening-no-pie", "initial-upload-closes-no-bugs"}


# -- Windows and macOS installer scripts -----------------------------------------------


def test_inno_setup_script() -> None:
    iss = (PACKAGING / "windows" / "mrtimer.iss").read_text()
    sections = set(re.findall(r"^\[(\w+)\]", iss, re.M))
    assert {"Setup", "Tasks", "Files", "Icons", "Registry", "Run", "UninstallRun",
            "Code"} <= sections
    assert re.search(r"^PrivilegesRequired=lowest$", iss, re.M)  # per-user
    assert "{autoprograms}" in iss  # Start-menu entry
    assert f'#define AppExe "{common.EXE_NAME}.exe"' in iss
    # start at login writes the value the app's own autostart uses
    from mrtimer.desktop import autostart

    assert f'#define RunValue "{autostart.WIN_VALUE}"' in iss
    assert autostart.RUN_KEY in iss
    assert "OutputBaseFilename=MeetAndRockTimer-{#AppVersion}-setup" in iss
    build = (PACKAGING / "build.py").read_text()
    for define in re.findall(r"#ifndef (\w+)", iss):
        assert f"/D{define}=" in build, f"build.py does not pass /D{define}"


def test_dmg_script_is_valid_bash() -> None:
    script = PACKAGING / "macos" / "build_dmg.sh"
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "hdiutil create" in text and "notarytool" in text and "stapler staple" in text
    if shutil.which("shellcheck"):
        subprocess.run(["shellcheck", str(script)], check=True)


# -- the release workflow --------------------------------------------------------------


def test_release_workflow() -> None:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "workflow_dispatch" in triggers
    job = doc["jobs"]["build"]
    matrix = job["strategy"]["matrix"]["include"]
    oses = {m["name"]: m["os"] for m in matrix}
    assert set(oses) == {"linux", "windows", "macos"}
    assert oses["linux"].startswith("ubuntu") and oses["windows"].startswith("windows")
    assert oses["macos"].startswith("macos")
    assert job["runs-on"] == "${{ matrix.os }}"
    steps = job["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert all(re.fullmatch(r"[\w-]+/[\w-]+@v\d+", u) for u in uses), uses
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "python packaging/build.py" in runs
    assert "dpkg -r meetandrock-timer" in runs and "/usr/bin/mrtimer --version" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["if-no-files-found"] == "error"
    for entry in matrix:
        assert entry["installer"].startswith("dist/installers/")
    for path in re.findall(r"packaging/[\w/.-]+\.\w+", runs):
        assert (ROOT / path).exists(), path


def test_makefile_dist_target() -> None:
    text = (ROOT / "Makefile").read_text()
    assert re.search(r"^dist:\n\t\$\(PYTHON\) packaging/build\.py$", text, re.M)

"""Check the PyInstaller specs against the PyInstaller that is installed.

PyInstaller ignores misspelled keyword arguments (``Analysis`` swallows ``**_kwargs``;
``EXE``, ``COLLECT``, ``PYZ`` and ``BUNDLE`` read ``kwargs.get(...)``), so a typo such
as ``consle=False`` silently builds a console app. This module:

1. reads, from the installed PyInstaller's source, the keyword names each class really
   accepts: the named parameters of ``__init__`` plus every ``kwargs.get("name")``,
   ``kwargs["name"]`` and ``"name" in kwargs`` in its body; options whose use raises a
   ``Removed...Error`` are reported as removed;
2. parses each spec with :mod:`ast` and checks every keyword of every call to
   ``Analysis``/``PYZ``/``EXE``/``COLLECT``/``BUNDLE``/``MERGE``/``Splash``;
3. executes the spec with recording stand-ins for those classes (nothing is built) and
   checks that every file it references exists: scripts, ``pathex``, ``datas`` and
   ``binaries`` sources, hooks, icons, the version file, entitlements.

Usage: ``python packaging/speccheck.py [SPEC ...]`` (default: all three); exit 1 on a
problem.
"""

from __future__ import annotations

import argparse
import ast
import glob
import inspect
import os
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SPECS",
    "TARGETS",
    "Call",
    "accepted_options",
    "check_keywords",
    "check_references",
    "check_spec",
    "evaluate_spec",
    "main",
    "pyinstaller_classes",
    "spec_calls",
]

HERE = Path(__file__).resolve().parent
SPECS: tuple[Path, ...] = (
    HERE / "linux" / "mrtimer.spec",
    HERE / "windows" / "mrtimer.spec",
    HERE / "macos" / "mrtimer.spec",
)
TARGETS: tuple[str, ...] = ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE", "MERGE", "Splash")


def pyinstaller_classes() -> dict[str, type]:
    """The spec namespace's classes, from the installed PyInstaller."""
    from PyInstaller.building.api import COLLECT, EXE, MERGE, PYZ
    from PyInstaller.building.build_main import Analysis
    from PyInstaller.building.osx import BUNDLE
    from PyInstaller.building.splash import Splash

    return {"Analysis": Analysis, "PYZ": PYZ, "EXE": EXE, "COLLECT": COLLECT,
            "BUNDLE": BUNDLE, "MERGE": MERGE, "Splash": Splash}


def _names_in(node: ast.AST, var_kw: str | None) -> set[str]:
    """Option names a piece of ``__init__`` reads: named parameters and kwargs keys."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        key = _kwargs_key(sub, var_kw)
        if key is not None:
            found.add(key)
    return found


def _kwargs_key(node: ast.AST, var_kw: str | None) -> str | None:
    if var_kw is None:
        return None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and isinstance(node.func.value, ast.Name) and node.func.value.id == var_kw
            and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)):
        return node.args[0].value
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == var_kw and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)):
        return node.slice.value
    if (isinstance(node, ast.Compare) and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
            and isinstance(node.comparators[0], ast.Name)
            and node.comparators[0].id == var_kw):
        return node.left.value
    return None


def _raises_removed(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            target = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
            if name.startswith("Removed"):
                return True
    return False


def accepted_options(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """(accepted, removed) keyword names of ``cls.__init__`` in the installed PyInstaller."""
    init: Any = cls.__init__  # type: ignore[misc]
    params = inspect.signature(init).parameters.values()
    named = {p.name for p in params
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}
    var_kw = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)
    tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    read = {key for node in ast.walk(tree) if (key := _kwargs_key(node, var_kw)) is not None}
    removed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _raises_removed(ast.Module(body=node.body,
                                                                    type_ignores=[])):
            removed |= _names_in(node.test, var_kw) & (named | read)
    return frozenset((named | read) - removed), frozenset(removed)


@dataclass(frozen=True)
class Call:
    target: str
    line: int
    keywords: tuple[str, ...]
    splat: bool = False  # a **mapping argument: its keys cannot be checked


def spec_calls(spec: Path) -> list[Call]:
    tree = ast.parse(spec.read_text(encoding="utf-8"), filename=str(spec))
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in TARGETS):
            calls.append(Call(node.func.id, node.lineno,
                              tuple(k.arg for k in node.keywords if k.arg is not None),
                              any(k.arg is None for k in node.keywords)))
    return sorted(calls, key=lambda c: c.line)


def check_keywords(spec: Path, classes: dict[str, type] | None = None) -> list[str]:
    classes = classes if classes is not None else pyinstaller_classes()
    problems = []
    options = {name: accepted_options(cls) for name, cls in classes.items()}
    for call in spec_calls(spec):
        accepted, removed = options[call.target]
        where = f"{spec.name}:{call.line} {call.target}()"
        if call.splat:
            problems.append(f"{where}: **kwargs cannot be checked; spell the options out")
        for kw in call.keywords:
            if kw in removed:
                problems.append(f"{where}: option {kw!r} was removed from PyInstaller")
            elif kw not in accepted:
                problems.append(f"{where}: unknown option {kw!r} (PyInstaller would ignore "
                                f"it); accepted: {', '.join(sorted(accepted))}")
    return problems


@dataclass
class Recorded:
    target: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class Evaluation:
    spec: Path
    workpath: Path
    calls: list[Recorded] = field(default_factory=list)

    def of(self, target: str) -> list[Recorded]:
        return [c for c in self.calls if c.target == target]


def evaluate_spec(spec: Path, workpath: Path) -> Evaluation:
    """Run the spec's code with recording stand-ins: what it would pass to PyInstaller."""
    evaluation = Evaluation(spec.resolve(), workpath)

    def stand_in(target: str) -> type:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            evaluation.calls.append(Recorded(target, args, kwargs))
            self.name = kwargs.get("name", target)
            for attr in ("pure", "scripts", "binaries", "datas", "zipfiles", "zipped_data",
                         "dependencies"):
                setattr(self, attr, [])

        return type(target, (), {"__init__": __init__})

    workpath.mkdir(parents=True, exist_ok=True)
    namespace: dict[str, Any] = {
        "__file__": str(spec), "__name__": "__main__",
        "SPEC": str(spec), "SPECPATH": str(spec.parent), "specnm": spec.stem,
        "workpath": str(workpath), "DISTPATH": str(workpath / "dist"),
        "WARNFILE": str(workpath / "warn.txt"), "HOMEPATH": str(workpath), "os": os,
        "TOC": list, "Tree": stand_in("Tree"),
        **{name: stand_in(name) for name in TARGETS},
    }
    code = compile(spec.read_text(encoding="utf-8"), str(spec), "exec")
    exec(code, namespace)  # noqa: S102 - our own spec, with stand-ins
    return evaluation


def _paths(value: Any) -> Iterable[str]:
    if value is None:
        return []
    if isinstance(value, str | os.PathLike):
        return [os.fspath(value)]
    if isinstance(value, list | tuple):
        return [os.fspath(v) for v in value if isinstance(v, str | os.PathLike)]
    return []


def check_references(evaluation: Evaluation) -> list[str]:
    """Every file or folder the spec passes to PyInstaller exists (relative: to SPECPATH)."""
    base = evaluation.spec.parent
    problems = []

    def need(kind: str, path: str, *, pattern: bool = False) -> None:
        full = path if os.path.isabs(path) else str(base / path)
        ok = bool(glob.glob(full)) if pattern else os.path.exists(full)
        if not ok:
            problems.append(f"{evaluation.spec.name}: {kind} {path!r} does not exist")

    for call in evaluation.of("Analysis"):
        for script in _paths(call.args[0] if call.args else call.kwargs.get("scripts")):
            need("script", script)
        for key in ("pathex", "hookspath", "runtime_hooks"):
            for path in _paths(call.kwargs.get(key)):
                need(key, path)
        for key in ("datas", "binaries"):
            for entry in call.kwargs.get(key) or []:
                need(f"{key} source", os.fspath(entry[0]), pattern=True)
    for call in evaluation.of("EXE") + evaluation.of("BUNDLE"):
        for path in _paths(call.kwargs.get("icon")):
            if path != "NONE" and "," not in os.path.basename(path):
                need(f"{call.target} icon", path)
        keys = ("version", "manifest", "entitlements_file") if call.target == "EXE" else ()
        for key in keys:
            for path in _paths(call.kwargs.get(key)):
                need(f"{call.target} {key}", path)
    return problems


def check_spec(spec: Path, workpath: Path | None = None) -> list[str]:
    problems = check_keywords(spec)
    if workpath is None:
        with tempfile.TemporaryDirectory(prefix="mrtimer-speccheck-") as tmp:
            return problems + check_references(evaluate_spec(spec, Path(tmp)))
    return problems + check_references(evaluate_spec(spec, workpath))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check PyInstaller spec options and files.")
    parser.add_argument("specs", nargs="*", type=Path, default=list(SPECS))
    args = parser.parse_args(argv)
    os.environ.setdefault("MRTIMER_ICONS_QUIET", "1")
    problems = [p for spec in args.specs for p in check_spec(spec)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"speccheck: {len(args.specs)} spec(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

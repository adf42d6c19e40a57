"""The report page in real headless Chromium: a screenshot and the rendered DOM.

The screenshot goes to ``artifacts/screenshots/report.png`` (the README's picture,
``docs/report-screenshot.png``, is a copy of it). Skipped with a reason when Chromium is
missing, unless ``MRTIMER_REQUIRE_CHROMIUM=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mrtimer.api import Timer
from mrtimer.report import Period, Report, ReportInput, build_report, render_html

from test_report_render import Elements

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "artifacts" / "screenshots" / "report.png"
BERLIN = ZoneInfo("Europe/Berlin")
REQUIRE = os.environ.get("MRTIMER_REQUIRE_CHROMIUM") == "1"


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        reason = "chromium is not installed (Debian package 'chromium')"
        if REQUIRE:
            pytest.fail(f"{reason} and MRTIMER_REQUIRE_CHROMIUM=1")
        pytest.skip(f"{reason}; set MRTIMER_REQUIRE_CHROMIUM=1 to fail instead")
    return found


def run_chromium(tmp_path: Path, page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    args = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
        "--force-device-scale-factor=1", "--window-size=1200,900", *mode, page.as_uri(),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


def demo_week() -> Report:
    """A plausible week: the README's screenshot."""
    t = {
        "login": ("t-1", "Fix login bug", "p-web"),
        "review": ("t-2", "Code review", "p-web"),
        "meeting": ("t-3", "Team meeting", "p-team"),
        "notes": ("t-4", "Write release notes", "p-team"),
        "api": ("t-5", "API client: retries", "p-web"),
        "support": ("t-6", "Customer support", "p-ops"),
    }

    def timer(tid: str, task: str, start: datetime, end: datetime | None,
              children: tuple[Timer, ...] = ()) -> Timer:
        task_id, title, project = t[task]
        return Timer(id=tid, start=start, end=end, task_id=task_id, task_title=title,
                     project_id=project, created_by="u-1", children=children)

    timers = (
        timer("1", "meeting", local(2026, 3, 23, 9), local(2026, 3, 23, 9, 45)),
        timer("2", "login", local(2026, 3, 23, 10), local(2026, 3, 23, 12, 30),
              children=(timer("2a", "login", local(2026, 3, 23, 13, 15),
                              local(2026, 3, 23, 16, 0)),)),
        timer("3", "review", local(2026, 3, 24, 9, 30), local(2026, 3, 24, 11)),
        timer("4", "api", local(2026, 3, 24, 11, 15), local(2026, 3, 24, 17, 40)),
        timer("5", "support", local(2026, 3, 25, 8, 45), local(2026, 3, 25, 10, 15)),
        timer("6", "api", local(2026, 3, 25, 10, 30), local(2026, 3, 25, 15)),
        timer("7", "meeting", local(2026, 3, 25, 15), local(2026, 3, 25, 16)),
        timer("8", "api", local(2026, 3, 25, 22, 30), local(2026, 3, 26, 1, 15)),
        timer("9", "review", local(2026, 3, 26, 10), local(2026, 3, 26, 12)),
        timer("10", "notes", local(2026, 3, 26, 13), local(2026, 3, 26, 16, 20)),
        timer("11", "support", local(2026, 3, 27, 9), local(2026, 3, 27, 10)),
        timer("12", "login", local(2026, 3, 27, 10, 15), None),
    )
    now = local(2026, 3, 27, 15, 40)
    return build_report(ReportInput(timers=timers, period=Period.week_of(date(2026, 3, 27)),
                                    now=now, tz=BERLIN))


def dom_of(tmp_path: Path, page: Path) -> Elements:
    dom = Elements()
    dom.feed(run_chromium(tmp_path, page, "--dump-dom").stdout)
    return dom


def test_report_page_in_chromium(tmp_path: Path) -> None:
    report = demo_week()
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")

    dom = dom_of(tmp_path, page)
    bars = dom.having("rect", "bar")
    assert len(bars) == sum(len(d.parts) for d in report.days) >= 10
    assert {b["data-day"] for b in bars} == {f"2026-03-{d}" for d in range(23, 28)}
    rows = dom.having("tr", "row")
    assert [r["data-key"] for r in rows] == [r.key for r in report.rows]
    assert len(rows) == 6
    legend = [a for t, a in dom.tags if t == "span" and a.get("class") == "name"]
    assert [a["title"] for a in legend] == [r.label for r in report.series]
    text = " ".join(dom.text)
    assert "2026-03-23 to 2026-03-29" in text and "Europe/Berlin" in text
    assert "generated" in text and "2026-03-27 15:40 CET" in text

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    run_chromium(tmp_path, page, f"--screenshot={SCREENSHOT}")
    from PIL import Image

    with Image.open(SCREENSHOT) as shot:
        assert shot.size == (1200, 900)
        rgb = shot.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 20) or []
    counts = {c: n for n, c in colors}
    # The bars are painted: large areas in the first palette colours.
    assert counts.get((0x4E, 0x79, 0xA7), 0) > 2000
    assert counts.get((0xF2, 0x8E, 0x2B), 0) > 2000
    assert len(counts) > 50  # text was rendered, not a blank page


def test_hostile_strings_stay_text_in_chromium(tmp_path: Path) -> None:
    script = '<script>document.title="pwned"</script>'
    attr = 'x" onmouseover="alert(1)'
    timers = (
        Timer(id="1", start=datetime(2026, 3, 2, 8, tzinfo=UTC),
              end=datetime(2026, 3, 2, 9, tzinfo=UTC), description=script),
        Timer(id="2", start=datetime(2026, 3, 3, 8, tzinfo=UTC),
              end=datetime(2026, 3, 3, 9, tzinfo=UTC), task_id=attr,
              description='"quoted" & \'single\''),
    )
    report = build_report(ReportInput(timers=timers, period=Period.week_of(date(2026, 3, 2)),
                                      now=datetime(2026, 3, 9, tzinfo=UTC), tz=UTC))
    page = tmp_path / "hostile.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = dom_of(tmp_path, page)
    assert "script" not in {t for t, _ in dom.tags}
    assert all("onmouseover" not in a for _, a in dom.tags)
    text = "".join(dom.text)
    assert script in text and '"quoted" & \'single\'' in text
    assert f"task:{attr}" in {a.get("data-key") for t, a in dom.tags if t == "tr"}

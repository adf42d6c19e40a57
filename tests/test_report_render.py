"""Renderers: golden HTML with hostile server strings, CSV and JSON agreeing, the table."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mrtimer.api import Timer
from mrtimer.report import (
    GROUP_BY,
    Period,
    Report,
    ReportInput,
    build_report,
    render,
    render_csv,
    render_html,
    render_json,
    render_table,
)

GOLDEN = Path(__file__).parent / "report_golden"
# Read at import: the suite's autouse fixture clears MRTIMER_* variables per test.
UPDATE_GOLDEN = os.environ.get("MRTIMER_UPDATE_GOLDEN") == "1"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 27, 11, 30, tzinfo=UTC)  # Friday 12:30 CET

SCRIPT = '<script>alert("pwned")</script>'
QUOTES = 'Say "hi" & \'bye\' <b>bold</b>'
ATTR = 'x" onmouseover="alert(1)'


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


def hostile_timers() -> tuple[Timer, ...]:
    return (
        Timer(id="1", start=local(2026, 3, 23, 9), end=local(2026, 3, 23, 11, 30),
              task_id="t-login", task_title="Fix login bug", project_id="p-web",
              created_by="u-1"),
        Timer(id="2", start=local(2026, 3, 24, 14), end=local(2026, 3, 24, 15),
              description=SCRIPT, project_id="p-web", created_by="u-1",
              children=(Timer(id="2a", start=local(2026, 3, 25, 9),
                              end=local(2026, 3, 25, 9, 45)),)),
        Timer(id="3", start=local(2026, 3, 25, 22), end=local(2026, 3, 26, 1, 30),
              task_id=ATTR, description=QUOTES, project_id=SCRIPT, created_by="u-2"),
        Timer(id="4", start=local(2026, 3, 27, 9), end=None, task_id="t-review",
              task_title="Code review", project_id="p-web", created_by="u-1"),
    )


def hostile_report(by: str = "task") -> Report:
    return build_report(ReportInput(timers=hostile_timers(),
                                    period=Period.week_of(date(2026, 3, 25)),
                                    now=NOW, tz=BERLIN, by=by))  # type: ignore[arg-type]


class Elements(HTMLParser):
    """Every start tag with its attributes, and all text, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str, css_class: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags
                if t == tag and css_class in (a.get("class") or "").split()]


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.write_text(text, encoding="utf-8", newline="")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs; MRTIMER_UPDATE_GOLDEN=1 rewrites it"


# -- html ----------------------------------------------------------------------------


def test_golden_html_with_script_and_quotes() -> None:
    page = render_html(hostile_report())
    check_golden("hostile-week.html", page)


def test_golden_html_by_project() -> None:
    check_golden("hostile-week-by-project.html", render_html(hostile_report("project")))


def test_html_escapes_every_server_string_in_text_and_attributes() -> None:
    page = render_html(hostile_report())
    assert "<script" not in page.lower()
    assert 'onmouseover="' not in page
    assert "<b>bold</b>" not in page
    assert html_escaped(SCRIPT) in page and html_escaped(QUOTES) in page
    parsed = parse(page)
    assert "script" not in {tag for tag, _ in parsed.tags}
    assert all("onmouseover" not in attrs for _, attrs in parsed.tags)
    # The hostile strings survive as text and attribute values, intact.
    text = "".join(parsed.text)
    assert SCRIPT in text and QUOTES in text
    titles = {attrs.get("title") for tag, attrs in parsed.tags if tag == "td"}
    assert SCRIPT in titles and QUOTES in titles
    keys = {attrs.get("data-key") for tag, attrs in parsed.tags if tag == "tr"}
    assert f"task:{ATTR}" in keys
    series = {attrs.get("data-series") for tag, attrs in parsed.tags if tag == "rect"}
    assert f"task:{ATTR}" in series


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_html_is_self_contained() -> None:
    page = render_html(hostile_report())
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action"):
            assert name not in attrs, f"<{tag} {name}=...> would load something"
    assert "url(" not in page and "@import" not in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0].get("content") or "")


def test_html_structure() -> None:
    rep = hostile_report()
    parsed = parse(render_html(rep))
    bars = [a for t, a in parsed.tags if t == "rect" and a.get("class") == "bar"]
    assert len(bars) == sum(len(d.parts) for d in rep.days)
    assert {a["data-day"] for a in bars} == {
        "2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27"}
    rows = [a for t, a in parsed.tags if t == "tr" and a.get("class") == "row"]
    assert [a["data-key"] for a in rows] == [r.key for r in rep.rows]
    text = "".join(parsed.text)
    assert "2026-03-23 to 2026-03-29" in text
    assert "2026-03-27 12:30 CET" in text
    assert "Europe/Berlin" in text and "includes a running timer" in text


def test_html_empty_range() -> None:
    rep = build_report(ReportInput(timers=(), period=Period.week_of(date(2026, 3, 4)),
                                   now=NOW, tz=BERLIN))
    page = render_html(rep)
    assert "No time recorded in this range" in page
    assert 'class="bar"' not in page


def test_html_many_series_share_an_other_colour() -> None:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    timers = tuple(
        Timer(id=str(i), start=start + timedelta(hours=i),
              end=start + timedelta(hours=i, minutes=50 - i), task_id=f"t{i}")
        for i in range(12)
    )
    rep = build_report(ReportInput(timers=timers, period=Period.week_of(date(2026, 3, 2)),
                                   now=NOW, tz=UTC))
    page = render_html(rep)
    assert "4 more" in page  # 8 named colours + "other" for the remaining 4
    assert page.count('class="row"') == 12


# -- csv and json ---------------------------------------------------------------------


@pytest.mark.parametrize("by", GROUP_BY)
def test_csv_read_back_gives_the_same_totals_as_json(by: str) -> None:
    rep = hostile_report(by)
    data = json.loads(render_json(rep))
    table = list(csv.DictReader(io.StringIO(render_csv(rep), newline="")))
    assert [int(r["seconds"]) for r in table] == [r["seconds"] for r in data["rows"]]
    assert sum(int(r["seconds"]) for r in table) == data["total_seconds"]
    assert sum(r["seconds"] for r in data["rows"]) == data["total_seconds"]
    assert sum(d["seconds"] for d in data["days"]) == data["total_seconds"]
    assert [r["duration"] for r in table] == [r["duration"] for r in data["rows"]]
    assert [float(r["share"]) for r in table] == [r["share"] for r in data["rows"]]
    assert abs(sum(float(r["share"]) for r in table) - 1.0) < 0.001
    assert list(table[0]) == [by, "label", "seconds", "duration", "share"]


def test_json_hand_computed() -> None:
    data = json.loads(render_json(hostile_report()))
    assert data["from"] == "2026-03-23" and data["to"] == "2026-03-29"
    assert data["timezone"] == "Europe/Berlin" and data["running"] is True
    # 2h30 + (1h + 45m) + 3h30 + 3h30 (running since 09:00, now 12:30) = 11h15
    assert data["total_seconds"] == 11 * 3600 + 15 * 60
    assert data["total"] == "11:15:00"
    by_label = {r["label"]: r["seconds"] for r in data["rows"]}
    assert by_label == {"Fix login bug": 9000, SCRIPT: 6300, QUOTES: 12600,
                        "Code review": 12600}
    days = {d["date"]: d["seconds"] for d in data["days"]}
    assert days["2026-03-25"] == 45 * 60 + 2 * 3600  # child + 22:00-24:00
    assert days["2026-03-26"] == 90 * 60


def test_csv_guards_against_formula_injection() -> None:
    timers = (Timer(id="1", start=datetime(2026, 3, 2, 8, tzinfo=UTC),
                    end=datetime(2026, 3, 2, 9, tzinfo=UTC), description="=HYPERLINK(1)"),)
    rep = build_report(ReportInput(timers=timers, period=Period.week_of(date(2026, 3, 2)),
                                   now=NOW, tz=UTC))
    row = next(csv.DictReader(io.StringIO(render_csv(rep))))
    assert row["label"] == "'=HYPERLINK(1)"
    assert row["task"] == "description:=HYPERLINK(1)"


def test_table_strips_terminal_control_characters() -> None:
    timers = (Timer(id="1", start=datetime(2026, 3, 2, 8, tzinfo=UTC),
                    end=datetime(2026, 3, 2, 9, tzinfo=UTC),
                    description="evil\x1b]0;title\x07\x1b[2Jname"),)
    rep = build_report(ReportInput(timers=timers, period=Period.week_of(date(2026, 3, 2)),
                                   now=NOW, tz=UTC))
    text = render_table(rep)
    assert "\x1b" not in text and "\x07" not in text
    assert "evil" in text and "01:00:00" in text


def test_table_hand_computed() -> None:
    text = render_table(hostile_report())
    lines = text.splitlines()
    assert lines[0] == "Report 2026-03-23 to 2026-03-29 (Europe/Berlin), by task"
    assert any(line.startswith("Fix login bug") and line.endswith("02:30:00   22.2%")
               for line in lines)
    assert lines[-2].startswith("Total") and lines[-2].endswith("11:15:00  100.0%")
    assert lines[-1] == "(includes a running timer, counted up to now)"


def test_render_dispatch() -> None:
    rep = hostile_report()
    assert render(rep, "csv") == render_csv(rep)
    assert render(rep, "html") == render_html(rep)

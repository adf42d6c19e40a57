"""Renderers of a :class:`Report`: plain table, CSV, JSON and a self-contained HTML page.

Every string that came from the server (task titles, descriptions, ids) is treated as
hostile: escaped with ``html.escape(..., quote=True)`` in the page (text and
attributes, and the page's CSP forbids scripts and any network access anyway), stripped
of control characters in the terminal table, and guarded against spreadsheet formula
injection in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from datetime import timedelta
from html import escape
from typing import Literal

from mrtimer.api import format_hms

from ._aggregate import Report, Row

__all__ = ["FORMATS", "Format", "render", "render_csv", "render_html", "render_json",
           "render_table"]

Format = Literal["table", "csv", "json", "html"]
FORMATS: tuple[Format, ...] = ("table", "csv", "json", "html")

_GROUP_TITLE = {"task": "Task", "project": "Project", "day": "Day", "user": "User"}

# Tableau 10: distinct, colour-blind friendlier than a rainbow; the last one is "other".
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f")
OTHER_COLOR = "#bab0ac"
OTHER_KEY = "\0other"


def _hms(seconds: int) -> str:
    return format_hms(timedelta(seconds=seconds))


def _hm(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _share(row: Row) -> float:
    return round(row.share, 4)


def _range_text(report: Report) -> str:
    p = report.period
    if p.first == p.last:
        return p.first.isoformat()
    return f"{p.first.isoformat()} to {p.last.isoformat()}"


def _generated_text(report: Report) -> str:
    return report.generated_local.strftime("%Y-%m-%d %H:%M %Z").strip()


# -- table --------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain(text: str, width: int) -> str:
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(report: Report) -> str:
    title = _GROUP_TITLE[report.by]
    width = max([len(title), len("Total")] + [min(48, len(r.label)) for r in report.rows])
    width = min(width, 48)
    lines = [
        f"Report {_range_text(report)} ({report.timezone}), by {report.by}",
        "",
        f"{title:<{width}}  {'Time':>10}  {'Share':>6}",
    ]
    for row in report.rows:
        lines.append(f"{_plain(row.label, width):<{width}}  {_hms(row.seconds):>10}  "
                     f"{row.share * 100:>5.1f}%")
    if not report.rows:
        lines.append("(no time recorded in this range)")
    lines.append(f"{'Total':<{width}}  {_hms(report.total_seconds):>10}  "
                 f"{(100.0 if report.total_seconds else 0.0):>5.1f}%")
    if report.running:
        lines.append("(includes a running timer, counted up to now)")
    return "\n".join(lines) + "\n"


# -- csv / json ---------------------------------------------------------------------


def _csv_cell(text: str) -> str:
    # A leading = + - @ (or tab/CR) makes spreadsheets evaluate the cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([report.by, "label", "seconds", "duration", "share"])
    for row in report.rows:
        writer.writerow([_csv_cell(row.key), _csv_cell(row.label), row.seconds,
                         _hms(row.seconds), f"{_share(row):.4f}"])
    return buf.getvalue()


def _row_json(row: Row) -> dict[str, object]:
    return {"key": row.key, "label": row.label, "seconds": row.seconds,
            "duration": _hms(row.seconds), "share": _share(row)}


def render_json(report: Report) -> str:
    body = {
        "from": report.period.first.isoformat(),
        "to": report.period.last.isoformat(),
        "timezone": report.timezone,
        "generated_at": report.generated_at.isoformat(),
        "by": report.by,
        "total_seconds": report.total_seconds,
        "total": _hms(report.total_seconds),
        "running": report.running,
        "rows": [_row_json(r) for r in report.rows],
        "days": [{"date": d.day.isoformat(), "seconds": d.seconds} for d in report.days],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


# -- html ---------------------------------------------------------------------------


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _colors(report: Report) -> tuple[dict[str, str], list[tuple[str, str, float]]]:
    """Colour per series key (top ones; the rest share "other") and the legend entries."""
    named = report.series[: len(PALETTE)] if len(report.series) <= len(PALETTE) \
        else report.series[: len(PALETTE) - 1]
    colors = {row.key: PALETTE[i] for i, row in enumerate(named)}
    legend = [(PALETTE[i], row.label, float(row.seconds)) for i, row in enumerate(named)]
    rest = report.series[len(named):]
    if rest:
        legend.append((OTHER_COLOR, f"{len(rest)} more", float(sum(r.seconds for r in rest))))
    return colors, legend


def _nice_step(max_hours: float) -> float:
    for step in (0.5, 1, 2, 4, 6, 8, 12, 24, 48, 96, 168):
        if max_hours / step <= 6:
            return float(step)
    return float(math.ceil(max_hours / 6))


def _chart(report: Report, colors: dict[str, str]) -> str:
    width, height = 1000, 270
    left, right, top, bottom = 56, 16, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    max_s = max((d.seconds for d in report.days), default=0)
    max_h = max(max_s / 3600, 1.0)
    step = _nice_step(max_h)
    y_max = math.ceil(max_h / step) * step
    n = len(report.days)
    slot = plot_w / n
    bar_w = min(64.0, slot * 0.64)
    # Up to two weeks every day is labelled; beyond, Mondays (every k-th for long ranges).
    if n <= 14:
        labelled = {d.day for d in report.days}
    else:
        mondays = [d.day for d in report.days if d.day.weekday() == 0]
        labelled = set(mondays[:: max(1, math.ceil(len(mondays) / 14))])
    show_totals = slot >= 44  # a total above each bar only while they don't collide
    label = ("task" if report.stack_by == "task" else "project")
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Time per day, stacked by {label}" xmlns="http://www.w3.org/2000/svg">'
    ]
    ticks = int(round(y_max / step))
    for i in range(ticks + 1):
        hours = i * step
        y = top + plot_h - plot_h * hours / y_max
        text = f"{hours:g}h"
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" '
                   f'y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{left - 8}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{_e(text)}</text>')
    series_labels = {row.key: row.label for row in report.series}
    for i, day in enumerate(report.days):
        cx = left + slot * (i + 0.5)
        x = cx - bar_w / 2
        base = float(top + plot_h)
        day_text = day.day.strftime("%a %d %b")
        for key, seconds in day.parts:
            h = plot_h * (seconds / 3600) / y_max
            if h <= 0:
                continue
            base -= h
            color = colors.get(key, OTHER_COLOR)
            name = series_labels.get(key, key)
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{color}" data-day="{_e(day.day.isoformat())}" '
                f'data-series="{_e(key)}"><title>{_e(day_text)} · {_e(name)}: '
                f'{_e(_hm(seconds))} of {_e(_hm(day.seconds))}</title></rect>'
            )
        if day.seconds and show_totals:
            out.append(f'<text class="total" x="{cx:.1f}" y="{base - 6:.1f}" '
                       f'text-anchor="middle">{_e(_hm(day.seconds))}</text>')
        if day.day in labelled:
            weekday, rest = day.day.strftime("%a"), day.day.strftime("%d %b")
            out.append(
                f'<text class="axis" x="{cx:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                f'{_e(weekday)}<tspan x="{cx:.1f}" dy="14">{_e(rest)}</tspan></text>'
            )
    out.append(f'<line class="baseline" x1="{left}" x2="{width - right}" '
               f'y1="{top + plot_h}" y2="{top + plot_h}"/>')
    if report.empty:
        out.append(f'<text class="empty" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                   f'text-anchor="middle">No time recorded in this range</text>')
    out.append("</svg>")
    return "\n".join(out)


def _table(title: str, rows: tuple[Row, ...], total: int, colors: dict[str, str],
           css_class: str) -> str:
    out = [f'<table class="{_e(css_class)}">',
           f"<thead><tr><th></th><th>{_e(title)}</th><th>Time</th><th>Share</th></tr></thead>",
           "<tbody>"]
    for row in rows:
        color = colors.get(row.key, "")
        swatch = f'<span class="swatch" style="background:{color}"></span>' if color else ""
        pct = row.share * 100
        out.append(
            f'<tr class="row" data-key="{_e(row.key)}"><td>{swatch}</td>'
            f'<td class="label" title="{_e(row.label)}">{_e(row.label)}</td>'
            f'<td class="num">{_e(_hms(row.seconds))}</td>'
            f'<td class="share"><span class="meter"><span style="width:{pct:.1f}%;'
            f'background:{color or PALETTE[0]}"></span></span>{pct:.1f}%</td></tr>'
        )
    if not rows:
        out.append('<tr class="none"><td></td><td colspan="3">No time recorded</td></tr>')
    out.append(f'</tbody><tfoot><tr><td></td><td>Total</td><td class="num">{_e(_hms(total))}'
               f'</td><td class="share">{100.0 if total else 0.0:.1f}%</td></tr></tfoot>')
    out.append("</table>")
    return "\n".join(out)


_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 32px; font: 15px/1.45 system-ui, -apple-system,
  "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.meta { color: #57606a; margin: 0 0 16px; }
.cards { display: flex; gap: 12px; margin-bottom: 16px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 10px 16px;
  min-width: 150px; }
.card .k { color: #57606a; font-size: 13px; }
.card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
section { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 14px 18px;
  margin-bottom: 16px; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: #e6e9ed; stroke-width: 1; }
.chart .baseline { stroke: #8c959f; stroke-width: 1; }
.chart .axis { fill: #57606a; font-size: 12px; }
.chart .total { fill: #1f2328; font-size: 12px; font-weight: 600; }
.chart .empty { fill: #8c959f; font-size: 15px; }
.chart .bar { stroke: #fff; stroke-width: 1; }
.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap;
  gap: 6px 18px; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; max-width: 320px; }
.legend .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.legend .t { color: #57606a; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  flex: none; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 5px 8px; border-bottom: 1px solid #eaeef2; text-align: left; }
th { color: #57606a; font-weight: 600; font-size: 13px; }
th:first-child, td:first-child { width: 28px; padding-right: 0; }
td.label { max-width: 520px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.num, th:nth-child(3) { text-align: right; font-variant-numeric: tabular-nums; width: 110px; }
td.share { width: 190px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.meter { display: inline-block; width: 110px; height: 8px; background: #eaeef2;
  border-radius: 4px; margin-right: 8px; vertical-align: middle; overflow: hidden; }
.meter span { display: block; height: 100%; }
tfoot td { font-weight: 600; border-bottom: none; }
footer { color: #8c959f; font-size: 12px; }
"""


def render_html(report: Report) -> str:
    colors, legend = _colors(report)
    range_text = _range_text(report)
    busiest = max(report.days, key=lambda d: d.seconds, default=None)
    active_days = sum(1 for d in report.days if d.seconds)
    cards = [
        ("Total", _hm(report.total_seconds)),
        ("Days with time", f"{active_days} of {len(report.days)}"),
        ("Daily average", _hm(report.total_seconds / active_days) if active_days else "0m"),
        ("Busiest day", busiest.day.strftime("%a %d %b") if busiest and busiest.seconds
         else "none"),
        ("Tasks", str(len(report.tasks))),
    ]
    stack = "task" if report.stack_by == "task" else "project"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Time report {_e(range_text)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<h1>Meet and Rock Timer: time report</h1>",
        f'<p class="meta"><span class="range">{_e(range_text)}</span> · '
        f'<span class="tz">{_e(report.timezone)}</span> · generated '
        f'<time class="generated" datetime="{_e(report.generated_at.isoformat())}">'
        f"{_e(_generated_text(report))}</time>"
        + (" · includes a running timer" if report.running else "")
        + "</p>",
        '<div class="cards">',
    ]
    for key, value in cards:
        parts.append(f'<div class="card"><div class="k">{_e(key)}</div>'
                     f'<div class="v">{_e(value)}</div></div>')
    parts.append("</div>")
    parts.append(f'<section class="chart-box"><h2>Time per day, by {_e(stack)}</h2>')
    parts.append(_chart(report, colors))
    parts.append('<ul class="legend">')
    for color, name, seconds in legend:
        parts.append(f'<li><span class="swatch" style="background:{color}"></span>'
                     f'<span class="name" title="{_e(name)}">{_e(name)}</span>'
                     f'<span class="t">{_e(_hm(seconds))}</span></li>')
    parts.append("</ul></section>")
    by_title = _GROUP_TITLE[report.by]
    table_colors = colors if report.by == report.stack_by else {}
    parts.append(f'<section><h2>By {_e(by_title.lower())}</h2>')
    parts.append(_table(by_title, report.rows, report.total_seconds, table_colors,
                        f"rows by-{report.by}"))
    parts.append("</section>")
    if report.by != "task":
        task_colors = colors if report.stack_by == "task" else {}
        parts.append("<section><h2>By task</h2>")
        parts.append(_table("Task", report.tasks, report.total_seconds, task_colors,
                            "rows by-task"))
        parts.append("</section>")
    parts.append("<footer>Made by mrtimer from the Timer Management API. Durations are "
                 "hours:minutes:seconds; a timer crossing midnight is split between days."
                 "</footer>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


RENDERERS: dict[Format, Callable[[Report], str]] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
    "html": render_html,
}


def render(report: Report, fmt: Format) -> str:
    return RENDERERS[fmt](report)

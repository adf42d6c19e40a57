"""Reports: where the time went, by task, project, day or user.

Pure aggregation (:func:`build_report`: a frozen :class:`ReportInput` in, a frozen
:class:`Report` out), renderers (table, CSV, JSON, a self-contained HTML page), and the
concurrent, cached fetching of the server weeks a range needs. The click command lives
in :mod:`mrtimer.report.cli` (``report_command``).
"""

from ._aggregate import (
    GROUP_BY,
    DayStack,
    GroupBy,
    LocalZone,
    Period,
    Report,
    ReportInput,
    Row,
    StackBy,
    apportion,
    build_report,
)
from ._fetch import WeekCache, WeekSource, cache_namespace, fetch_weeks, weeks_for
from ._render import FORMATS, Format, render, render_csv, render_html, render_json, render_table
from ._service import WEEKLY_REPORT_NAME, local_today, produce_report, write_weekly_report

__all__ = [
    "FORMATS",
    "GROUP_BY",
    "WEEKLY_REPORT_NAME",
    "DayStack",
    "Format",
    "GroupBy",
    "LocalZone",
    "Period",
    "Report",
    "ReportInput",
    "Row",
    "StackBy",
    "WeekCache",
    "WeekSource",
    "apportion",
    "build_report",
    "cache_namespace",
    "fetch_weeks",
    "local_today",
    "produce_report",
    "render",
    "render_csv",
    "render_html",
    "render_json",
    "render_table",
    "weeks_for",
    "write_weekly_report",
]

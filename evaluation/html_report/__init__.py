"""A shareable report: one self-contained HTML file of sessions, transcripts, ratings, metrics and charts.

    from practicum.evaluation.html_report import collect_report, write_report
    data = collect_report(store, session_ids, selection="run:3")
    write_report(data, "run3.html")

The file loads nothing from anywhere (inline CSS, one inline script, inline SVG), so it works
from disk or as an email attachment. `practicum report` is the command-line front.
"""

from __future__ import annotations

from practicum.evaluation.html_report.data import DEFAULT_MAX_TRANSCRIPTS, ReportData, collect_report
from practicum.evaluation.html_report.page import render_report, write_report

__all__ = ["DEFAULT_MAX_TRANSCRIPTS", "ReportData", "collect_report", "render_report", "write_report"]

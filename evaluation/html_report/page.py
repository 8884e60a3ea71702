"""Assemble the report into one self-contained HTML page: inline CSS, one inline script, inline SVG charts.

A Content-Security-Policy meta tag forbids every network load and allows only the page's own
script (by its hash), so even text that slipped past escaping could neither run nor fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

from practicum import __version__
from practicum.evaluation.html_report.data import ReportData
from practicum.evaluation.html_report.markup import esc
from practicum.evaluation.html_report.sections import (
    comparison_section, judge_section, metrics_section, ratings_section, summary_section,
)
from practicum.evaluation.html_report.transcripts import sessions_section, transcripts_section


# Without scripts: every included transcript is shown (pages need the script), and the pager is hidden.
NO_SCRIPT_STYLE = ("<noscript><style>article.transcript[hidden] { display: block !important; } "
                   ".pager, #sessions-more, .controls { display: none !important; }</style></noscript>")


def _asset(name: str) -> str:
    return files("practicum.evaluation.html_report").joinpath(name).read_text(encoding="utf-8")


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            "font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")


def render_report(data: ReportData, title: str | None = None, generated: str | None = None) -> str:
    """The whole report as one HTML string."""
    script, css = _asset("report.js"), _asset("report.css")
    generated = generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    selection = data.selection or "all sessions"
    title = title or f"practicum report: {selection}"
    sections = [summary_section(data), metrics_section(data), judge_section(data), ratings_section(data),
                comparison_section(data), sessions_section(data), transcripts_section(data)]
    links = [("summary", "Summary"), ("metrics", "Metrics"), ("judge", "Judge"), ("ratings", "Human ratings")]
    if data.comparison is not None:
        links.append(("comparison", "Comparison"))
    links += [("sessions", "Sessions"), ("transcripts", "Transcripts")]
    toc = "".join(f'<a href="#{anchor}">{esc(label)}</a>' for anchor, label in links)
    meta = (f"Selection <code>{esc(selection)}</code> · {len(data.sessions):,} sessions · "
            f"metrics <code>{esc(data.evaluation.version)}</code> · generated {esc(generated)} by practicum "
            f"{esc(__version__)}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp(script))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{css}</style>{NO_SCRIPT_STYLE}</head>\n<body>"
        f'<header><h1>{esc(title)}</h1><p class="meta">{meta}</p><nav class="toc">{toc}</nav></header>\n<main>'
        + "\n".join(s for s in sections if s)
        + f"</main>\n<script>{script}</script></body></html>\n"
    )


def write_report(data: ReportData, path: str | Path, title: str | None = None) -> Path:
    """Write the report to `path` (parent folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data, title), encoding="utf-8")
    return path

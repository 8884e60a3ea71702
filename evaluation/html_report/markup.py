"""Small HTML builders shared by the report's sections; every piece of stored text goes through `esc`."""

from __future__ import annotations

import math
from html import escape


def esc(value) -> str:
    """Text or attribute value made safe for HTML (quotes included); None becomes ''."""
    return escape("" if value is None else str(value), quote=True)


def fmt(value, digits: int = 3) -> str:
    """A number for a table cell: fixed digits, '-' for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def ci(low, high, digits: int = 3, signed: bool = False) -> str:
    """A bracketed interval, '-' when undefined."""
    if low is None or high is None or any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        return "-"
    pattern = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    return f"[{pattern.format(low)}, {pattern.format(high)}]"


def number_attr(value) -> str:
    """A number written exactly (repr) for data-* attributes that tests and scripts read back."""
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def table(header: list[str], rows: list[str], css: str = "", caption: str = "") -> str:
    """A table from header names and already-built `<tr>` strings."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    cls = f' class="{esc(css)}"' if css else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def row(cells: list[str], attrs: str = "") -> str:
    """A `<tr>` of already-escaped cells."""
    return f"<tr{(' ' + attrs) if attrs else ''}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def section(anchor: str, title: str, body: str, intro: str = "", attrs: str = "") -> str:
    """A titled section with an anchor for the navigation bar (intro and attrs are already HTML)."""
    lead = f'<p class="intro">{intro}</p>' if intro else ""
    extra = f" {attrs}" if attrs else ""
    return f'<section id="{esc(anchor)}"{extra}><h2>{esc(title)}</h2>{lead}{body}</section>'


def charts(*svgs: str) -> str:
    """Charts side by side, wrapping on narrow screens."""
    return '<div class="charts">' + "".join(f'<figure>{s}</figure>' for s in svgs if s) + "</div>"

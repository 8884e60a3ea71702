"""Inline SVG charts for the HTML report, drawn by hand so the file needs no plotting library or remote script.

Every label passes through `html.escape`; the charts use presentation attributes only (no style
attributes, no external fonts), so they render the same from a file, an email attachment or a
browser with scripts turned off.
"""

from __future__ import annotations

import math
from html import escape

BLUE, ORANGE, GREY, INK = "#4c72b0", "#dd8452", "#8c8c8c", "#222222"
SCORE_COLOURS = ("#c44e52", "#e1b12c", "#55a868")  # bad pole, partly, good pole
ROW = 20
LABEL_W = 230
PLOT_W = 300


def _num(value: float) -> str:
    return f"{value:.1f}"


def _svg(width: float, height: float, title: str, body: list[str], kind: str) -> str:
    label = escape(title)
    return (f'<svg class="chart chart-{kind}" role="img" aria-label="{label}" width="{_num(width)}" '
            f'height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" font-family="sans-serif" '
            f'font-size="11"><title>{label}</title>' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = INK, size: int | None = None,
          weight: str | None = None) -> str:
    extra = (f' font-size="{size}"' if size else "") + (f' font-weight="{weight}"' if weight else "")
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>'
            f"{escape(str(text))}</text>")


def _clip(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (about `count` of them)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else [0.0]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _axis(low: float, high: float, top: float, bottom: float, x0: float, width: float) -> list[str]:
    body = []
    for tick in nice_ticks(low, high):
        x = x0 + (tick - low) / (high - low) * width
        body.append(f'<line x1="{_num(x)}" y1="{_num(top)}" x2="{_num(x)}" y2="{_num(bottom)}" stroke="#e3e3e3"/>')
        body.append(_text(x, bottom + 13, f"{tick:g}", "middle", GREY))
    return body


def label_width(labels: list[str]) -> float:
    """Room for the longest (clipped) label at 11px sans-serif, between 60 and LABEL_W pixels."""
    longest = max((len(_clip(str(label))) for label in labels), default=0)
    return min(float(LABEL_W), max(60.0, 6.4 * longest + 14))


def bar_chart(items: list[tuple[str, float]], title: str, plot_width: float = 200) -> str:
    """Horizontal bars, one per (label, count), in the order given."""
    top = 22
    height = top + ROW * len(items) + 8
    high = max([v for _, v in items] + [1])
    x0 = label_width([label for label, _ in items])
    body = [_text(0, 14, title, weight="bold")]
    for i, (label, value) in enumerate(items):
        y = top + i * ROW
        width = value / high * plot_width
        body.append(_text(x0 - 8, y + 13, _clip(label), "end"))
        body.append(f'<rect class="bar" x="{_num(x0)}" y="{_num(y + 3)}" width="{_num(width)}" height="{ROW - 6}" '
                    f'fill="{BLUE}"><title>{escape(label)}: {value:g}</title></rect>')
        body.append(_text(x0 + width + 4, y + 13, f"{value:,g}", fill=GREY))
    return _svg(max(x0 + plot_width + 60, 6.5 * len(title)), height, title, body, "bars")


def interval_chart(rows: list[tuple[str, float, float, float]], title: str, low: float | None = None,
                   high: float | None = None, zero_line: bool = False) -> str:
    """A dot per (label, mean, ci_low, ci_high) with its interval as a whisker, on one shared axis."""
    finite = [v for _, m, lo, hi in rows for v in (m, lo, hi) if v is not None and math.isfinite(v)]
    low = min(finite + [0.0]) if low is None else low
    high = max(finite + [low + 1e-9]) if high is None else high
    if high <= low:
        high = low + 1.0
    top, x0 = 22, LABEL_W
    bottom = top + ROW * len(rows)
    body = [_text(0, 14, title, weight="bold"), *_axis(low, high, top, bottom, x0, PLOT_W)]

    def x(value: float) -> float:
        return x0 + (min(max(value, low), high) - low) / (high - low) * PLOT_W

    if zero_line and low < 0 < high:
        body.append(f'<line x1="{_num(x(0))}" y1="{top}" x2="{_num(x(0))}" y2="{bottom}" stroke="{INK}"/>')
    for i, (label, mean, ci_low, ci_high) in enumerate(rows):
        y = top + i * ROW + ROW / 2
        body.append(_text(x0 - 8, y + 4, _clip(label), "end"))
        if not math.isfinite(mean):
            continue
        tip = f"{label}: {mean:.3g} [{ci_low:.3g}, {ci_high:.3g}]"
        if math.isfinite(ci_low) and math.isfinite(ci_high):
            body.append(f'<line x1="{_num(x(ci_low))}" y1="{_num(y)}" x2="{_num(x(ci_high))}" y2="{_num(y)}" '
                        f'stroke="{BLUE}" stroke-width="2"/>')
        body.append(f'<circle class="point" cx="{_num(x(mean))}" cy="{_num(y)}" r="4" fill="{BLUE}">'
                    f"<title>{escape(tip)}</title></circle>")
        body.append(_text(x0 + PLOT_W + 12, y + 4, f"{mean:.3g}", fill=GREY))
    return _svg(x0 + PLOT_W + 70, bottom + 22, title, body, "interval")


def stacked_chart(rows: list[tuple[str, list[int]]], level_names: list[str], title: str) -> str:
    """One bar per label split into the share of each score level (bad pole left, good pole right)."""
    colours = SCORE_COLOURS if len(level_names) == 3 else [BLUE] * len(level_names)
    top = 38
    height = top + ROW * len(rows) + 8
    body = [_text(0, 14, title, weight="bold")]
    legend_x = 0.0
    for name, colour in zip(level_names, colours):
        body.append(f'<rect x="{_num(legend_x)}" y="21" width="10" height="10" fill="{colour}"/>')
        body.append(_text(legend_x + 14, 30, name))
        legend_x += 24 + 6.5 * len(name)
    for i, (label, counts) in enumerate(rows):
        y = top + i * ROW
        total = sum(counts) or 1
        body.append(_text(LABEL_W - 8, y + 13, _clip(label), "end"))
        x = float(LABEL_W)
        for name, count, colour in zip(level_names, counts, colours):
            width = count / total * PLOT_W
            if width > 0:
                body.append(f'<rect class="bar" x="{_num(x)}" y="{_num(y + 3)}" width="{_num(width)}" '
                            f'height="{ROW - 6}" fill="{colour}"><title>{escape(label)}, {escape(name)}: '
                            f"{count} of {sum(counts)}</title></rect>")
            x += width
        body.append(_text(LABEL_W + PLOT_W + 6, y + 13, f"n={sum(counts)}", fill=GREY))
    return _svg(LABEL_W + PLOT_W + 70, height, title, body, "stacked")


def paired_means_chart(rows: list[tuple[str, float, tuple, float, tuple]], title: str, label_a: str,
                       label_b: str, low: float | None = None, high: float | None = None) -> str:
    """A and B means with their 95% intervals, one row per (label, mean_a, ci_a, mean_b, ci_b)."""
    finite = [v for _, ma, ca, mb, cb in rows for v in (ma, mb, *ca, *cb) if v is not None and math.isfinite(v)]
    low = min(finite + [0.0]) if low is None else low
    high = max(finite + [low + 1e-9]) if high is None else high
    if high <= low:
        high = low + 1.0
    top, x0 = 38, LABEL_W
    bottom = top + ROW * len(rows)
    body = [_text(0, 14, title, weight="bold")]
    for j, (name, colour) in enumerate(((label_a, BLUE), (label_b, ORANGE))):
        body.append(f'<circle cx="{5 + j * 160}" cy="26" r="4" fill="{colour}"/>')
        body.append(_text(13 + j * 160, 30, _clip(f"{'AB'[j]} = {name}", 24)))
    body += _axis(low, high, top, bottom, x0, PLOT_W)

    def x(value: float) -> float:
        return x0 + (min(max(value, low), high) - low) / (high - low) * PLOT_W

    for i, (label, mean_a, ci_a, mean_b, ci_b) in enumerate(rows):
        y = top + i * ROW + ROW / 2
        body.append(_text(x0 - 8, y + 4, _clip(label), "end"))
        for offset, mean, ci, colour in ((-3.5, mean_a, ci_a, BLUE), (3.5, mean_b, ci_b, ORANGE)):
            if not math.isfinite(mean):
                continue
            if all(math.isfinite(v) for v in ci):
                body.append(f'<line x1="{_num(x(ci[0]))}" y1="{_num(y + offset)}" x2="{_num(x(ci[1]))}" '
                            f'y2="{_num(y + offset)}" stroke="{colour}" stroke-width="2"/>')
            body.append(f'<circle class="point" cx="{_num(x(mean))}" cy="{_num(y + offset)}" r="3.5" '
                        f'fill="{colour}"><title>{escape(label)}: {mean:.3g}</title></circle>')
    return _svg(x0 + PLOT_W + 30, bottom + 22, title, body, "paired")

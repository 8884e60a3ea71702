"""A trainee's progress as a file: a PNG (matplotlib) or one self-contained HTML page with inline SVG charts.

One small chart per measure: its value per practice session (0-100%), with MathDial's human
teachers as a dashed line where the reference has that measure.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from practicum.errors import InputError
from practicum.evaluation.progress import TraineeProgress, present


def _reference_values(reference: dict | None) -> dict[str, float]:
    return {name: item["mean"] for name, item in (reference or {}).get("measures", {}).items()}


def write_progress(progress: TraineeProgress, path: str | Path, reference: dict | None = None) -> Path:
    """Write the progress to `path`: `.png` or `.html` (by the suffix)."""
    path = Path(path)
    if not progress.sessions or not progress.measures():
        raise InputError(f"nothing to chart: {progress.trainee} has no measured practice session yet")
    suffix = path.suffix.lower()
    if suffix == ".png":
        return progress_png(progress, path, reference)
    if suffix in (".html", ".htm"):
        path.write_text(progress_html(progress, reference), encoding="utf-8")
        return path
    raise InputError(f"{path}: --out must end in .png or .html")


def progress_png(progress: TraineeProgress, path: Path, reference: dict | None = None) -> Path:
    """One panel per measure, values per session, MathDial's teachers dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    measures = progress.measures()
    ref = _reference_values(reference)
    columns = min(4, len(measures))
    lines = math.ceil(len(measures) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(3.2 * columns, 2.1 * lines + 0.8), squeeze=False)
    for ax in axes.flat[len(measures):]:
        ax.axis("off")
    xs = list(range(1, len(progress.sessions) + 1))
    for ax, measure in zip(axes.flat, measures):
        values = progress.series[measure.name]
        points = [(x, v) for x, v in zip(xs, values) if v is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#1f5fa8")
        if measure.name in ref:
            ax.axhline(ref[measure.name], linestyle="--", color="#b5651d", linewidth=1)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlim(0.5, len(xs) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # sessions are counted, not measured
        ax.set_title(measure.label, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{progress.trainee}: {len(xs)} practice sessions (dashed: MathDial's human teachers)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _line_svg(values: list[float | None], reference: float | None, width: int = 220, height: int = 60) -> str:
    pad = 6
    n = len(values)
    x = (lambda i: pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5))
    y = (lambda v: pad + (height - 2 * pad) * (1 - v))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f7f7f7"/>']
    if reference is not None:
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(reference):.1f}" y2="{y(reference):.1f}" '
                     'stroke="#b5651d" stroke-dasharray="4 3"/>')
    points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        parts.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
                     + " ".join(f"{px:.1f},{py:.1f}" for px, py in points) + '"/>')
    parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#1f5fa8"/>' for px, py in points]
    parts.append("</svg>")
    return "".join(parts)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def progress_html(progress: TraineeProgress, reference: dict | None = None) -> str:
    """One HTML page, no external resources: a table of measures with their trend charts, and the sessions."""
    ref = _reference_values(reference)
    esc = html.escape
    rows = []
    for measure in progress.measures():
        values = progress.series[measure.name]
        seen = present(values)
        better = {True: "higher is better", False: "lower is better", None: "a mix"}[measure.higher_is_better]
        rows.append(
            f"<tr><td>{esc(measure.label)}<br><small>{better}</small></td>"
            f"<td>{_line_svg(values, ref.get(measure.name))}</td><td>{_pct(seen[0] if seen else None)}</td>"
            f"<td>{_pct(seen[-1] if seen else None)}</td><td>{_pct(ref.get(measure.name))}</td></tr>")
    sessions = []
    for number, point in enumerate(progress.sessions, 1):
        branch = (f"branch of session {point.parent_session_id} at turn {point.branch_turn_idx}"
                  if point.parent_session_id else "")
        sessions.append(f"<tr><td>{number}</td><td>{point.session_id}</td><td>{esc(point.scenario_title)}</td>"
                        f"<td>{esc((point.started or '')[:16].replace('T', ' '))}</td><td>{esc(branch)}</td></tr>")
    notes = "".join(f"<p class=note>{esc(n)}</p>" for n in progress.notes)
    judge = f"Judge: {esc(progress.judge_rater)}. " if progress.judge_rater else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Practice progress: {esc(progress.trainee)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
td, th {{ padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: middle; }}
small, .note {{ color: #666; }}
</style></head><body>
<h1>Practice progress: {esc(progress.trainee)}</h1>
<p>{len(progress.sessions)} practice sessions, oldest to newest. Each value is the share of your teacher turns
(judge dimensions, moves) or whether it happened (success@k, telling@k). {judge}Dashed line: MathDial's human
teachers, measured the same way.</p>
{notes}
<table><tr><th>measure</th><th>trend</th><th>first</th><th>last</th><th>MathDial teachers</th></tr>
{''.join(rows)}</table>
<h2>Sessions</h2>
<table><tr><th>#</th><th>session</th><th>scenario</th><th>started (UTC)</th><th></th></tr>
{''.join(sessions)}</table>
</body></html>
"""

"""The report's summary sections: counts, session metrics, judge dimensions, human ratings, comparison."""

from __future__ import annotations

import math

from practicum.evaluation.html_report.data import ReportData, ScoreSummary
from practicum.evaluation.html_report.markup import charts, ci, esc, fmt, number_attr, row, section, table
from practicum.evaluation.html_report.svg import bar_chart, interval_chart, paired_means_chart, stacked_chart
from practicum.evaluation.judge import DIMENSIONS as JUDGE_DIMENSIONS
from practicum.evaluation.judge_ratings import RUBRIC_NAMES


def _in_unit_range(*values: float) -> bool:
    return all(not math.isfinite(v) or -1e-9 <= v <= 1 + 1e-9 for v in values)


def _split_scales(rows: list[tuple[str, float, float, float]], title: str) -> list[str]:
    """Rates share one 0..1 axis; a metric on its own scale (words per turn) gets its own chart."""
    rates = [r for r in rows if _in_unit_range(*r[1:])]
    others = [r for r in rows if r not in rates]
    out = [interval_chart(rates, f"{title} (rates, 0-1)", 0.0, 1.0)] if rates else []
    out += [interval_chart([r], f"{r[0]} (own scale)", 0.0) for r in others]
    return out


def summary_section(data: ReportData) -> str:
    """Counts of sessions and turns, by source, status and subject."""
    rated = sum(1 for s in data.sessions if s["human_raters"])
    judged = sum(1 for s in data.sessions if s["judge_scores"])
    cards = [("sessions", len(data.sessions)), ("turns", data.n_turns), ("rated by people", rated),
             ("judged", judged), ("full transcripts", len(data.transcripts))]
    body = '<div class="cards">' + "".join(
        f'<div class="card"><span class="value" data-count="{esc(name)}">{value:,}</span>'
        f'<span class="label">{esc(name)}</span></div>' for name, value in cards) + "</div>"
    svgs, tables = [], []
    for key in ("source", "status", "subject"):
        items = data.counts[key].most_common()
        shown = items[:15] + ([(f"{len(items) - 15} others", sum(v for _, v in items[15:]))] if len(items) > 15 else [])
        svgs.append(bar_chart([(str(k), v) for k, v in shown], f"sessions by {key}"))
        rows = [row([esc(k), f"{v:,}"], f'data-{key}="{esc(k)}" data-n="{v}"') for k, v in items]
        tables.append(table([key, "sessions"], rows, "counts"))
    body += charts(*svgs) + '<div class="tables">' + "".join(tables) + "</div>"
    return section("summary", "Summary", body)


def metrics_section(data: ReportData) -> str:
    """Per-metric mean with its bootstrap 95% CI: the numbers `practicum eval` prints for the same sessions."""
    report = data.evaluation
    if not report.metrics:
        return section("metrics", "Session metrics", "<p>No metric is defined for these sessions.</p>")
    rows = [
        row([f"<code>{esc(m.name)}</code>", str(m.n), fmt(m.mean), ci(m.ci_low, m.ci_high), esc(m.help)],
            f'data-metric="{esc(m.name)}" data-n="{m.n}" data-mean="{number_attr(m.mean)}" '
            f'data-ci-low="{number_attr(m.ci_low)}" data-ci-high="{number_attr(m.ci_high)}"')
        for m in report.metrics
    ]
    points = [(m.name, m.mean, m.ci_low, m.ci_high) for m in report.metrics]
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in data.notes)
    intro = (f"Mean over the sessions where a metric is defined, with a percentile bootstrap 95% CI "
             f"(metrics version <code>{esc(report.version)}</code>; the same numbers as <code>practicum eval</code>).")
    body = notes + charts(*_split_scales(points, "session metrics")) + table(
        ["metric", "n", "mean", "95% CI", "meaning"], rows, "metrics")
    return section("metrics", "Session metrics", body, intro)


def _score_rows(summaries: list[ScoreSummary], judge: bool) -> list[str]:
    out = []
    for s in summaries:
        cells = ([esc(s.rater)] if judge else []) + [f"<code>{esc(s.dimension)}</code>", esc(s.level),
                                                       f"{s.scale[0]}-{s.scale[1]}", str(s.n)]
        if not judge:
            cells.append(esc(", ".join(s.raters)))
        cells += [fmt(s.mean, 2), ci(s.ci_low, s.ci_high, 2)]
        cells += [str(count) for count in s.poles] if judge else [
            esc(", ".join(f"{k:g}: {v}" for k, v in s.counts.items()))]
        out.append(row(cells, f'data-dimension="{esc(s.dimension)}" data-rater="{esc(s.rater)}" '
                              f'data-level="{esc(s.level)}" data-n="{s.n}" data-mean="{number_attr(s.mean)}"'))
    return out


def judge_section(data: ReportData) -> str:
    """The LLM judge's MRBench dimensions: mean score (0-2), CI and label counts, and agreement with people."""
    if not data.judge:
        body = ("<p>No judge ratings for these sessions. Add them with "
                "<code>practicum eval judge --backend SPEC --sessions IDS</code>.</p>")
        return section("judge", "Judge dimensions", body)
    header = ["judge", "dimension", "level", "scale", "n", "mean", "95% CI", "bad pole", "partly", "good pole"]
    body = table(header, _score_rows(data.judge, True), "judge")
    svgs = []
    for rater in sorted({s.rater for s in data.judge}):
        mine = [s for s in data.judge if s.rater == rater]
        svgs.append(stacked_chart([(s.dimension, list(s.poles)) for s in mine],
                                  ["bad pole", "partly", "good pole"], f"{rater}: labels per dimension"))
    errors = "".join(f'<p class="note">{esc(rater)}: {n:,} teacher turns with an unreadable reply '
                     f"(stored as judge_error).</p>" for rater, n in sorted(data.judge_errors.items()))
    errors += "".join(f'<p class="note">{esc(note)}</p>' for note in data.judge_notes)
    agreement = ""
    if data.judge_agreement:
        rows = [row([esc(a["judge"]), f"<code>{esc(a['dimension'])}</code>", esc(a["rater"]), str(a["n"]),
                     fmt(a["agreement"]), fmt(a["kappa"]), fmt(a["kappa_quadratic"]), fmt(a["spearman"])])
                for a in data.judge_agreement]
        agreement = "<h3>Judge vs. human raters</h3>" + table(
            ["judge", "dimension", "human rater", "n", "agreement", "kappa", "quadratic kappa", "spearman"], rows,
            "judge-agreement")
    questions = "".join(f"<li><code>{esc(RUBRIC_NAMES.get(name, name))}</code>: {esc(q)}</li>"
                        for name, (q, _) in JUDGE_DIMENSIONS.items())
    intro = ("Teacher turns graded by a judge (<code>practicum eval judge</code>). A dimension the review rubric "
             "also has is stored on the rubric's scale (good pole high), the others on 0-2 (2 = the good pole); "
             "the pole counts bin each scale in thirds. 95% CI by bootstrap over judged turns.")
    body = errors + charts(*svgs) + body + agreement + f"<details><summary>What the judge is asked</summary>" \
        f"<ul>{questions}</ul></details>"
    return section("judge", "Judge dimensions", body, intro)


def ratings_section(data: ReportData) -> str:
    """Human scores per rubric dimension, and agreement between raters on the units two or more scored."""
    if not data.human:
        body = "<p>No human ratings for these sessions yet (rate them in <code>practicum tui</code>).</p>"
        return section("ratings", "Human ratings", body)
    rows = _score_rows(data.human, False)
    body = charts(interval_chart([(f"{s.dimension} ({s.level})", s.mean, s.ci_low, s.ci_high) for s in data.human],
                                 "mean human score per dimension")) + table(
        ["dimension", "level", "scale", "n", "raters", "mean", "95% CI", "score counts"], rows, "human")
    if data.agreement:
        names = {"cohen_kappa": "Cohen's kappa", "krippendorff_alpha_ordinal": "Krippendorff's alpha (ordinal)"}
        rows = [row([f"<code>{esc(a.dimension)}</code>", esc(", ".join(a.raters)), str(a.units),
                     esc(names.get(a.statistic, a.statistic)), fmt(a.value), fmt(a.exact_agreement)],
                    f'data-dimension="{esc(a.dimension)}" data-agreement="{number_attr(a.value)}"')
                for a in data.agreement]
        body += "<h3>Agreement between raters</h3>" + table(
            ["dimension", "raters", "units scored by 2+", "statistic", "value", "exact agreement"], rows, "agreement")
    else:
        body += '<p class="note">No unit was scored by two or more people, so agreement is not defined.</p>'
    intro = "Current scores (a re-rating replaces the earlier score); 95% CI by bootstrap over scores."
    return section("ratings", "Human ratings", body, intro)


def comparison_section(data: ReportData) -> str:
    """`--compare A B`: per-metric B - A with its 95% CI and p-value, as `practicum compare` prints it."""
    view = data.comparison
    if view is None:
        return ""
    result = view.result
    rows = []
    for m in result.metrics:
        n = str(m.n_pairs) if m.paired else f"{m.n_a}/{m.n_b}"
        rows.append(row([f"<code>{esc(m.name)}</code>", fmt(m.mean_a), fmt(m.mean_b), f"{m.difference:+.3f}",
                         ci(m.ci_low, m.ci_high, signed=True), fmt(m.p_value), n],
                        f'data-metric="{esc(m.name)}" data-difference="{number_attr(m.difference)}" '
                        f'data-p="{number_attr(m.p_value)}"'))
    means = [(m.name, m.mean_a, tuple(m.ci_a), m.mean_b, tuple(m.ci_b)) for m in result.metrics]
    rates = [r for r in means if _in_unit_range(r[1], r[3], *r[2], *r[4])]
    others = [r for r in means if r not in rates]
    svgs = [paired_means_chart(rates, "A and B means (rates, 0-1)", view.label_a, view.label_b, 0.0, 1.0)] if rates \
        else []
    svgs += [paired_means_chart([r], f"{r[0]} (own scale)", view.label_a, view.label_b, 0.0) for r in others]
    diffs = [(m.name, m.difference, m.ci_low, m.ci_high) for m in result.metrics]
    svgs.append(interval_chart(diffs, "B - A with 95% CI", zero_line=True))
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in result.notes)
    intro = (f"A = <code>{esc(view.label_a)}</code> ({len(result.ids_a):,} sessions), "
             f"B = <code>{esc(view.label_b)}</code> ({len(result.ids_b):,} sessions); {esc(result.pairing)}; "
             f"metrics <code>{esc(result.version)}</code>. The same numbers as <code>practicum compare</code>; "
             "p-values are per metric, not corrected for multiple comparisons.")
    body = notes + charts(*svgs) + table(["metric", "A mean", "B mean", "B - A", "95% CI", "p", "n"], rows,
                                         "comparison")
    return section("comparison", "Comparison", body, intro)

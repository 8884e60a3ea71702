"""The report's session list (filtered in the browser) and the full transcripts with per-turn labels and scores.

The session rows travel as a JSON data block that the page's small script filters and shows a
page at a time; transcripts carry their filter values in data-* attributes and are paged the same
way. Without the script the first page of rows and every included transcript are simply shown.
"""

from __future__ import annotations

import json
from functools import lru_cache

from practicum.evaluation.html_report.data import (
    JUDGE_ORDER, JUDGE_PREFIX, ReportData, TranscriptView, judge_question, pole,
)
from practicum.evaluation.html_report.markup import esc, section, table
from practicum.evaluation.judge_ratings import rating_scale

SESSION_PAGE = 200  # rows shown before "show more"
TRANSCRIPT_PAGE = 20


def _options(values, label: str, name: str) -> str:
    options = "".join(f'<option value="{esc(v)}">{esc(v)} ({n:,})</option>' for v, n in values)
    return (f'<label>{esc(label)} <select id="filter-{name}" data-filter="{name}">'
            f'<option value="">all</option>{options}</select></label>')


def _filter_attrs(session: dict) -> str:
    return (f'data-source="{esc(session["source"] or "(none)")}" data-status="{esc(session["status"] or "(none)")}" '
            f'data-subject="{esc(session["subject"] or "(none)")}"')


# Columns of the session list's data block, in order; the script builds rows from them.
SESSION_FIELDS = ("id", "scenario_title", "scenario_id", "subject", "grade", "source", "status", "stop_reason",
                  "teacher_spec", "student_spec", "run_id", "n_turns", "human_raters", "judge_scores")


def _session_row(s: dict, included: set[int]) -> str:
    """One row as the script also builds it (the first page is in the HTML for readers without scripts)."""
    link = (f'<a href="#s{s["id"]}">transcript</a>' if s["id"] in included
            else '<span class="muted" title="not included: see the note above the transcripts">-</span>')
    status = esc(s["status"]) + (f' <span class="muted">({esc(s["stop_reason"])})</span>' if s["stop_reason"] else "")
    cells = [str(s["id"]), f'{esc(s["scenario_title"])}<br><span class="muted">{esc(s["scenario_id"])}</span>',
             esc(s["subject"]), esc(s["grade"]), esc(s["source"]), status, f"<code>{esc(s['teacher_spec'])}</code>",
             f"<code>{esc(s['student_spec'])}</code>", esc(s["run_id"]), str(s["n_turns"]),
             str(s["human_raters"] or ""), str(s["judge_scores"] or ""), link]
    return f'<tr data-session="{s["id"]}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def session_data_block(data: ReportData) -> str:
    """Every session as JSON in a non-executed script element, with '<', '>' and '&' escaped so no text ends it."""
    included = {view.session["id"] for view in data.transcripts}
    rows = [[s[f] for f in SESSION_FIELDS] + [s["id"] in included] for s in data.sessions]
    text = json.dumps({"fields": [*SESSION_FIELDS, "has_transcript"], "rows": rows}, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="session-data">{text}</script>'


def sessions_section(data: ReportData) -> str:
    """The session list: a text filter and source/status/subject menus over every selected session.

    A table of 10,000 rows takes a browser many seconds to lay out, so the rows travel as JSON and
    the script shows one page of matches at a time; the first page is also plain HTML.
    """
    included = {view.session["id"] for view in data.transcripts}
    rows = [_session_row(s, included) for s in data.sessions[:SESSION_PAGE]]
    controls = (
        '<div class="controls" role="search">'
        '<label>Filter <input id="filter-text" type="search" placeholder="words in any column, e.g. fractions local" '
        'autocomplete="off"></label>'
        + _options(sorted(data.counts["source"].items()), "source", "source")
        + _options(sorted(data.counts["status"].items()), "status", "status")
        + _options(sorted(data.counts["subject"].items()), "subject", "subject")
        + f'<span id="filter-count" class="muted">{len(data.sessions):,} sessions</span></div>'
    )
    header = ["id", "scenario", "subject", "grade", "source", "status", "teacher", "student", "run", "turns",
              "human raters", "judge scores", ""]
    hidden_rows = len(data.sessions) - len(rows)
    fallback = (f"<noscript><p class=\"note\">{hidden_rows:,} more sessions: the list and its filter need "
                "scripts, which this viewer has turned off.</p></noscript>") if hidden_rows > 0 else ""
    more = f'<p><button type="button" id="sessions-more" hidden>Show {SESSION_PAGE} more</button></p>'
    intro = ("Type words (all must appear in a row) or pick a source, status or subject; the transcripts below "
             "follow the same filter.")
    body = (controls + f'<div class="scroll">{table(header, rows, "sessions")}</div>' + fallback + more
            + session_data_block(data))
    return section("sessions", "Sessions", body, intro, f'data-page="{SESSION_PAGE}"')


def _move(turn: dict) -> str:
    chips = []
    if turn.get("move"):
        source = turn.get("move_source") or "label"
        chips.append(f'<span class="chip move" title="move label ({esc(source)})">{esc(turn["move"])} '
                     f'<small>{esc(source)}</small></span>')
    if turn.get("predicted_move"):
        chips.append(f'<span class="chip move predicted" title="predicted by {esc(turn.get("predicted_by"))}">'
                     f'{esc(turn["predicted_move"])} <small>predicted</small></span>')
    return "".join(chips)


@lru_cache(maxsize=256)
def _scale(dimension: str) -> tuple[int, int]:
    return rating_scale(dimension)


def _judge(rows: list[dict]) -> str:
    if not rows:
        return ""
    by_rater: dict[str, list[dict]] = {}
    for r in rows:
        by_rater.setdefault(r["rater"], []).append(r)
    order = JUDGE_ORDER
    out = []
    for rater, items in by_rater.items():
        items.sort(key=lambda r: order.index(r["dimension"]) if r["dimension"] in order else len(order))
        chips = []
        for r in items:
            if r["score"] is None:
                chips.append(f'<span class="chip error" title="{esc(r["comment"])}">unreadable judge reply</span>')
                continue
            label = r["comment"] or f"{r['score']:g}"
            low, high = _scale(r["dimension"])
            chips.append(f'<span class="chip score s{pole(r["score"], r["dimension"])}" '
                         f'title="{esc(judge_question(r["dimension"]))} score {r["score"]:g} on {low}-{high}">'
                         f'{esc(r["dimension"].replace("_", " "))}: {esc(label)}</span>')
        out.append(f'<div class="judge"><span class="who-label">{esc(rater[len(JUDGE_PREFIX):] or rater)}'
                   f"</span>{''.join(chips)}</div>")
    return "".join(out)


def _human(rows: list[dict]) -> str:
    scores = [r for r in rows if r["score"] is not None]
    comments = [r for r in rows if r["score"] is None and r["comment"]]
    out = ""
    if scores:
        out += '<div class="human">' + "".join(
            f'<span class="chip human" title="human score by {esc(r["rater"])}">{esc(r["rater"])} · '
            f'{esc(r["dimension"].replace("_", " "))} <b>{r["score"]:g}</b></span>' for r in scores) + "</div>"
    out += "".join(f'<p class="comment"><b>{esc(r["rater"])}:</b> {esc(r["comment"])}</p>' for r in comments)
    return out


def _transcript(view: TranscriptView, hidden: bool = False) -> str:
    s = view.session
    meta = [f'{esc(s["subject"])}, grade {esc(s["grade"])}', f'source {esc(s["source"])}',
            f'teacher <code>{esc(s["teacher_spec"])}</code>', f'student <code>{esc(s["student_spec"])}</code>',
            esc(s["status"]) + (f' ({esc(s["stop_reason"])})' if s["stop_reason"] else "")]
    if s["run_id"] is not None:
        meta.append(f'run {esc(s["run_id"])}')
    if s["seed"] is not None:
        meta.append(f'seed {esc(s["seed"])}')
    turns = []
    for t in view.turns:
        role = "teacher" if t["role"] == "teacher" else "student"
        labels = _move(t) + _judge(t["judge"]) + _human(t["human"])
        turns.append(f'<li class="turn {role}"><div class="who">{role.capitalize()} <small>#{t["idx"]}</small></div>'
                     f'<div class="body"><p class="text">{esc(t["text"])}</p>'
                     + (f'<div class="labels">{labels}</div>' if labels else "") + "</div></li>")
    scored = _human(view.session_scores)
    return (f'<article class="transcript" id="s{s["id"]}" data-session="{s["id"]}" {_filter_attrs(s)}'
            f'{" hidden" if hidden else ""}>'
            f'<h3>Session {s["id"]} · {esc(s["scenario_title"])}</h3><p class="meta">{" · ".join(meta)}</p>'
            f'<details><summary>Problem and answer</summary><p class="text">{esc(s["problem"])}</p>'
            f'<p>Answer: <b>{esc(s["answer"])}</b></p></details>'
            f'<ol class="turns">{"".join(turns) or "<li>(no turns)</li>"}</ol>'
            + (f'<div class="session-scores"><h4>Session scores</h4>{scored}</div>' if scored else "")
            + "</article>")


def transcripts_section(data: ReportData) -> str:
    """Full transcripts, up to the cap, with a note on how many are left out and how to see them."""
    note = ""
    if data.left_out:
        note = (f'<p class="note" id="transcripts-note">Full transcripts of the first {len(data.transcripts):,} of '
                f"{len(data.sessions):,} sessions are included; {data.left_out:,} are left out to keep the file "
                f"small (cap: <code>--max-transcripts {data.max_transcripts}</code>). To read the others, narrow "
                f"the selection (e.g. <code>practicum report run:3 --out run3.html</code>, "
                f"<code>\"source:mathdial &amp; 100-200\"</code>) or raise <code>--max-transcripts</code>.</p>")
    pager = ('<nav class="pager" aria-label="transcript pages"><button type="button" data-step="-1">Previous</button> '
             '<span class="pager-status"></span> <button type="button" data-step="1">Next</button></nav>')
    # Only the first page starts visible, so a browser lays out 20 transcripts, not 1,000, before the script
    # runs; a reader without scripts gets them all back through the <noscript> style in the page head.
    articles = "".join(_transcript(view, hidden=i >= TRANSCRIPT_PAGE) for i, view in enumerate(data.transcripts))
    intro = ("Move labels: a human label (imported with the dialogue) and the classifier's prediction. "
             "Judge chips: green = good pole, amber = partly, red = bad pole. Human scores are the current ones.")
    body = note + pager + f'<div id="transcript-list" data-page="{TRANSCRIPT_PAGE}">{articles}</div>' + pager
    if not data.transcripts:
        body = note + "<p>No transcript included.</p>"
    return section("transcripts", "Transcripts", body, intro)

"""`practicum report`: the numbers, the escaping, no external resource, the cap note and the command."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from practicum.cli import cli
from practicum.records import Turn
from practicum.scenarios.files import builtin_scenarios
from practicum.storage import metrics_queries
from practicum.storage.store import Store
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.evaluation.html_report import collect_report, render_report, write_report
from practicum.evaluation.judge import judge_sessions
from practicum.evaluation.reports import compare, evaluate_sessions
from practicum.evaluation.selection import parse_selection

INJECTED = "<script>window.__pwned=1</script>"
HOSTILE_SPEC = "human</script><img class=injected src=x onerror=window.__pwned=3>"
JUDGE_REPLY = json.dumps({"mistake_identification": "yes", "mistake_location": "to some extent",
                          "revealing_of_the_answer": "no", "providing_guidance": "yes", "actionability": "no",
                          "coherence": "yes", "tutor_tone": "encouraging", "human_likeness": "to some extent"})


def fill_store(store: Store) -> list[int]:
    """12 finished sessions (9 simulated, 3 mathdial) with hostile text, judge scores, human scores, a comment."""
    scenarios = builtin_scenarios()
    ids = []
    for i in range(12):
        scenario = scenarios[i % 5]
        session_id = store.create_session(scenario, teacher_spec="local" if i % 2 else "openai:gpt-x",
                                          student_spec=HOSTILE_SPEC if i == 11 else "local", seed=i % 6,
                                          source="simulated" if i < 9 else "mathdial")
        store.add_turn(session_id, Turn(0, "teacher", f"Hi! What is the first step? {INJECTED}"))
        store.add_turn(session_id, Turn(1, "student", "I add the tops: 2/7 & <b class=injected>bold</b>"))
        store.add_turn(session_id, Turn(2, "teacher", "Why do the bottoms need to match? Look at the pieces.",
                                        move="focus", move_source="human"))
        store.add_turn(session_id, Turn(3, "student", f"The pieces must be the same size{'?' * (i % 3)}"))
        store.finish_session(session_id, "completed", "max_turns")
        ids.append(session_id)
    metrics_queries.save_predicted_moves(store, ids[0], {0: "probing", 2: "focus"}, "moves:test@1")
    judge_sessions(store, ids[:6], ScriptedBackend(default=JUDGE_REPLY, spec="scripted"))
    for session_id in ids[:4]:
        for rater, base in (("alice", 4), ("bob", 3)):
            store.add_rating(session_id, rater=rater, dimension="encouraging_tone", score=base + session_id % 2,
                             turn_idx=0)
            store.add_rating(session_id, rater=rater, dimension="overall", score=base, turn_idx=None)
    store.add_rating(ids[0], rater="alice", dimension="comment", score=None, turn_idx=2,
                     comment='Nice probe <img class=injected src="https://example.invalid/x.png">')
    return ids


def build_report_file(store: Store, tmp_path: Path, **options) -> tuple[Path, list[int]]:
    """Fill the store, collect the report over every session and write it; returns (path, ids)."""
    ids = fill_store(store)
    data = collect_report(store, ids, selection="1-12", classifier=None, **options)
    return write_report(data, tmp_path / "report.html"), ids


class Elements(HTMLParser):
    """Every start tag with its attributes; the text of <style>, of executable <script> and of data blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": [], "data": []}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in = tag if tag == "style" else None
        if tag == "script":
            self._in = "script" if attrs.get("type") in (None, "text/javascript", "module") else "data"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.raw[self._in].append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


URL_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset", "background",
                  "manifest", "ping", "cite", "longdesc", "usemap", "codebase", "archive", "icon", "lowsrc"}


def external_references(html: str) -> list[str]:
    """Every reference that is neither a data: URI nor a fragment (#id) of the page itself."""
    page = parse(html)
    found = []
    for tag, attrs in page.tags:
        if tag in ("link", "iframe", "frame", "object", "embed", "base", "audio", "video", "source", "track"):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            value = (value or "").strip()
            if name in URL_ATTRIBUTES and not value.startswith(("data:", "#")):
                found.append(f"{tag} {name}={value}")
            for ref in re.findall(r"url\(\s*['\"]?([^'\")]*)", value):
                if not ref.startswith(("data:", "#")):
                    found.append(f"{tag} {name}: url({ref})")
    css = "".join(page.raw["style"])
    found += [f"css url({r})" for r in re.findall(r"url\(\s*['\"]?([^'\")]*)", css) if not r.startswith(("data:", "#"))]
    found += [f"css {m}" for m in re.findall(r"@import[^;]*", css)]
    script = "".join(page.raw["script"])
    found += [f"script {m}" for m in re.findall(r"\b(?:fetch|XMLHttpRequest|WebSocket|EventSource|import\s*\()", script)]
    return found


def test_report_has_no_external_resources(store, tmp_path):
    path, _ = build_report_file(store, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert external_references(html) == []
    # the checker itself catches what it is for
    assert external_references('<img src="https://x/y.png"><a href="http://x">x</a>'
                               '<div style="background: url(//x/y)"></div><style>@import "a.css";</style>') != []
    csp = next(a["content"] for t, a in parse(html).tags if t == "meta" and a.get("http-equiv"))
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp


def test_user_text_is_escaped_and_only_the_page_script_may_run(store, tmp_path):
    path, _ = build_report_file(store, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert INJECTED not in html and "<b class=injected>" not in html and "<img class=injected" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    page = parse(html)
    scripts = [a for t, a in page.tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "session-data"}, {}]  # the rows' data, then the page script
    rows = json.loads("".join(page.raw["data"]))["rows"]
    assert rows[11][9] == HOSTILE_SPEC and "</script" not in "".join(page.raw["data"]).lower()
    assert not any(t in ("img", "b") and "injected" in (a.get("class") or "") for t, a in page.tags)
    script = "".join(page.raw["script"])
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert f"script-src 'sha256-{digest}'" in csp


def _metric_rows(html: str) -> dict[str, dict]:
    return {a["data-metric"]: a for t, a in parse(html).tags if t == "tr" and "data-mean" in a and "data-metric" in a}


def test_summary_numbers_equal_evaluate_sessions(store, tmp_path):
    path, ids = build_report_file(store, tmp_path)
    shown = _metric_rows(path.read_text(encoding="utf-8"))
    expected = evaluate_sessions(store, ids, classifier=None)
    assert set(shown) == {m.name for m in expected.metrics} and "question_rate" in shown
    for m in expected.metrics:
        row = shown[m.name]
        assert (int(row["data-n"]), float(row["data-mean"])) == (m.n, m.mean)
        assert (float(row["data-ci-low"]), float(row["data-ci-high"])) == (m.ci_low, m.ci_high)


def test_counts_labels_and_scores_in_the_transcripts(store, tmp_path):
    path, ids = build_report_file(store, tmp_path)
    html = path.read_text(encoding="utf-8")
    page = parse(html)
    counts = {a["data-source"]: int(a["data-n"]) for t, a in page.tags if t == "tr" and "data-source" in a
              and "data-n" in a}
    assert counts == {"simulated": 9, "mathdial": 3}
    first = html[html.index(f'id="s{ids[0]}"'):html.index(f'id="s{ids[1]}"')]
    assert "probing <small>predicted</small>" in first and "focus <small>human</small>" in first
    assert "mistake identification: yes" in first and "encouraging tone: encouraging" in first
    assert 'class="chip score s2"' in first and 'class="chip score s0"' in first  # good pole, bad pole
    assert "alice · encouraging tone <b>5</b>" in first and "Nice probe &lt;img" in first
    assert "Session scores" in first and "bob · overall <b>3</b>" in first
    judge = {(a["data-dimension"], a["data-level"]): a for t, a in page.tags if t == "tr" and a.get("data-rater") ==
             "judge:scripted"}
    # a rubric dimension on the rubric's 1-5 scale, an MRBench-only one on 0-2
    assert float(judge[("encouraging_tone", "turn")]["data-mean"]) == 5.0
    assert float(judge[("mistake_location", "turn")]["data-mean"]) == 1.0
    assert judge[("encouraging_tone", "turn")]["data-n"] == "12"
    agreement = {a["data-dimension"]: a for t, a in page.tags if t == "tr" and "data-agreement" in a}
    assert set(agreement) == {"encouraging_tone", "overall"}
    assert "Judge vs. human raters" in html  # alice and bob scored encouraging_tone, which the judge also has


def test_transcripts_beyond_the_cap_are_left_out_with_a_note(store, tmp_path):
    path, ids = build_report_file(store, tmp_path, max_transcripts=5)
    html = path.read_text(encoding="utf-8")
    assert html.count('<article class="transcript"') == 5
    assert "first 5 of 12 sessions are included; 7 are left out" in html
    assert "--max-transcripts" in html and "narrow" in html
    rows = [a for t, a in parse(html).tags if t == "tr" and "data-session" in a]
    assert len(rows) == 12  # the session list keeps every session


def test_comparison_view_shows_the_numbers_of_compare(store, tmp_path):
    ids = fill_store(store)
    a = parse_selection("teacher:openai:gpt-x").resolve(store)
    b = parse_selection("teacher:local").resolve(store)
    data = collect_report(store, ids, classifier=None, compare_with=("teacher:openai:gpt-x", a, "teacher:local", b))
    html = render_report(data)
    expected = compare(store, a, b, classifier=None)
    shown = {attrs["data-metric"]: attrs for t, attrs in parse(html).tags if t == "tr" and "data-difference" in attrs}
    assert set(shown) == {m.name for m in expected.metrics}
    for m in expected.metrics:
        assert float(shown[m.name]["data-difference"]) == m.difference
        assert float(shown[m.name]["data-p"]) == m.p_value
    assert expected.pairing in html and 'id="comparison"' in html


def test_report_command(tmp_path):
    db = tmp_path / "p.db"
    store = Store(db)
    ids = fill_store(store)
    store.close()
    out = tmp_path / "out" / "r.html"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db), "report", "source:simulated & 2-12", "--out", str(out),
                                 "--no-moves", "--compare", "source:mathdial", "source:simulated",
                                 "--max-transcripts", "4"])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output and "4 transcripts left out" in result.output
    html = out.read_text(encoding="utf-8")
    store = Store(db)
    selected = parse_selection("source:simulated & 2-12").resolve(store)
    assert selected == ids[1:9]
    expected = evaluate_sessions(store, selected, classifier=None)
    store.close()
    assert {k: float(v["data-mean"]) for k, v in _metric_rows(html).items()} == {
        m.name: m.mean for m in expected.metrics}
    assert 'id="comparison"' in html and "source:mathdial" in html
    everything = runner.invoke(cli, ["--db", str(db), "report", "--out", str(tmp_path / "all.html"), "--no-moves"])
    assert everything.exit_code == 0 and "12 sessions" in everything.output
    bad = runner.invoke(cli, ["--db", str(db), "report", "run:99", "--out", str(tmp_path / "x.html"), "--no-moves"])
    assert bad.exit_code != 0 and "matches no finished session" in str(bad.exception)
    assert runner.invoke(cli, ["report", "--help"]).exit_code == 0


def test_report_command_is_light_to_import():
    code = ("import sys, practicum.commands.report; "
            "print([m for m in ('numpy', 'matplotlib', 'torch', 'dspy', 'sklearn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    from practicum.commands import report
    from practicum.evaluation import html_report

    assert report.DEFAULT_MAX_TRANSCRIPTS == html_report.DEFAULT_MAX_TRANSCRIPTS  # one default, stated twice


def test_a_user_error_is_one_line(tmp_path):
    db = tmp_path / "p.db"
    Store(db).close()
    out = subprocess.run([sys.executable, "-m", "practicum", "--db", str(db), "report", "--out",
                          str(tmp_path / "x.html")], capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.strip() == "Error: no finished sessions stored yet"

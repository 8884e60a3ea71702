"""HTML report at scale: build `practicum report` over 10,000 stored sessions and time it.

    python benchmarks/bench_report.py                     # 10,000 sessions x 10 turns
    python benchmarks/bench_report.py --sessions 1000     # quick

The database is made the way benchmarks/generation.py's store part makes it: the scripted backend
through the generation driver. A scripted LLM judge then grades some sessions through
`judge_sessions`, and two simulated reviewers score others (so the judge, rating and agreement
sections have data). Metrics are computed once without the move classifier (`--no-moves`; the
classifier would add 12-25 minutes of embedding for 50,000 teacher turns on 2 cores), then the
report is built twice (the target is <= 10 s and <= 20 MB) and, when Chromium is installed,
opened in it to time the load and one filter keystroke. Every row carries the 1-minute load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generation import machine, run_once  # noqa: E402  (the store-at-scale machinery)

from practicum.agents.backends.scripted import ScriptedBackend  # noqa: E402
from practicum.scenarios.files import builtin_scenarios  # noqa: E402
from practicum.storage.store import Store  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
LABELS = {"yes": 2, "to some extent": 1, "no": 0}


def judge_reply(messages) -> str:
    """A deterministic judge: labels vary with the graded turn, so the charts are not flat."""
    text = messages[-1]["content"]

    def pick(salt: int, labels=tuple(LABELS)) -> str:
        return labels[zlib.crc32(f"{salt}{text}".encode()) % 3]

    return json.dumps({"mistake_identification": pick(1), "mistake_location": pick(2),
                       "revealing_of_the_answer": pick(3, ("no", "yes (correct)", "yes (incorrect)")),
                       "providing_guidance": pick(4), "actionability": pick(5), "coherence": pick(6),
                       "tutor_tone": pick(7, ("encouraging", "neutral", "offensive")),
                       "human_likeness": pick(8)})


def add_reviews(store: Store, session_ids: list[int]) -> int:
    """Two reviewers score every teacher turn on two rubric dimensions and the session overall."""
    from practicum.storage.report_queries import turn_rows

    count = 0
    for session_id, turns in turn_rows(store, session_ids).items():
        for rater, shift in (("alice", 0), ("bob", 1)):
            for turn in turns:
                if turn["role"] != "teacher":
                    continue
                for dimension in ("guidance", "encouraging_tone"):
                    score = 1 + (session_id * 7 + turn["idx"] * 3 + shift * (turn["idx"] % 2) + len(dimension)) % 5
                    store.add_rating(session_id, rater=rater, dimension=dimension, score=score, turn_idx=turn["idx"])
                    count += 1
            store.add_rating(session_id, rater=rater, dimension="overall", score=1 + (session_id + shift) % 5)
            count += 1
    return count


def timed(rows: list, step: str, fn, result=lambda value: ""):
    """Run fn, add a (step, seconds, result, load average) row, return fn's value."""
    start = time.perf_counter()
    value = fn()
    rows.append((step, time.perf_counter() - start, result(value), os.getloadavg()[0]))
    console.print(f"[dim]{step}: {rows[-1][1]:.2f} s; {rows[-1][2]}; load {rows[-1][3]:.2f}[/dim]")
    return value


def browser_part(rows: list, path: Path) -> None:
    """Open the report in headless Chromium: load time, and one filter keystroke over every row."""
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.evaluation.test_html_report_browser import Chromium, chromium_path

    binary = chromium_path()
    if binary is None:
        rows.append(("open in Chromium", float("nan"), "skipped: chromium not installed", os.getloadavg()[0]))
        return
    browser = Chromium(binary)
    try:
        timed(rows, "Chromium: open the file until the load event", lambda: browser.open(path),
              lambda _: "script ready" if browser.evaluate("document.body.dataset.ready") == "1" else "NOT READY")
        count = "document.getElementById('filter-count').textContent"
        # time the filter inside the page (the input handler debounces 150 ms on large tables; call it directly)
        expression = ("(() => { const t = document.getElementById('filter-text'); t.value = 'area';"
                      " const s = performance.now(); t.dispatchEvent(new Event('input'));"
                      " return new Promise(r => setTimeout(() => r(performance.now() - s), 200)); })()")
        waited = browser.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                   "returnByValue": True}, page=True)["result"]["value"]
        rows.append(("Chromium: type a filter word (incl. 150 ms debounce)", waited / 1000,
                     browser.evaluate(count), os.getloadavg()[0]))
    finally:
        browser.close()


def main(argv: list[str] | None = None) -> None:
    """Build the database, build the report, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000, help="sessions to store")
    parser.add_argument("--turns", type=int, default=10, help="turns per session")
    parser.add_argument("--judged", type=int, default=500, help="sessions graded by the scripted judge")
    parser.add_argument("--reviewed", type=int, default=200, help="sessions scored by two simulated reviewers")
    parser.add_argument("--keep", type=Path, help="also copy the report here")
    parser.add_argument("--db", type=Path, help="database file to build (or, when it exists, to reuse as it is)")
    parser.add_argument("--skip-compare", action="store_true",
                        help="skip the --compare build (its permutation tests take minutes at 10,000 sessions)")
    args = parser.parse_args(argv)

    from practicum.evaluation.html_report import collect_report, write_report
    from practicum.evaluation.reports import evaluate_sessions
    from practicum.evaluation.selection import Selection

    console.print(f"[bold]practicum report benchmark[/bold] on {machine()}")
    rows: list = []
    with tempfile.TemporaryDirectory() as tmp:
        reuse = args.db is not None and args.db.exists()
        store = Store(args.db or Path(tmp) / "report.db")
        if not reuse:
            build_database(rows, store, args)
        selected = Selection().resolve(store)
        out = Path(tmp) / "report.html"
        for attempt in (1, 2):
            def build():
                data = collect_report(store, selected, selection="", classifier=None)
                return data, write_report(data, out)

            timed(rows, f"build the report over {len(selected):,} sessions (collect + write), run {attempt}", build,
                  lambda v: f"{v[1].stat().st_size / 1e6:.1f} MB, {len(v[0].transcripts):,} transcripts, "
                            f"{v[0].left_out:,} left out")
        timed(rows, "  of which evaluate_sessions alone (the numbers `practicum eval` prints)",
              lambda: evaluate_sessions(store, selected, classifier=None), lambda r: f"{len(r.metrics)} metrics")
        if args.keep:
            args.keep.write_bytes(out.read_bytes())
        browser_part(rows, out)
        half = len(selected) // 2
        if not args.skip_compare:
            timed(rows, "build with --compare (first half vs second half; compare() itself dominates)",
                  lambda: write_report(collect_report(store, selected, classifier=None,
                                                      compare_with=("A", selected[:half], "B", selected[half:])),
                                       Path(tmp) / "compare.html"),
                  lambda p: f"{p.stat().st_size / 1e6:.1f} MB")
        store.close()

    table = Table("step", "seconds", "result", "load avg (1 min)",
                  title=f"practicum report over {len(selected):,} sessions (target: build <= 10 s, file <= 20 MB)")
    for step, seconds, result, load in rows:
        table.add_row(step, f"{seconds:.2f}", result, f"{load:.2f}")
    console.print(table)


def build_database(rows: list, store: Store, args) -> None:
    """Generate the sessions, judge some, have two reviewers score others, compute the metrics once."""
    from practicum.evaluation.compute import ensure_metrics
    from practicum.evaluation.judge import judge_sessions
    from practicum.evaluation.selection import Selection

    ids = [s.id for s in builtin_scenarios()]
    timed(rows, f"generate + store {args.sessions:,} sessions x {args.turns} turns (scripted)",
          lambda: run_once(store, ids, sessions=args.sessions, turns=args.turns, concurrency=64,
                           spec="scripted:vary=1")[0],
          lambda s: f"{s.completed:,} sessions, {s.turns:,} turns")
    selected = Selection().resolve(store)
    judge = ScriptedBackend(respond=judge_reply, spec="scripted-judge")
    timed(rows, f"judge {args.judged:,} sessions (scripted judge, judge_sessions)",
          lambda: judge_sessions(store, selected[: args.judged], judge),
          lambda r: f"{r.parsed:,} teacher turns graded")
    reviewed = selected[max(0, args.judged - args.reviewed // 2): args.judged + args.reviewed // 2]
    timed(rows, f"two reviewers score {len(reviewed):,} sessions (half of them also judged)",
          lambda: add_reviews(store, reviewed), lambda n: f"{n:,} ratings")
    timed(rows, "session metrics, no move classifier (ensure_metrics; once)",
          lambda: ensure_metrics(store, selected, classifier=None), lambda v: f"version {v}")


if __name__ == "__main__":
    main()

"""How fast the TUI's sessions browser is on a large database (default: 10,000 sessions).

Builds a database file in a temp dir (sessions on the built-in scenarios, 8 turns each, a fifth
of them rated), then times the browser's queries and the app's first screen, headless.

    python benchmarks/tui_browser.py                 # 10,000 sessions
    python benchmarks/tui_browser.py --sessions 50000 --keep /tmp/big.db
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from practicum.records import Turn
from practicum.scenarios.files import builtin_scenarios
from practicum.storage.browse import SessionQuery, count_sessions, filter_values, page_sessions
from practicum.storage.store import Store

TEACHER_LINES = [
    "What did you do with the denominators?", "Can you explain how you got that answer?",
    "What would happen if the pieces were different sizes?", "Try drawing it. What do you notice?",
]
STUDENT_LINES = [
    "I added the bottoms together.", "I think it is bigger because the number is bigger.",
    "Oh, the pieces are not the same size.", "I am not sure, maybe I multiply?",
]


def build(path: Path, sessions: int, turns: int, seed: int = 0) -> float:
    """Fill a database with `sessions` transcripts; return the seconds it took."""
    rng = random.Random(seed)
    scenarios = builtin_scenarios()
    start = time.perf_counter()
    store = Store(path)
    with store.db.atomic():
        for i in range(sessions):
            scenario = scenarios[i % len(scenarios)]
            n = rng.randint(2, turns)
            session_turns = [
                Turn(t, "teacher" if t % 2 == 0 else "student",
                     rng.choice(TEACHER_LINES if t % 2 == 0 else STUDENT_LINES),
                     prompt_tokens=rng.randint(100, 400), completion_tokens=rng.randint(5, 40),
                     latency=rng.random() * 2, model="local")
                for t in range(n)
            ]
            source = rng.choice(["simulated", "simulated", "practice", "mathdial"])
            session_id = store.import_transcript(scenario, session_turns, source=source,
                                                 teacher_spec="local", student_spec="local")
            if rng.random() < 0.2:
                for rater in rng.sample(["ana", "bo", "cy"], rng.randint(1, 2)):
                    store.add_rating(session_id, rater=rater, dimension="overall", score=rng.randint(1, 5))
    store.close()
    return time.perf_counter() - start


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in ms of `fn()` over `repeat` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


async def first_screen(path: Path, size: tuple[int, int]) -> tuple[float, float, int]:
    """Milliseconds until the browser shows its first rows, then to open a session; rows loaded."""
    from practicum.tui.app import make_app

    start = time.perf_counter()
    store = Store(path)
    app = make_app(store, None, rater="bench")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        browser = app.screen
        shown = (time.perf_counter() - start) * 1000
        loaded = len(browser.rows)
        start = time.perf_counter()
        await pilot.press("enter")
        await pilot.pause()
        opened = (time.perf_counter() - start) * 1000
        assert type(app.screen).__name__ == "ReviewScreen"
    store.close()
    return shown, opened, loaded


def main(argv: list[str] | None = None) -> None:
    """Build (or reuse) the database and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000, help="sessions to generate")
    parser.add_argument("--turns", type=int, default=8, help="most turns per session")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the database at this path")
    args = parser.parse_args(argv)

    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        if not path.exists():
            console.print(f"Building {args.sessions:,} sessions in {path} ...")
            console.print(f"  built in {build(path, args.sessions, args.turns):.1f} s")
        import_ms, _ = timed(lambda: __import__("practicum.tui.app"), repeat=1)
        store = Store(path)
        total = count_sessions(store, SessionQuery())
        rows = [("import practicum.tui.app", import_ms, "")]
        open_ms, _ = timed(lambda: Store(path).close())
        rows.append(("open the store", open_ms, ""))
        checks = [
            ("count sessions", lambda: count_sessions(store, SessionQuery())),
            ("first page (100), newest first", lambda: page_sessions(store, SessionQuery(), limit=100)),
            ("page at offset 5,000", lambda: page_sessions(store, SessionQuery(), limit=100, offset=5000)),
            ("first page sorted by turns", lambda: page_sessions(store, SessionQuery(sort="turns"), limit=100)),
            ("first page sorted by mean rating", lambda: page_sessions(store, SessionQuery(sort="rating"), limit=100)),
            ("first page, subject=math", lambda: page_sessions(store, SessionQuery(subject="math"), limit=100)),
            ("count rated sessions", lambda: count_sessions(store, SessionQuery(rated=True))),
            ("first page, unrated only", lambda: page_sessions(store, SessionQuery(rated=False), limit=100)),
            ("filter menu values", lambda: filter_values(store)),
            ("search turns 'denominators' (200 hits)", lambda: store.search_turns("denominators", limit=200)),
        ]
        for label, fn in checks:
            ms, result = timed(fn)
            rows.append((label, ms, f"{len(result):,} rows" if isinstance(result, list) else f"{result:,}"
                         if isinstance(result, int) else ""))
        store.close()
        for size in ((80, 24), (200, 60)):
            shown, opened, loaded = asyncio.run(first_screen(path, size))
            rows.append((f"app start to first rows, {size[0]}x{size[1]} (headless)", shown, f"{loaded} rows loaded"))
            rows.append((f"open a session for review, {size[0]}x{size[1]}", opened, ""))

    table = Table(title=f"Sessions browser on {total:,} sessions ({sys.platform}, Python "
                        f"{sys.version_info.major}.{sys.version_info.minor})")
    table.add_column("what")
    table.add_column("ms", justify="right")
    table.add_column("note")
    for label, ms, note in rows:
        table.add_row(label, f"{ms:.1f}", note)
    console.print(table)


if __name__ == "__main__":
    main()

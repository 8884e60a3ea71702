"""Generation benchmark: batched local-model throughput, framework overhead, and the store at 10,000 sessions.

    python benchmarks/generation.py                      # everything (the local-model part takes minutes)
    python benchmarks/generation.py --skip-local --store-sessions 1000   # quick

Part 1 runs the same kind of work through `practicum generate`'s driver on the embedded model at
1, 4, 8 and 16 concurrent sessions; concurrency 1 is the sequential baseline (one session after
another on the same loaded model). Part 2 measures the time a turn spends outside the backend
(prompt rendering, cleaning, stop rules, SQLite writes, threads) with the instant scripted
backend, and sets it against a local-model turn. Part 3 stores 10,000 sessions x 10 turns through
the same driver, then times full-text searches and a dataset export.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from practicum.agents.runs.generation import drive_run, start_run
from practicum.agents.runs.plan import RunConfig
from practicum.scenarios.files import builtin_scenarios
from practicum.scenarios.selection import spread
from practicum.storage.store import Store

console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


def machine() -> str:
    """One line naming the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import torch

        threads = f", torch {torch.__version__} with {torch.get_num_threads()} threads"
    except ImportError:
        threads = ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}{threads}"


def run_once(store: Store, scenario_ids: list[str], *, sessions: int, turns: int, concurrency: int, spec: str,
             backend=None, seed: int = 0):
    """Plan and drive one run of `sessions` sessions; returns (stats-like summary dict, wall seconds)."""
    scenarios = {s.id: s for s in builtin_scenarios()}
    # as many scenarios as divide `sessions` evenly, so the run holds exactly that many sessions
    scenario_ids = next(scenario_ids[:k] for k in range(len(scenario_ids), 0, -1) if sessions % k == 0)
    per = sessions // len(scenario_ids)
    config = RunConfig(scenarios="benchmark", scenario_ids=scenario_ids, sessions_per_scenario=per, max_turns=turns,
                       teacher=spec, student=spec, concurrency=concurrency, seed=seed, stop_on_answer=False)
    start = time.perf_counter()
    run_id = start_run(store, config, [scenarios[i] for i in scenario_ids])
    planned = time.perf_counter() - start
    make = (lambda s: backend) if backend is not None else None
    summary = drive_run(store, run_id, make_backend=make)
    return summary, time.perf_counter() - start, planned


def local_part(concurrencies: list[int], sessions: int, turns: int, dtype: str = "float32") -> list[dict]:
    """Tokens/s and sessions/min on the embedded model at each concurrency (and the 1-min load average)."""
    from practicum.agents.backends.base import GenerationOptions
    from practicum.agents.backends.local import LocalBackend

    backend = LocalBackend(dtype=dtype)
    t0 = time.perf_counter()
    backend.complete([{"role": "user", "content": "Hello"}], GenerationOptions(max_tokens=4))  # load and warm up
    console.print(f"[dim]model loaded and warmed up in {time.perf_counter() - t0:.1f} s[/dim]")
    ids = [s.id for s in spread(builtin_scenarios(), seed=0)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # The sequential baseline runs first and again last, so drift in a shared machine's load shows.
        plan = list(concurrencies) + ([1] if 1 in concurrencies and len(concurrencies) > 1 else [])
        for c in plan:
            n = max(c, sessions)
            load_before = os.getloadavg()[0]
            for key in backend.counters:
                backend.counters[key] = 0
            backend.prefix_cache.clear()  # each measurement starts cold
            store = Store(Path(tmp) / f"local-{c}.db")
            summary, wall, _ = run_once(store, ids[:n], sessions=n, turns=turns, concurrency=c, spec="local",
                                        backend=backend)
            store.close()
            k = backend.counters
            rows.append({
                "dtype": dtype, "concurrency": c, "sessions": summary.completed, "failed": summary.failed, "turns": summary.turns,
                "tokens": summary.completion_tokens, "wall_s": wall,
                "sessions_per_min": summary.completed / wall * 60, "tokens_per_s": summary.completion_tokens / wall,
                "model_share": k["generate_seconds"] / wall,
                "reused_share": k["reused_prompt_tokens"] / max(1, k["prompt_tokens"]),
                "padding_share": 1 - k["prefilled_real_tokens"] / max(1, k["prefilled_tokens"]),
                "finished_row_share": 1 - k["generated_tokens"] / max(1, k["decode_slots"]),
                "batches": k["batches"], "mean_batch": k["rows"] / max(1, k["batches"]),
                "load": (load_before + os.getloadavg()[0]) / 2,
            })
            console.print(f"[dim]local {dtype} c={c}: {rows[-1]['tokens']} tokens in {wall:.1f} s[/dim]")
    return rows


def overhead_part(concurrencies: list[int], sessions: int, turns: int) -> list[dict]:
    """Per-turn time outside the backend, measured on the instant scripted backend."""
    rows = []
    ids = [s.id for s in spread(builtin_scenarios(), seed=0)]
    with tempfile.TemporaryDirectory() as tmp:
        for c in concurrencies:
            store = Store(Path(tmp) / f"scripted-{c}.db")
            summary, wall, _ = run_once(store, ids, sessions=sessions, turns=turns, concurrency=c,
                                        spec="scripted:vary=1")
            store.close()
            outside = wall - summary.attempt.get("backend_s", 0.0)
            rows.append({"concurrency": c, "turns": summary.turns, "wall_s": wall,
                         "overhead_ms_per_turn": outside / max(1, summary.turns) * 1000})
    return rows


def store_part(sessions: int, turns: int, export_format: str) -> dict:
    """Store `sessions` x `turns` through the driver, then time FTS searches and an export."""
    ids = [s.id for s in builtin_scenarios()]
    result: dict = {"sessions": sessions, "turns_per_session": turns}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.db"
        store = Store(path)
        summary, wall, planned = run_once(store, ids, sessions=sessions, turns=turns, concurrency=64,
                                          spec="scripted:vary=1")
        result.update(stored_sessions=summary.completed, stored_turns=summary.turns, generate_s=wall, plan_s=planned,
                      near_duplicates=summary.near_duplicates)
        searches = {}
        for query in ("check", "blue corner", "compar*", "\"every piece looks\"", "slowly AND shape"):
            t0 = time.perf_counter()
            hits = store.search_turns(query, limit=50)
            searches[query] = (time.perf_counter() - t0, len(hits))
        result["searches"] = searches
        out = Path(tmp) / "export.jsonl"
        t0 = time.perf_counter()
        try:
            from practicum.tuning.datasets.exporting import export_dataset
        except ImportError:
            export_dataset = None
        if export_dataset is not None:
            exported = export_dataset(store, export_format, out)
            lines = sum(1 for f in exported.files.values() for _ in open(f, encoding="utf-8"))
            result["export"] = (f"export_dataset format '{export_format}' (train+validation files)",
                                time.perf_counter() - t0, lines)
        else:
            with open(out, "w", encoding="utf-8") as f:
                for row in store.list_sessions(limit=None):
                    row["turns"] = store.get_turns(row["id"])
                    f.write(json.dumps(row, default=str) + "\n")
            result["export"] = ("plain JSONL dump through the Store", time.perf_counter() - t0, sessions)
        result["db_mb"] = path.stat().st_size / 1e6 + (Path(str(path) + "-wal").stat().st_size / 1e6
                                                       if Path(str(path) + "-wal").exists() else 0)
        store.close()
    return result


def main(argv: list[str] | None = None) -> None:
    """Parse options, run the parts, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16], help="local concurrencies")
    parser.add_argument("--local-sessions", type=int, default=8, help="sessions per local measurement (at least c)")
    parser.add_argument("--local-turns", type=int, default=4, help="turns per local session")
    parser.add_argument("--skip-local", action="store_true", help="skip the embedded-model part")
    parser.add_argument("--dtype", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"],
                        help="weight dtypes to measure the local part in")
    parser.add_argument("--overhead-sessions", type=int, default=200, help="sessions for the scripted overhead part")
    parser.add_argument("--store-sessions", type=int, default=10_000, help="sessions for the store part")
    parser.add_argument("--store-turns", type=int, default=10, help="turns per session for the store part")
    parser.add_argument("--export-format", default="dialogue", help="export_dataset format for the store part")
    args = parser.parse_args(argv)

    console.print(f"[bold]practicum generation benchmark[/bold] on {machine()}")
    local: list[dict] = []
    for dtype in [] if args.skip_local else args.dtype:
        rows = local_part(args.concurrency, args.local_sessions, args.local_turns, dtype)
        local += rows
        sequential = [r["tokens_per_s"] for r in rows if r["concurrency"] == 1] or [rows[0]["tokens_per_s"]]
        base = sum(sequential) / len(sequential)
        table = Table("concurrent sessions", "sessions", "turns", "generated tokens", "wall s", "sessions/min",
                      "tokens/s", "vs 1 (mean of 1s)", "load avg", "model share", "batches (mean rows)",
                      "prompt reused", "prefill padding", "finished-row decode",
                      title=f"Local backend, {dtype} weights (embedded SmolLM2-135M, batched generate, prefix cache)")
        for r in rows:
            table.add_row(str(r["concurrency"]), str(r["sessions"]), str(r["turns"]), str(r["tokens"]),
                          f"{r['wall_s']:.1f}", f"{r['sessions_per_min']:.2f}", f"{r['tokens_per_s']:.1f}",
                          f"{r['tokens_per_s'] / base:.2f}x", f"{r['load']:.1f}", f"{r['model_share']:.1%}",
                          f"{r['batches']} ({r['mean_batch']:.1f})", f"{r['reused_share']:.1%}",
                          f"{r['padding_share']:.1%}", f"{r['finished_row_share']:.1%}")
        console.print(table)

    overhead = overhead_part([1, 8], args.overhead_sessions, args.local_turns)
    table = Table("concurrency", "turns", "wall s", "framework ms/turn", "share of a local turn",
                  title="Framework overhead per turn (scripted backend: all of the time is outside the model)")
    local_turn = {r["concurrency"]: r["wall_s"] / max(1, r["turns"]) for r in local if r["dtype"] == "float32"}
    for r in overhead:
        per_turn = r["overhead_ms_per_turn"] / 1000
        lt = local_turn.get(r["concurrency"])
        share = f"{per_turn / lt:.2%} of {lt * 1000:.0f} ms" if lt else "n/a (local part skipped)"
        table.add_row(str(r["concurrency"]), str(r["turns"]), f"{r['wall_s']:.2f}", f"{r['overhead_ms_per_turn']:.2f}",
                      share)
    console.print(table)

    scale = store_part(args.store_sessions, args.store_turns, args.export_format)
    table = Table("step", "time", "result", title=f"Store at scale ({scale['sessions']:,} sessions x "
                                                    f"{scale['turns_per_session']} turns, scripted backend)")
    table.add_row("plan the run (session rows)", f"{scale['plan_s']:.2f} s", f"{scale['sessions']:,} rows")
    table.add_row("generate + store (incl. plan, dedup)", f"{scale['generate_s']:.1f} s",
                  f"{scale['stored_turns']:,} turns, {scale['stored_turns'] / scale['generate_s']:.0f} turns/s, "
                  f"{scale['near_duplicates']} near duplicates")
    for query, (secs, hits) in scale["searches"].items():
        table.add_row(f"FTS search {query}", f"{secs * 1000:.1f} ms", f"{hits} hits (limit 50)")
    how, secs, lines = scale["export"]
    table.add_row(f"export: {how}", f"{secs:.1f} s", f"{lines:,} lines")
    table.add_row("database size", "", f"{scale['db_mb']:.0f} MB")
    console.print(table)


if __name__ == "__main__":
    main()

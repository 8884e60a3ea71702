"""`practicum runs`: generation runs with their config, progress and metrics."""

from __future__ import annotations

import click
from rich.table import Table

from practicum.commands.common import console, open_store, print_json


@click.group()
def runs():
    """List and inspect generation runs (see `practicum generate`)."""


def _sessions_cell(counts: dict) -> str:
    total = sum(counts.values())
    done = counts.get("completed", 0)
    failed = counts.get("failed", 0)
    return f"{done}/{total}" + (f" ({failed} failed)" if failed else "")


@runs.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="How many runs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_runs(ctx, limit, as_json):
    """List generation runs, newest first, with progress and token counts."""
    from practicum.storage.runs import list_runs as query

    rows = query(open_store(ctx), limit=limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No runs yet. Start one with: practicum generate --scenarios builtin --sessions-per-scenario 2")
        return
    table = Table("id", "status", "scenarios", "sessions done", "turns", "generated tokens", "wall s", "teacher",
                  "student", "created")
    for r in rows:
        config, progress = r["config"], r["progress"]
        table.add_row(
            str(r["id"]), r["status"] + (" (stalled: resume it)" if r["stalled"] else ""),
            str(config.get("scenarios", ""))[:30], _sessions_cell(r["counts"]),
            str(r["turns"]), f"{int(progress.get('completion_tokens', 0)):,}", f"{float(progress.get('elapsed_s', 0)):.1f}",
            str(config.get("teacher", "")), str(config.get("student", "")), (r["created"] or "")[:19],
        )
    console.print(table)


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--sessions", "with_sessions", is_flag=True, help="Also list the run's sessions.")
@click.option("--json", "as_json", is_flag=True, help="Print the run (and, with --sessions, its sessions) as JSON.")
@click.pass_context
def show_run(ctx, run_id, with_sessions, as_json):
    """Show one run: its config, progress, metrics, failures and near duplicates."""
    from practicum.storage import runs as run_store

    store = open_store(ctx)
    run = run_store.get_run(store, run_id)
    run["turns"] = run_store.turn_totals(store, run_id)
    run["failures"] = run_store.failure_reasons(store, run_id)
    run["near_duplicates"] = run_store.near_duplicate_count(store, run_id)
    sessions = store.list_sessions(run_id=run_id, limit=None) if with_sessions else None
    if as_json:
        if sessions is not None:
            run["sessions"] = sessions
        print_json(run)
        return
    config, progress, counts = run["config"], run["progress"], run["counts"]
    stalled = f" (its process is gone; continue with: practicum generate --resume {run_id})" if run["stalled"] else ""
    console.print(f"[bold]Run {run_id}[/bold] ({run['kind']}): {run['status']}{stalled}, created {run['created'][:19]}, "
                  f"updated {run['updated'][:19]}")
    console.print(f"scenarios {config.get('scenarios')} ({len(config.get('scenario_ids', []))}) x "
                  f"{config.get('sessions_per_scenario')} sessions, up to {config.get('max_turns')} turns; "
                  f"teacher {config.get('teacher')}, student {config.get('student')}, "
                  f"concurrency {config.get('concurrency')}, seed {config.get('seed')}")
    console.print("sessions: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    totals = run["turns"]
    console.print(f"turns stored {totals['turns']:,}; tokens {int(progress.get('prompt_tokens', 0)):,} prompt + "
                  f"{int(progress.get('completion_tokens', 0)):,} generated; requests {int(progress.get('requests', 0)):,}"
                  + (f" ({progress.get('backend_requests')} HTTP, {progress.get('retries', 0)} retries)"
                     if progress.get("backend_requests") else "")
                  + f"; wall {float(progress.get('elapsed_s', 0)):.1f} s over {progress.get('attempts', 0)} attempt(s)")
    if progress.get("batch_fallbacks"):
        console.print(f"[yellow]batch fallbacks[/yellow] {progress['batch_fallbacks']}: one-pass batches that "
                      "raised and were re-asked one request at a time; last: ", end="")
        console.print(progress.get("last_batch_fallback", ""), markup=False)
    last = progress.get("last_attempt") or {}
    if last:
        console.print(f"last attempt: {last.get('turns', 0)} turns, {last.get('tokens_per_s', 0)} tok/s, "
                      f"{last.get('wall_s', 0)} s")
    console.print(f"near duplicates marked: {run['near_duplicates']} (threshold {config.get('dedup_threshold')})")
    for failure in run["failures"]:
        console.print(f"[red]failed[/red] {failure['count']} x {failure['reason']}: ", end="")
        console.print(failure["example"], markup=False)
    if sessions:
        table = Table("session", "scenario", "turns", "status", "duplicate of")
        for s in sessions:
            table.add_row(str(s["id"]), s["scenario_id"], str(s["n_turns"]),
                          s["status"] + (f" ({s['stop_reason']})" if s["stop_reason"] else ""),
                          str((s.get("metadata") or {}).get("near_duplicate_of", "")))
        console.print(table)

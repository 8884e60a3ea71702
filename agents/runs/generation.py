"""Generation runs end to end: plan a run, drive it (or resume it), mark near duplicates, sum it up.

This is the library behind `practicum generate`; the CLI only parses options and draws progress.
A run's config and plan live in the database, so `resume_run` needs nothing but the run id:
finished sessions are kept, pending ones start, and a session interrupted mid-way continues from
its last stored turn with the seeds it would have used (turn seeds derive from the session seed
and the turn index).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from practicum.agents.runs import near_duplicates
from practicum.agents.runs.driver import RunDriver, RunStats
from practicum.agents.runs.plan import RunConfig, plan_rows, scenario_for_session, session_options
from practicum.errors import InputError, PracticumError
from practicum.scenarios.model import Scenario
from practicum.storage import runs as run_store

TOTAL_KEYS = ("requests", "backend_requests", "retries", "prompt_tokens", "completion_tokens", "batch_fallbacks")


@dataclass
class RunSummary:
    """What a run (all its attempts) produced; `attempt` holds this attempt's own numbers."""

    run_id: int
    status: str
    sessions: int
    completed: int
    failed: int
    open: int
    turns: int
    prompt_tokens: int
    completion_tokens: int
    requests: int
    backend_requests: int
    retries: int
    wall_s: float
    near_duplicates: int
    batch_fallbacks: int = 0
    attempts: int = 1
    failures: list[dict] = field(default_factory=list)
    attempt: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain data for JSON output."""
        return asdict(self)


def start_run(store, config: RunConfig, scenarios: list[Scenario]) -> int:
    """Create the run row and its planned sessions; return the run id (nothing is generated yet)."""
    known = {s.id for s in scenarios}
    missing = [i for i in config.scenario_ids if i not in known]
    if missing:
        raise InputError(f"run config names scenarios that were not given: {', '.join(missing[:5])}")
    if not config.scenario_ids:
        raise InputError("a run needs at least one scenario")
    programs = run_programs(config, store)
    run_id = run_store.create_run(store, config.model_dump(), {"attempts": 0, "pid": os.getpid(),
                                                               "heartbeat": time.time()})
    run_store.plan_sessions(store, run_id, scenarios, plan_rows(config, programs))
    return run_id


def run_programs(config: RunConfig, store) -> dict:
    """{role: program description} of the run's Teacher and Student, with any `program=` loaded (checks it exists)."""
    from practicum.agents.speakers import SpeakerBuilder

    builder = SpeakerBuilder(store)
    return {role: builder.role(role, spec).describe()
            for role, spec in (("teacher", config.teacher), ("student", config.student))}


def load_config(store, run_id: int) -> RunConfig:
    """The stored config of a run, validated."""
    run = run_store.get_run(store, run_id)
    try:
        return RunConfig.model_validate(run["config"])
    except ValueError as exc:
        raise InputError(f"run {run_id}: stored config is not a generation config ({exc.__class__.__name__})") from None


def drive_run(
    store, run_id: int, *, concurrency: int | None = None, make_backend: Callable | None = None,
    make_ranker: Callable | None = None,
    on_start: Callable[[RunConfig, int, int], None] | None = None, on_progress: Callable[[RunStats], None] | None = None,
) -> RunSummary:
    """Generate every open session of a run (a new run or an interrupted one) and return its summary.

    `make_backend(backend_spec)` builds backends (default: the spec's own, run ids looked up in `store`);
    both roles on one backend spec share one backend; `make_ranker(role)` ranks `best_of=` candidates (the
    CLI passes the packaged judge's, evaluation/judge_ranker.py). `on_start(config, open, total)` is called once
    the run is claimed; `on_progress(stats)` after every write.
    """
    from practicum.agents.speakers import SpeakerBuilder

    config = load_config(store, run_id)
    builder = SpeakerBuilder(store, make_backend, make_ranker)
    base = session_options(config, None)
    teacher = builder.speaker("teacher", config.teacher, base.teacher_options)
    student = builder.speaker("student", config.student, base.student_options)
    backends = builder.backends

    run = run_store.claim_run(store, run_id, time.time())
    progress = run["progress"]
    progress["attempts"] = int(progress.get("attempts", 0)) + 1
    progress["previous"] = {k: progress.get(k, 0) for k in TOTAL_KEYS + ("elapsed_s",)}
    counters = _backend_counters(backends.values())
    sessions = run_store.open_sessions(store, run_id)
    if on_start:
        on_start(config, len(sessions), config.total_sessions)
    scenarios: dict[str, Scenario] = {}

    def scenario_for(row: dict) -> Scenario:
        if row["scenario_id"] not in scenarios:
            scenarios[row["scenario_id"]] = store.get_scenario(row["scenario_id"])
        return scenario_for_session(scenarios[row["scenario_id"]], row.get("metadata") or {})

    def progress_now(stats: RunStats) -> dict:
        return _merged(progress, stats, backends.values(), counters)

    def heartbeat(stats: RunStats) -> None:
        run_store.update_run(store, run_id, progress=progress_now(stats))

    # Each step's counters are written with its turns (progress_for), so a killed run's totals match its turns.
    driver = RunDriver(store, run_id, teacher, student, concurrency=concurrency or config.concurrency,
                       on_progress=on_progress, heartbeat=heartbeat, progress_for=progress_now)
    try:
        stats = driver.run(sessions, scenario_for, lambda row: session_options(config, row["seed"]))
    except BaseException as exc:
        try:
            run_store.update_run(store, run_id, status="interrupted", progress=_interrupted(store, run_id, progress,
                                                                                             driver.stats))
        except sqlite3.Error:
            pass  # the database itself failed; the run's rows say where it stopped anyway
        builder.close()
        if isinstance(exc, sqlite3.Error):
            raise PracticumError(f"run {run_id} stopped: the database failed ({exc}); stored turns are kept, "
                                 f"continue with: practicum generate --resume {run_id}") from None
        raise
    final = _merged(progress, stats, backends.values(), counters)
    counts = run_store.session_counts(store, run_id)
    still_open = sum(counts.get(s, 0) for s in run_store.OPEN_STATUSES)
    if not still_open:
        final["near_duplicates"] = mark_near_duplicates(store, run_id, config.dedup_threshold)
    final["pid"] = None
    status = "completed" if not still_open else "interrupted"
    run_store.update_run(store, run_id, status=status, progress=final)
    builder.close()
    return summarize(store, run_id, attempt=_attempt(stats, backends.values(), counters))


def mark_near_duplicates(store, run_id: int, threshold: float = 0.8) -> int:
    """Mark the run's completed dialogues that nearly repeat an earlier one; return how many."""
    found = near_duplicates.find_near_duplicates(run_store.run_dialogues(store, run_id), threshold=threshold)
    run_store.mark_near_duplicates(store, run_id, [(d.item, d.original, d.similarity) for d in found])
    return len(found)


def summarize(store, run_id: int, attempt: dict | None = None) -> RunSummary:
    """The run's totals as stored (counts from the sessions table, metrics from the run's progress)."""
    run = run_store.get_run(store, run_id)
    counts, progress = run["counts"], run["progress"]
    totals = run_store.turn_totals(store, run_id)
    return RunSummary(
        run_id=run_id, status=run["status"], sessions=sum(counts.values()), completed=counts.get("completed", 0),
        failed=counts.get("failed", 0), open=sum(counts.get(s, 0) for s in run_store.OPEN_STATUSES),
        turns=totals["turns"], prompt_tokens=int(progress.get("prompt_tokens", 0)),
        completion_tokens=int(progress.get("completion_tokens", 0)), requests=int(progress.get("requests", 0)),
        backend_requests=int(progress.get("backend_requests", 0)), retries=int(progress.get("retries", 0)),
        wall_s=float(progress.get("elapsed_s", 0.0)), near_duplicates=run_store.near_duplicate_count(store, run_id),
        batch_fallbacks=int(progress.get("batch_fallbacks", 0)),
        attempts=int(progress.get("attempts", 0) or 0),
        failures=run_store.failure_reasons(store, run_id), attempt=attempt or {},
    )


def _backend_counters(backends) -> dict[int, tuple[int, int]]:
    """Request/retry counters that remote backends keep (OpenAIChatBackend), read before the attempt."""
    return {id(b): (getattr(b, "requests_sent", 0), getattr(b, "retries", 0)) for b in backends}


def _backend_deltas(backends, before: dict[int, tuple[int, int]]) -> tuple[int, int]:
    sent = retried = 0
    for b in backends:
        sent0, retried0 = before.get(id(b), (0, 0))
        sent += getattr(b, "requests_sent", sent0) - sent0
        retried += getattr(b, "retries", retried0) - retried0
    return sent, retried


def _attempt(stats: RunStats, backends, before) -> dict:
    sent, retried = _backend_deltas(backends, before)
    return {
        "sessions": stats.total, "completed": stats.completed, "failed": stats.failed, "turns": stats.turns,
        "requests": stats.requests, "backend_requests": sent, "retries": retried,
        "prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
        "wall_s": round(stats.elapsed, 3), "tokens_per_s": round(stats.tokens_per_s, 2),
        "backend_s": round(stats.backend_seconds, 3), "batch_fallbacks": stats.batch_fallbacks,
    }


def _interrupted(store, run_id: int, progress: dict, stats: RunStats) -> dict:
    """The progress to keep when an attempt stops on an exception (Ctrl-C included).

    The counters come from the database, as the last committed step wrote them with its turns: an interrupt
    that lands after a step's commit but before the driver's in-memory stats move would otherwise store
    counters one step behind the stored turns. Only the clock and the heartbeat are this attempt's.
    """
    stored = dict(run_store.get_run(store, run_id)["progress"])
    stored["elapsed_s"] = round(progress.get("previous", {}).get("elapsed_s", 0.0) + stats.elapsed, 3)
    stored["heartbeat"] = time.time()
    return stored


def _merged(progress: dict, stats: RunStats, backends, before) -> dict:
    """The run's progress JSON: totals of earlier attempts plus this one so far, and a heartbeat."""
    base = progress.get("previous", {})
    now = _attempt(stats, backends, before)
    merged = dict(progress)
    for key in TOTAL_KEYS:
        merged[key] = base.get(key, 0) + now[key]
    merged["elapsed_s"] = round(base.get("elapsed_s", 0.0) + stats.elapsed, 3)
    merged["heartbeat"] = time.time()
    merged["last_attempt"] = now
    if stats.last_fallback:
        merged["last_batch_fallback"] = stats.last_fallback
    return merged

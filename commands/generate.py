"""`practicum generate`: many sessions as one run, batched or concurrent, resumable, with live progress."""

from __future__ import annotations

import click
from click.core import ParameterSource

from practicum.agents.backends.base import ROLE_TEMPERATURE
from practicum.commands.common import console, err_console, open_store, print_json

JUDGE_SAMPLE = 200  # sessions the end-of-run judge summary reads at most

RUN_OPTIONS = {  # parameter name -> flag: what --resume takes from the stored run instead
    "selection": "--scenarios", "sessions_per_scenario": "--sessions-per-scenario", "turns": "--turns",
    "teacher_spec": "--teacher", "student_spec": "--student", "seed": "--seed", "temperature": "--temperature",
    "max_scenarios": "--max-scenarios", "vary_traits": "--vary-traits", "no_answer_stop": "--no-answer-stop",
    "generator_spec": "--generator", "dedup_threshold": "--dedup-threshold",
}


@click.command()
@click.option("--scenarios", "selection", metavar="SELECTION",
              help="Which scenarios: comma-separated ids, a .yaml/.json/.jsonl file, 'all'/'builtin'/'stored', "
                   "a filter like 'subject=math,grade=5' or 'source=mathdial', or 'generate:N' for N new ones.")
@click.option("--sessions-per-scenario", "-k", default=1, show_default=True, type=click.IntRange(1, 100_000),
              help="Sessions to generate for each scenario (each with its own seed).")
@click.option("--turns", "-n", default=10, show_default=True, type=click.IntRange(1, 200),
              help="Maximum turns per session (teacher and student utterances together).")
@click.option("--teacher", "teacher_spec", default="local", show_default=True,
              help="Teacher spec: local, local:adapter=RUN|PATH (LoRA), local:program=RUN|PATH "
                   "(DSPy program), openai:MODEL[,base_url=URL][,program=...], scripted. Run ids are looked up "
                   "in the --db database.")
@click.option("--student", "student_spec", default="local", show_default=True,
              help="Student backend spec (same forms as --teacher).")
@click.option("--concurrency", "-c", default=8, show_default=True, type=click.IntRange(1, 512),
              help="Sessions advanced together: the batch size on the local model, parallel requests remotely.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Run seed; session i gets its own seed derived from it, so a run can be reproduced.")
@click.option("--temperature", default=None, type=click.FloatRange(0, 2),
              help=f"Sampling temperature for both roles (default: the roles' own, {ROLE_TEMPERATURE}).")
@click.option("--max-scenarios", default=None, type=click.IntRange(1),
              help="Use at most this many scenarios, sampled round-robin across subjects and grades.")
@click.option("--vary-traits", is_flag=True,
              help="Give each session its own student confidence and motivation (drawn from its seed).")
@click.option("--no-answer-stop", is_flag=True, help="Keep going after the student states the answer.")
@click.option("--generator", "generator_spec", default=None,
              help="Backend spec that writes whole scenarios for --scenarios generate:N (for strong models, "
                   "e.g. openai:MODEL). Default: build them without a model, with computed answers and "
                   "misconception-rule wrong attempts.")
@click.option("--dedup-threshold", default=0.8, show_default=True, type=click.FloatRange(0.05, 1.0),
              help="Mark a dialogue as a near duplicate when its estimated word-shingle Jaccard similarity "
                   "to an earlier one reaches this.")
@click.option("--resume", "resume_id", type=int, default=None, metavar="RUN",
              help="Continue an interrupted run with its stored settings (only --concurrency may change).")
@click.option("--judge", "judge_spec", default="model", show_default=True,
              help="Judge the run's teacher turns at the end and summarise them: 'model' (the packaged "
                   "MRBench-trained judge, offline) or a judge .npz; 'none' skips. Scores are stored as ratings. "
                   f"A large run is summarised on a seeded sample of {JUDGE_SAMPLE} sessions (all of them: "
                   "practicum eval judge --run RUN).")
@click.option("--json", "as_json", is_flag=True, help="Print the final summary as JSON on stdout.")
@click.pass_context
def generate(ctx, selection, sessions_per_scenario, turns, teacher_spec, student_spec, concurrency, seed, temperature,
             max_scenarios, vary_traits, no_answer_stop, generator_spec, dedup_threshold, resume_id, judge_spec,
             as_json):
    """Generate many simulated sessions as one stored, resumable run.

    Sessions advance together: on the local model their turns are batched into one forward pass
    per step; on an OpenAI-compatible endpoint (vLLM, ...) up to --concurrency requests are in
    flight. Every turn is stored as it comes; after a crash or Ctrl-C, `--resume RUN` finishes
    the run without repeating anything. Near-duplicate dialogues are marked at the end.
    """
    from practicum.agents.runs.generation import drive_run
    from practicum.evaluation.judge_ranker import judge_ranker_factory

    if resume_id is not None:
        given = [flag for name, flag in RUN_OPTIONS.items()
                 if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
        if given:
            raise click.UsageError(f"--resume continues run {resume_id} with its stored settings; "
                                   f"drop {', '.join(given)}")
        from practicum.agents.runs.generation import load_config

        store = open_store(ctx)
        run_id = resume_id
        stored = load_config(store, run_id)
        _check_specs(stored.teacher, stored.student)
        _check_backends(store, stored.teacher, stored.student)
        err_console.print(f"Resuming run {run_id}.")
        override = concurrency if ctx.get_parameter_source("concurrency") == ParameterSource.COMMANDLINE else None
    else:
        if not selection:
            raise click.UsageError("give --scenarios (or --resume RUN)")
        _check_specs(teacher_spec, student_spec, generator_spec)
        store = open_store(ctx)
        _check_backends(store, teacher_spec, student_spec, generator_spec)
        run_id = _new_run(store, selection, sessions_per_scenario, turns, teacher_spec, student_spec, concurrency,
                          seed, temperature, max_scenarios, vary_traits, no_answer_stop, generator_spec,
                          dedup_threshold)
        override = None

    from practicum.commands.run_progress import RunProgress, print_summary

    progress = RunProgress(run_id)
    try:
        with progress:
            summary = drive_run(store, run_id, concurrency=override, on_start=progress.start,
                                on_progress=progress.update, make_ranker=judge_ranker_factory())
    except KeyboardInterrupt:
        err_console.print(f"Run {run_id} interrupted; stored turns are kept. Continue with: "
                          f"practicum generate --resume {run_id}")
        ctx.exit(130)  # one message: re-raising would add click's "Aborted."
    judged = _judge_run(store, run_id, judge_spec, as_json) if judge_spec != "none" else None
    if as_json:
        print_json(summary.as_dict() | ({"judge": judged} if judged else {}))
    else:
        print_summary(summary)
        if judged:
            from practicum.evaluation.judge_ratings import label_summary

            sample = (f" (a seeded sample of {judged['sampled']} of {judged['of_sessions']} sessions; all: "
                      f"practicum eval judge --run {run_id})") if judged["sampled"] < judged["of_sessions"] else ""
            console.print(label_summary(judged) + sample)


def _judge_run(store, run_id: int, judge_spec: str, quiet: bool) -> dict | None:
    """Judge the run's finished sessions the judge has not seen (a seeded sample of JUDGE_SAMPLE of a large run);
    return its counts, with `sampled` sessions of `sessions` (None when nothing is left to judge)."""
    import random

    from rich.progress import Progress

    from practicum.evaluation.judge_model import load_judge
    from practicum.evaluation.judge_ratings import judge_stored_sessions, unjudged_sessions
    from practicum.storage.metrics_queries import select_session_ids

    judge = load_judge(judge_spec)
    todo = unjudged_sessions(store, select_session_ids(store, run_ids=[run_id]), judge.rater)
    if not todo:
        return None
    total = len(todo)
    if total > JUDGE_SAMPLE:  # a summary needs a sample, not a half-hour wait after a 10,000-session run
        todo = sorted(random.Random(run_id).sample(todo, JUDGE_SAMPLE))
    with Progress(console=err_console, transient=True, disable=quiet) as bar:
        task = bar.add_task("judging", total=None)
        result = judge_stored_sessions(store, todo, judge,
                                       progress=lambda done, n: bar.update(task, completed=done, total=n))
    return result | {"sampled": len(todo), "of_sessions": total}


def _check_specs(*specs: str | None) -> None:
    """Refuse bad specs, a human side, or a missing embedded model, before the database is touched."""
    from practicum.agents.backends.embedded_model import gguf_path
    from practicum.agents.speakers import parse_agent_spec

    parsed = [parse_agent_spec(spec) for spec in specs if spec]
    if any(p.is_human for p in parsed):
        raise click.UsageError("generate runs agents on both sides; to type yourself, use simulate or the TUI")
    if any(p.backend.kind == "local" and "model" not in p.backend.options for p in parsed):
        gguf_path()


def _check_backends(store, *specs: str | None) -> None:
    """Build each backend and role program once (cheap: models load on first use) so bad options, keys,
    adapter or program run ids fail before a run is created; run ids are looked up in `store`."""
    from practicum.agents.speakers import SpeakerBuilder

    builder = SpeakerBuilder(store)
    for spec in filter(None, specs):
        builder.backend(spec)
    builder.close()


def _new_run(store, selection, sessions_per_scenario, turns, teacher_spec, student_spec, concurrency, seed,
             temperature, max_scenarios, vary_traits, no_answer_stop, generator_spec, dedup_threshold) -> int:
    from practicum.agents.runs.generation import start_run
    from practicum.agents.runs.plan import RunConfig
    from practicum.agents.runs.sources import generate_count, resolve_scenarios

    generator = None
    count = generate_count(selection)
    if count is not None and generator_spec:  # without --generator, generate:N builds scenarios (no model)
        from practicum.agents.speakers import SpeakerBuilder

        generator = SpeakerBuilder(store).backend(generator_spec)
        err_console.print(f"Writing {count} scenarios with {generator.spec}...")
    elif count is not None:
        err_console.print(f"Building {count} scenarios from problem families and the misconception catalogue...")
    scenarios, failures = resolve_scenarios(selection, store, seed=seed, limit=max_scenarios,
                                            generator_backend=generator)
    for failure in failures:
        err_console.print(f"[yellow]scenario generation failed[/yellow] {failure}", markup=True, highlight=False)
    if count is not None:
        store.upsert_scenarios(scenarios)
    config = RunConfig(
        scenarios=selection, scenario_ids=[s.id for s in scenarios], sessions_per_scenario=sessions_per_scenario,
        max_turns=turns, teacher=teacher_spec, student=student_spec, concurrency=concurrency, seed=seed,
        temperature=temperature, stop_on_answer=not no_answer_stop, vary_traits=vary_traits,
        dedup_threshold=dedup_threshold,
    )
    run_id = start_run(store, config, scenarios)
    subjects = sorted({s.subject for s in scenarios})
    err_console.print(f"[bold]Run {run_id}[/bold]: {config.total_sessions} sessions = {len(scenarios)} scenarios "
                      f"({', '.join(subjects)}) x {sessions_per_scenario}, up to {turns} turns; teacher {teacher_spec}, "
                      f"student {student_spec}, concurrency {concurrency}, seed {seed}")
    return run_id

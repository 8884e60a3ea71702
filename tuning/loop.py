"""The tuning loop end to end, on held-out scenarios: simulate -> evaluate -> train -> simulate again -> compare.

1. Import the MathDial file as transcripts and hold out N problems (never trained on).
2. Simulate the base teacher against the simulated student on the held-out scenarios, as a
   generation run with fixed seeds; evaluate it (metrics, and the LLM judge when asked).
3. Train on good teaching: the MathDial teacher turns labelled focus or probing, outside the
   held-out problems, with the LoRA tuner, the DSPy tuner, or both, through the `Tuner` protocol
   only (prepare the training set, run, use the artifact's spec).
4. Simulate again with the tuned teacher: same scenarios, same run seed, so sessions pair by
   (scenario, seed); evaluate; compare each tuned run with the base run.

`run_loop(LoopConfig(data=...), store, ui)` does it all and returns every number; `ui` receives
step boundaries and progress (the CLI draws them). Each step's wall time is measured.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from practicum.tuning.loop_config import TUNERS, LoopConfig, LoopUI
from practicum.tuning.loop_data import HeldOut, TrainingFiles, build_training_files, choose_held_out, import_mathdial
from practicum.tuning.loop_report import add_judge_rows, headline_rows, noise_summary, write_report
from practicum.tuning.tuner import TunedArtifact, Tuner, tuner_for, with_option

TunerFactory = Callable[[str], "tuple[Tuner, Any]"]  # tuner name -> (tuner, the config its run takes)

__all__ = ["TUNERS", "LoopConfig", "LoopUI", "LoopResult", "TunerOutcome", "run_loop", "with_option"]


@dataclass
class TunerOutcome:
    """One tuner's part of the loop: what it trained, the tuned run, and the comparison with the base run."""

    tuner: str
    tuning_run_id: int | None
    teacher_spec: str
    run_id: int
    session_ids: list[int]
    training: dict
    comparison: object = field(repr=False, default=None)
    summary: str = ""
    json_path: str = ""
    png_path: str = ""


@dataclass
class LoopResult:
    """Everything the loop measured."""

    config: dict
    held_out: list[str]
    steps: list[tuple[str, float]] = field(default_factory=list)
    base_run_id: int | None = None
    base_ids: list[int] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    outcomes: list[TunerOutcome] = field(default_factory=list)


class _Clock:
    def __init__(self, result: LoopResult, ui: LoopUI):
        self.result, self.ui = result, ui

    @contextlib.contextmanager
    def step(self, name: str):
        self.ui.step_started(name)
        start = time.perf_counter()
        notes: list[str] = []
        yield notes
        seconds = round(time.perf_counter() - start, 1)
        self.result.steps.append((name, seconds))
        self.ui.step_finished(name, seconds, "; ".join(notes))


def simulate(store, config: LoopConfig, teacher_spec: str, held_out: HeldOut, ui: LoopUI) -> tuple[int, list[int]]:
    """One generation run on the held-out scenarios with the loop's seed; return (run id, finished session ids)."""
    from practicum.agents.runs.generation import drive_run, start_run
    from practicum.evaluation.judge_ranker import judge_ranker_factory
    from practicum.agents.runs.plan import RunConfig
    from practicum.storage.metrics_queries import select_session_ids

    scenarios = [store.get_scenario(i) for i in held_out.scenario_ids]
    run_config = RunConfig(
        scenarios=",".join(held_out.scenario_ids), scenario_ids=held_out.scenario_ids,
        sessions_per_scenario=config.seeds, max_turns=config.turns, teacher=teacher_spec, student=config.student,
        concurrency=config.concurrency, seed=config.seed,
    )
    run_id = start_run(store, run_config, scenarios)
    with ui.generation(run_id) as (on_start, on_progress):
        drive_run(store, run_id, on_start=on_start, on_progress=on_progress, make_ranker=judge_ranker_factory())
    return run_id, select_session_ids(store, run_ids=[run_id])


def evaluate(store, config: LoopConfig, session_ids: list[int], ui: LoopUI) -> dict:
    """Metrics of the sessions (stored) and, unless the judge is 'none', judge ratings; return a summary."""
    from practicum.evaluation.reports import evaluate_sessions

    report = evaluate_sessions(store, session_ids, progress=lambda d, t: ui.stage("metrics", d, t))
    summary = {m.name: round(m.mean, 4) for m in report.metrics}
    if config.judge == "none":
        return summary
    if _is_model_judge(config.judge):
        from practicum.evaluation.judge_model import load_judge
        from practicum.evaluation.judge_ratings import judge_stored_sessions

        counts = judge_stored_sessions(store, session_ids, load_judge(config.judge),
                                       max_turns_per_session=config.judge_turns,
                                       progress=lambda d, t: ui.stage("judge (MRBench-trained model)", d, t))
        summary["judge"] = {"rater": counts["rater"], "turns": counts["turns"]}
        return summary
    from practicum.agents.backends.spec import parse_spec

    if parse_spec(config.judge).kind == "local":
        # The embedded model cannot write a JSON grade; it answers one yes/no question at a time instead.
        from practicum.evaluation.choice_judge import answer_agreement, judge_sessions_by_choice

        choice = judge_sessions_by_choice(store, session_ids, config.judge, max_turns_per_session=config.judge_turns,
                                          progress=lambda d, t: ui.stage("judge (yes/no probabilities)", d, t))
        summary["judge"] = {"rater": choice.rater, "turns": choice.turns, **answer_agreement(store, choice)}
        return summary
    from practicum.agents.backends.base import GenerationOptions
    from practicum.agents.backends.spec import make_backend
    from practicum.evaluation.judge import judge_sessions

    result = judge_sessions(store, session_ids, make_backend(config.judge, store=store),
                            max_turns_per_session=config.judge_turns,
                            options=GenerationOptions(max_tokens=160, temperature=0.0),
                            progress=lambda d, t: ui.stage("judge", d, t))
    summary["judge"] = {"rater": result.rater, "turns": result.turns, "parsed": result.parsed,
                        "partial": result.partial, "failed": result.failed}
    return summary


def _is_model_judge(judge: str) -> bool:
    """'model' or a judge file: the trained pedagogical judge rather than an LLM backend spec."""
    return judge == "model" or judge.endswith(".npz")


def judge_rater(config: LoopConfig) -> str:
    """The rater name the loop's judge stores its scores under."""
    from practicum.agents.backends.spec import make_backend, parse_spec

    if _is_model_judge(config.judge):
        from practicum.evaluation.judge_model import load_judge

        return load_judge(config.judge).rater
    if parse_spec(config.judge).kind == "local":
        return f"judge-choice:{config.judge}"
    return f"judge:{make_backend(config.judge).spec}"


def default_tuners(store, config: LoopConfig, ui: LoopUI) -> TunerFactory:
    """`make(name) -> (tuner, its config)`: the registered tuner, set up from the loop's options."""
    def make(name: str) -> tuple[Tuner, Any]:
        tuner = tuner_for(name, store, on_stage=ui.stage, console=ui.console)
        return tuner, config.tuner_config(name, progress=ui.console is not None)

    return make


def train(tuner: Tuner, tuner_config, files: TrainingFiles) -> TunedArtifact:
    """Prepare the tuner's training set from the loop's files and run it: the Tuner protocol, nothing else."""
    tuner.prepare(files.training_set(tuner.data_formats))
    return tuner.run(tuner_config)


def collect(store, config: LoopConfig, held_out: HeldOut, files: TrainingFiles, workdir: Path, result: LoopResult,
            clock: _Clock, ui: LoopUI) -> TrainingFiles:
    """Simulate the base teacher with best-of-n on training problems; add its judge-kept turns or pairs."""
    from practicum.tuning.loop_collect import merge_into, training_scenarios, write_collected

    spec = with_option(config.teacher, "best_of", config.best_of)
    with clock.step(f"collect: {spec} on {config.collect} training problems") as notes:
        problems = HeldOut(training_scenarios(config.data, held_out, config.collect, config.seed), set())
        run_id, ids = simulate(store, config, spec, problems, ui)
        collected = write_collected(store, run_id, ids, workdir / "collected", config.seed)
        files = merge_into(files, collected, config.objective, workdir)
        result.data["collected"] = {"run_id": run_id, **collected.counts}
        notes.append(f"run {run_id}: {len(ids)} sessions, {collected.counts['chosen_rows']} kept turns, "
                     f"{collected.counts['pairs']['train']} + {collected.counts['pairs']['validation']} pairs; "
                     f"training on {config.objective}")
    return files


def run_loop(config: LoopConfig, store, ui: LoopUI | None = None, tuners: TunerFactory | None = None) -> LoopResult:
    """Run the whole loop; see the module docstring. `tuners(name)` gives each tuner and its config
    (default: `default_tuners`, the registered tuners set up from the loop's options)."""
    from practicum.config import practicum_home
    from practicum.evaluation.reports import compare

    config.check()
    ui = ui or LoopUI()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    workdir = Path(config.workdir).expanduser() if config.workdir else practicum_home() / "loops" / stamp
    prefix = Path(config.out).expanduser() if config.out else practicum_home() / "reports" / f"loop-{stamp}"
    held_out = choose_held_out(config.data, config.scenarios, config.seed)
    result = LoopResult(config=asdict(config), held_out=held_out.scenario_ids)
    clock = _Clock(result, ui)

    with clock.step("prepare: import MathDial, hold out problems, build training files") as notes:
        imported = import_mathdial(store, config.data)
        files = build_training_files(store, workdir, held_out, config.move_list(), config.seed)
        result.data = {"import": imported, "training": files.counts, "workdir": str(workdir)}
        notes.append(f"{len(held_out.scenario_ids)} held-out problems; {files.counts['train']} training / "
                     f"{files.counts['validation']} validation turns ({'/'.join(config.move_list())})")
    with clock.step(f"simulate base teacher ({config.teacher})") as notes:
        result.base_run_id, result.base_ids = simulate(store, config, config.teacher, held_out, ui)
        notes.append(f"run {result.base_run_id}: {len(result.base_ids)} sessions")
    with clock.step("evaluate base sessions") as notes:
        result.data["base_summary"] = evaluate(store, config, result.base_ids, ui)

    if config.collect:
        files = collect(store, config, held_out, files, workdir, result, clock, ui)

    tuners = tuners or default_tuners(store, config, ui)
    for tuner in config.tuners():
        with clock.step(f"train {tuner}") as notes:
            artifact = train(*tuners(tuner), files)
            spec, tuning_id, training = artifact.backend_spec(config.teacher), artifact.run_id, dict(artifact.summary)
            notes.append(f"tuning run {tuning_id}; teacher {spec}")
        with clock.step(f"simulate tuned teacher ({tuner})") as notes:
            run_id, ids = simulate(store, config, spec, held_out, ui)
            notes.append(f"run {run_id}: {len(ids)} sessions")
        outcome = TunerOutcome(tuner, tuning_id, spec, run_id, ids, training)
        with clock.step(f"evaluate tuned sessions ({tuner})"):
            outcome.training["after_summary"] = evaluate(store, config, ids, ui)
        with clock.step(f"compare ({tuner})"):
            comparison = compare(store, result.base_ids, ids, progress=lambda d, t: ui.stage("compare", d, t))
            if config.judge != "none":
                add_judge_rows(comparison, store, result.base_ids, ids, judge_rater(config))
            outcome.comparison = comparison
            n_pairs = max((row.n_pairs for row in comparison.metrics), default=0)
            outcome.summary = noise_summary(comparison, n_pairs)
        result.outcomes.append(outcome)
        report = {"tuner": tuner, "config": result.config, "held_out": result.held_out, "steps": result.steps,
                  "base_run_id": result.base_run_id, "tuned_run_id": run_id, "tuning_run_id": tuning_id,
                  "teacher_spec": spec, "training": outcome.training, "data": result.data,
                  "headline": [{"metric": row.name, "verdict": v} for row, v in headline_rows(comparison)],
                  "summary": outcome.summary}
        json_path, png_path = write_report(f"{prefix}-{tuner}", report, comparison, "base", tuner)
        outcome.json_path, outcome.png_path = str(json_path), str(png_path)
    return result

"""The tuning loop end to end, on held-out scenarios: simulate -> evaluate -> train -> simulate again -> compare.

1. Import the MathDial file as transcripts and hold out N problems (never trained on).
2. Simulate the base teacher against the simulated student on the held-out scenarios, as a
   generation run with fixed seeds; evaluate it (metrics, and the LLM judge when asked).
3. Train on good teaching: the MathDial teacher turns labelled focus or probing, outside the
   held-out problems, with the LoRA tuner, the DSPy tuner, or both.
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

from practicum.errors import InputError
from practicum.tuning.loop_data import HeldOut, TrainingFiles, build_training_files, choose_held_out, import_mathdial
from practicum.tuning.loop_report import add_judge_rows, headline_rows, noise_summary, write_report

TUNERS = ("lora", "dspy", "both")


@dataclass
class LoopConfig:
    """What the loop runs; every field is a `practicum loop` option."""

    data: str = field(default="", metadata={"help": "MathDial .jsonl: held-out scenarios and good teaching to train on."})
    tuner: str = field(default="dspy", metadata={"help": "Which tuner closes the loop: lora, dspy, or both."})
    scenarios: int = field(default=10, metadata={"help": "Held-out MathDial problems to simulate on."})
    seeds: int = field(default=1, metadata={"help": "Sessions per held-out scenario (each its own seed)."})
    turns: int = field(default=8, metadata={"help": "Maximum turns per session."})
    seed: int = field(default=0, metadata={"help": "Run seed: same held-out set, session seeds and training seed."})
    steps: int = field(default=50, metadata={"help": "LoRA: optimizer steps."})
    max_length: int = field(default=1024, metadata={"help": "LoRA: longest training sequence in tokens (a turn "
                                                               "whose reply falls past it is dropped)."})
    optimizer: str = field(default="bootstrap", metadata={"help": "DSPy: bootstrap, mipro or gepa."})
    moves: str = field(default="focus,probing", metadata={"help": "Human move labels of the teacher turns to learn."})
    teacher: str = field(default="local", metadata={"help": "Base teacher backend spec."})
    student: str = field(default="local", metadata={"help": "Student backend spec (the same before and after)."})
    judge: str = field(default="local", metadata={"help": "LLM judge: a local spec (yes/no probabilities, 'choice_judge'), "
                                                          "another spec (the JSON MRBench judge), or 'none'."})
    judge_turns: int = field(default=2, metadata={"help": "Teacher turns judged per session."})
    concurrency: int = field(default=10, metadata={"help": "Sessions generated together (the local batch size)."})
    max_train: int = field(default=40, metadata={"help": "DSPy: training examples used."})
    workdir: str | None = field(default=None, metadata={"help": "Folder for the training files (default: "
                                                                 "$PRACTICUM_HOME/loops/<time>)."})
    out: str | None = field(default=None, metadata={"help": "Report prefix: PREFIX-<tuner>.json/.png (default: "
                                                             "$PRACTICUM_HOME/reports/loop-<time>)."})

    def check(self) -> "LoopConfig":
        """InputError naming the first bad field; return self."""
        if self.tuner not in TUNERS:
            raise InputError(f"tuner: {self.tuner!r} is not one of {', '.join(TUNERS)}")
        if not self.data or not Path(self.data).expanduser().exists():
            raise InputError(f"data: MathDial file not found: {self.data or '(none given)'}")
        for name in ("scenarios", "seeds", "turns", "steps", "max_length", "judge_turns", "concurrency", "max_train"):
            if getattr(self, name) < 1:
                raise InputError(f"{name}: must be at least 1")
        if not self.move_list():
            raise InputError("moves: name at least one of focus, probing, telling, generic")
        return self

    def move_list(self) -> tuple[str, ...]:
        """The move labels to learn."""
        return tuple(m.strip() for m in self.moves.split(",") if m.strip())

    def tuners(self) -> list[str]:
        """The tuners to run, in order."""
        return ["lora", "dspy"] if self.tuner == "both" else [self.tuner]


class LoopUI:
    """Hooks the loop calls; the default draws nothing (the CLI subclasses it)."""

    console = None  # a rich Console for the LoRA trainer's progress bar, or None

    def step_started(self, name: str) -> None:
        """A step begins."""

    def step_finished(self, name: str, seconds: float, note: str = "") -> None:
        """A step ended after `seconds`."""

    def stage(self, name: str, done: int | None = None, total: int | None = None) -> None:
        """Progress inside a step (DSPy stages, metrics, judging)."""

    @contextlib.contextmanager
    def generation(self, run_id: int):
        """Around a generation run: yield (on_start, on_progress) callbacks for drive_run."""
        yield None, None


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


def with_option(spec: str, key: str, value) -> str:
    """`local` + program=5 -> `local:program=5`; `local:model=X` -> `local:model=X,program=5`."""
    kind, sep, rest = spec.partition(":")
    return f"{spec},{key}={value}" if sep and rest else f"{kind}:{key}={value}"


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
        drive_run(store, run_id, on_start=on_start, on_progress=on_progress)
    return run_id, select_session_ids(store, run_ids=[run_id])


def evaluate(store, config: LoopConfig, session_ids: list[int], ui: LoopUI) -> dict:
    """Metrics of the sessions (stored) and, unless the judge is 'none', judge ratings; return a summary."""
    from practicum.evaluation.reports import evaluate_sessions

    report = evaluate_sessions(store, session_ids, progress=lambda d, t: ui.stage("metrics", d, t))
    summary = {m.name: round(m.mean, 4) for m in report.metrics}
    if config.judge == "none":
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

    result = judge_sessions(store, session_ids, make_backend(config.judge), max_turns_per_session=config.judge_turns,
                            options=GenerationOptions(max_tokens=160, temperature=0.0),
                            progress=lambda d, t: ui.stage("judge", d, t))
    summary["judge"] = {"rater": result.rater, "turns": result.turns, "parsed": result.parsed,
                        "partial": result.partial, "failed": result.failed}
    return summary


def judge_rater(config: LoopConfig) -> str:
    """The rater name the loop's judge stores its scores under."""
    from practicum.agents.backends.spec import make_backend, parse_spec

    if parse_spec(config.judge).kind == "local":
        return f"judge-choice:{config.judge}"
    return f"judge:{make_backend(config.judge).spec}"


def train_lora(store, config: LoopConfig, files: TrainingFiles, ui: LoopUI) -> tuple[str, int | None, dict]:
    """Train a LoRA adapter on the good-teaching hf-sft file; return (teacher spec, tuning run id, numbers)."""
    from practicum.agents.backends.spec import parse_spec
    from practicum.tuning.lora import LoraTrainConfig, train_lora as run_lora

    base = parse_spec(config.teacher)
    if base.kind != "local":
        raise InputError(f"the LoRA tuner trains a local model; --teacher is {config.teacher}")
    lora_config = LoraTrainConfig(data=str(files.sft_train), val=str(files.sft_val), role="teacher",
                                  base=base.options.get("model"), max_steps=config.steps, seed=config.seed,
                                  max_length=config.max_length,
                                  progress=ui.console is not None)
    result = run_lora(lora_config, store=store, console=ui.console)
    metrics = result.metrics
    train = metrics["train_loss"]
    numbers = {"steps": metrics["steps"], "wall_time_s": metrics["wall_time_s"],
               "train_loss_first": train[0][1] if train else None, "train_loss_last": train[-1][1] if train else None,
               "val_loss_before": metrics.get("initial_val_loss"), "val_loss_best": metrics.get("best_val_loss")}
    # The adapter's path, not its run id: a run id is looked up in the default database, the path anywhere.
    return f"local:adapter={result.adapter_path}", result.run_id, numbers


def train_dspy(store, config: LoopConfig, files: TrainingFiles, ui: LoopUI) -> tuple[str, int | None, dict]:
    """Compile the Teacher with the DSPy optimizer on the good-teaching examples; return (spec, run id, numbers)."""
    from practicum.tuning.dspy_tuner import DspyTuneConfig, tune_dspy

    dspy_config = DspyTuneConfig(data=str(files.dspy_train), val=str(files.dspy_val), role="teacher",
                                 optimizer=config.optimizer, backend=config.teacher, max_train=config.max_train,
                                 seed=config.seed)
    result = tune_dspy(dspy_config, store=store, on_stage=ui.stage)
    numbers = {"objective_before": result.before.get("objective"), "objective_after": result.after.get("objective"),
               "validation_examples": result.before.get("n"), **result.changes, "stage_seconds": result.stage_seconds}
    ref = result.run_id if result.run_id is not None else result.program_path
    return with_option(config.teacher, "program", ref), result.run_id, numbers


def run_loop(config: LoopConfig, store, ui: LoopUI | None = None) -> LoopResult:
    """Run the whole loop; see the module docstring."""
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

    trainers = {"lora": train_lora, "dspy": train_dspy}
    for tuner in config.tuners():
        with clock.step(f"train {tuner}") as notes:
            spec, tuning_id, training = trainers[tuner](store, config, files, ui)
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

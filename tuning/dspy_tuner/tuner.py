"""One DSPy tuning run: examples -> objective before -> compile -> objective after -> JSON program + run row.

`tune_dspy(DspyTuneConfig(data=...), store=store)` is the entry point; `DspyTuner` is the same
behind the `Tuner` protocol (practicum.tuning.tuner), for the CLI and the tuning loop. The
objective is measured before and after on the same validation examples with the same seeds,
generating the replies in batches through the backend with the messages `Role.messages`
would send (identical to what the DSPy path sends). The compiled program is saved as DSPy JSON
state (never pickle) at $PRACTICUM_HOME/programs/<run id>/program.json and registered in
`tuning_runs`, so `--teacher local:program=<run id>` loads it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from practicum.agents.backends.base import GenerationOptions
from practicum.records import STUDENT
from practicum.errors import InputError, PracticumError
from practicum.tuning.dspy_tuner.config import DspyTuneConfig
from practicum.tuning.dspy_tuner.data import ExampleSets, load_example_sets
from practicum.tuning.dspy_tuner.objective import StudentObjective, TeacherObjective, reply_text
from practicum.tuning.tuner import Stage, TrainingSet, TunedArtifact, check_format

TUNER = "dspy"


@dataclass
class DspyTuneResult:
    """What a run produced: the program file, its run id, the objective before and after, stage times."""

    run_id: int | None
    program_path: Path
    before: dict
    after: dict
    program: object = field(default=None, repr=False)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)


def scenario_lookup(sets: ExampleSets, store=None) -> Callable:
    """`scenario_of(example)`: the scenario the example's metadata carries, else the store's by its id, else None."""
    from practicum.scenarios.model import Scenario

    found: dict[str, object] = {}

    def scenario_of(example):
        situation = example.situation
        if situation not in found:
            data, scenario_id = sets.scenarios.get(situation), sets.scenario_ids.get(situation)
            if data is not None:
                found[situation] = Scenario.model_validate(data)
            elif store is not None and scenario_id and store.has_scenario(scenario_id):
                found[situation] = store.get_scenario(scenario_id)  # an export written before scenario metadata
            else:
                found[situation] = None
        return found[situation]

    return scenario_of


def make_objective(role: str, sets: ExampleSets, store=None, classifier="auto", metric: str = "moves"):
    """The role's objective; scenario facts (answer, worked solution) come from the examples' metadata.

    A teacher objective needs every example's scenario (without its answer it could not zero a
    reply that states it): an export without scenario metadata is refused unless `store` holds
    its scenarios.
    """
    from practicum.evaluation.compute import default_classifier
    from practicum.evaluation.move_context import ProblemFacts

    scenario_of = scenario_lookup(sets, store)
    if role == "teacher":
        missing = sorted({sets.scenario_ids.get(e.situation, "(no scenario id)")
                          for e in sets.train + sets.val + sets.report if scenario_of(e) is None})
        if missing:
            raise InputError(f"{len(missing)} scenario(s) of the examples are unknown ({', '.join(missing[:3])}): "
                             "the export carries no scenario metadata and the database does not hold them; "
                             "export again with `practicum export --format dspy`")
    if role == "teacher" and metric == "judge":
        from practicum.evaluation.judge_model import load_judge
        from practicum.tuning.dspy_tuner.judge_objective import JudgeObjective

        return JudgeObjective(load_judge("model"), scenario_of)
    if classifier == "auto":
        classifier = default_classifier(required=True)
    if role == "teacher":
        return TeacherObjective(classifier, lambda example: ProblemFacts.from_scenario(scenario_of(example)))
    return StudentObjective(classifier, lambda example: getattr(scenario_of(example), "answer", "") or "")


def evaluate_program(program, examples: list, backend, options: GenerationOptions, objective,
                     batch_size: int = 8, progress: Stage | None = None, label: str = "evaluating") -> dict:
    """Generate the program's reply to every example (batched, seeded) and summarise the objective."""
    from practicum.agents.dspy_bridge import PlainChatAdapter

    adapter = PlainChatAdapter(program.speaker)
    signature, demos = program.respond.signature, program.respond.demos
    judgements = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        messages = [adapter.format(signature, demos, {"situation": e.situation, "dialogue": e.dialogue})
                    for e in chunk]
        seeded = [options.model_copy(update={"seed": (options.seed or 0) + start + i}) for i in range(len(chunk))]
        completions = backend.complete_batch(messages, seeded)
        judgements += [objective.judge(e, reply_text(c.text)) for e, c in zip(chunk, completions)]
        if progress:
            progress(label, min(start + batch_size, len(examples)), len(examples))
    return summarize(judgements)


def summarize(judgements: list) -> dict:
    """Mean objective and the shares of moves, answer-stating and empty replies."""
    n = len(judgements)
    if not n:
        return {"n": 0}
    summary = {"n": n, "objective": sum(j.score for j in judgements) / n,
               "states_answer": sum(j.states_answer for j in judgements) / n,
               "empty": sum(j.empty for j in judgements) / n}
    moves = [j.move for j in judgements if j.move]
    if moves:
        for move in ("focus", "probing", "telling", "generic"):
            summary[f"move.{move}"] = moves.count(move) / n
        summary["guiding"] = summary["move.focus"] + summary["move.probing"]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def clean_demos(program) -> int:
    """Bootstrapped demos hold the raw completion; store the reply as the session would have kept it."""
    for _, predictor in program.named_predictors():
        for demo in predictor.demos:
            if demo.get("augmented") and "reply" in demo:
                demo["reply"] = reply_text(str(demo["reply"])) or demo["reply"]
    return sum(len(p.demos) for _, p in program.named_predictors())


def describe_changes(base, tuned) -> dict:
    """What the optimizer changed: demos added, instructions rewritten."""
    before, after = base.respond, tuned.respond
    return {"demos_before": len(before.demos), "demos_after": len(after.demos),
            "augmented_demos": sum(1 for d in after.demos if d.get("augmented")),
            "instructions_changed": before.signature.instructions != after.signature.instructions,
            "instructions": after.signature.instructions}


def program_dir(run_id: int | None) -> Path:
    """Where a run's program goes: $PRACTICUM_HOME/programs/<run id> (or a timestamp when unregistered)."""
    from practicum.config import practicum_home

    name = str(run_id) if run_id is not None else time.strftime("dspy-%Y%m%d-%H%M%S")
    return practicum_home() / "programs" / name


def tune_dspy(config: DspyTuneConfig, *, store=None, on_stage: Stage | None = None, backend=None,
              prompt_backend=None, classifier="auto") -> DspyTuneResult:
    """Optimize the role's module as the config says; save the program, record the run, return the numbers.

    `store` records the run in tuning_runs (required unless `config.register` is off) and resolves
    `program=` / `adapter=` run ids in the backend spec; `backend` / `prompt_backend` override the specs (tests
    pass scripted backends); `classifier` the move classifier ("auto": the packaged one).
    """
    from practicum.agents.dspy_bridge import dspy_lm
    from practicum.agents.speakers import SpeakerBuilder
    from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run

    logging.getLogger("dspy").setLevel(logging.ERROR)
    config.check()
    if store is None and config.register:
        raise InputError("register: recording the run in tuning_runs needs a store (pass store=, or register=False)")
    stage = on_stage or (lambda *args, **kwargs: None)
    times: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        times[name] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    stage("loading examples")
    sets = load_example_sets(config.data, config.val, config.role, val_fraction=config.val_fraction,
                             seed=config.seed, max_train=config.max_train, max_val=config.max_val)
    stage("loading the move classifier")
    objective = make_objective(config.role, sets, store, classifier, metric=config.metric)
    # The role's spec (a backend, maybe a compiled program to start from) is parsed once, run ids in `store`.
    speakers = SpeakerBuilder(store)
    backend = backend or speakers.backend(config.backend)
    prompt_spec = config.prompt_backend or config.backend
    prompt_backend = prompt_backend or (backend if prompt_spec == config.backend else speakers.backend(prompt_spec))
    options = GenerationOptions(max_tokens=config.max_tokens, temperature=config.temperature, seed=config.seed)
    task_lm = dspy_lm(backend, options)
    prompt_lm = dspy_lm(prompt_backend, GenerationOptions(max_tokens=250, temperature=0.7, seed=config.seed))
    base = speakers.role(config.role, config.backend)
    lap("prepare")

    run_id = None
    if store is not None and config.register:
        run_id = create_tuning_run(
            store, tuner=TUNER, config=config.to_dict(), data_hash=sets.data_hash, role=config.role,
            base_model=config.backend, dataset_path=str(Path(config.data).expanduser().resolve()), status="running",
            details={"optimizer": config.optimizer, "train_examples": len(sets.train), "val_examples": len(sets.val),
                     "val_source": sets.val_source, "train_moves": sets.moves},
        )
    try:
        stage("objective of the base program", 0, len(sets.report))
        before = evaluate_program(base, sets.report, backend, options, objective, config.batch_size, stage,
                                  "objective of the base program")
        lap("evaluate_before")
        stage(f"compiling with {config.optimizer}")
        compiled = _compile(base, sets, objective, config, task_lm, prompt_lm)
        clean_demos(compiled)
        lap("compile")
        stage("objective of the tuned program", 0, len(sets.report))
        after = evaluate_program(compiled, sets.report, backend, options, objective, config.batch_size, stage,
                                 "objective of the tuned program")
        lap("evaluate_after")
        stage("saving the program")
        path = Path(config.output).expanduser() if config.output else program_dir(run_id) / "program.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        compiled.save(str(path))
        lap("save")
    except BaseException as exc:
        if run_id is not None:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            update_tuning_run(store, run_id, status="failed", error=reason[:500], details={"stage_seconds": times})
        raise
    changes = describe_changes(base, compiled)
    if run_id is not None:
        update_tuning_run(store, run_id, status="succeeded", artifact_path=str(path), metrics_before=before,
                          metrics_after=after, details={"stage_seconds": times, **changes})
    examples = {"train": len(sets.train), "val": len(sets.val), "report": len(sets.report), "val_source": sets.val_source,
                "train_moves": sets.moves}
    return DspyTuneResult(run_id, path, before, after, compiled, times, changes, examples)


def _compile(base, sets: ExampleSets, objective, config: DspyTuneConfig, task_lm, prompt_lm):
    from practicum.tuning.dspy_tuner.optimizers import run_optimizer

    try:
        # DSPy prints its progress to stdout; it belongs with the other progress on stderr (stdout may be JSON).
        with contextlib.redirect_stdout(sys.stderr):
            return run_optimizer(base, sets.train, sets.val, objective, config, task_lm, prompt_lm)
    except PracticumError:
        raise
    except (AssertionError, ValueError) as exc:
        # DSPy reports bad settings (too few examples for a budget, ...) this way.
        raise PracticumError(f"{config.optimizer} could not run: {exc}") from exc


def speaker_name(role: str) -> str:
    """The flag that loads a program for this role."""
    return "--student" if role == STUDENT else "--teacher"


class DspyTuner:
    """The DSPy tuner behind the `Tuner` protocol: a `dspy` export in, a compiled-program artifact out."""

    name = TUNER
    data_formats = ("dspy",)

    def __init__(self, store, *, on_stage: Stage | None = None, console=None, backend=None, prompt_backend=None,
                 classifier="auto"):
        """`store` records runs; `on_stage` receives progress; the rest override what `tune_dspy` builds."""
        self.store = store
        self.on_stage = on_stage
        self.overrides = {"backend": backend, "prompt_backend": prompt_backend, "classifier": classifier}
        self.data: TrainingSet | None = None

    def prepare(self, data: TrainingSet) -> TrainingSet:
        """Check that the files are `dspy` exports (of one role) before anything loads."""
        from practicum.tuning.dspy_tuner.data import export_role

        check_format(self, data)
        roles = {export_role(data.train)} | ({export_role(data.validation)} if data.validation else set())
        if len(roles - {""}) > 1:
            raise InputError(f"{data.train}: the training and validation files were exported for different roles")
        self.data = data.hashed()
        return self.data

    def run(self, config: DspyTuneConfig) -> TunedArtifact:
        """Compile the role's program on the prepared files (or `config.data`); return the program artifact."""
        from dataclasses import replace

        if self.data is not None:
            config = replace(config, data=str(self.data.train),
                             val=str(self.data.validation) if self.data.validation else config.val)
        result = tune_dspy(config, store=self.store, on_stage=self.on_stage, **self.overrides)
        return dspy_artifact(result, config)


def dspy_artifact(result: DspyTuneResult, config: DspyTuneConfig) -> TunedArtifact:
    """The artifact of a finished `tune_dspy` run: `program=<run id>` (the file when not recorded)."""
    ref = result.run_id if result.run_id is not None else result.program_path
    manifest = {"tuner": TUNER, "run_id": result.run_id, "role": config.role, "optimizer": config.optimizer,
                "backend": config.backend, "program": str(result.program_path), "config": config.to_dict(),
                "examples": result.examples, "before": result.before, "after": result.after,
                "changes": result.changes, "stage_seconds": result.stage_seconds}
    summary = {"objective_before": result.before.get("objective"), "objective_after": result.after.get("objective"),
               "validation_examples": result.before.get("n"), **result.changes, "stage_seconds": result.stage_seconds}
    return TunedArtifact(tuner=TUNER, role=config.role, run_id=result.run_id, fragment=f"program={ref}",
                         path=result.program_path, manifest=manifest, metrics_before=result.before,
                         metrics_after=result.after, summary=summary)

"""What `practicum loop` runs (LoopConfig) and the hooks it reports through (LoopUI): light, no ML imports.

The CLI builds its options and its progress display from these; `tuning.loop.run_loop` runs them.
`LoopConfig.tuner_config(name)` turns the loop's options into the settings of one tuner, so the
loop itself only speaks the `Tuner` protocol (practicum.tuning.tuner).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError

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
    judge: str = field(default="model", metadata={"help": "'model' (the packaged MRBench-trained judge) or a judge .npz; "
                                                          "an LLM spec: local (yes/no probabilities, 'choice_judge'), "
                                                          "another spec (the JSON MRBench judge); or 'none'."})
    judge_turns: int = field(default=2, metadata={"help": "Teacher turns judged per session."})
    concurrency: int = field(default=10, metadata={"help": "Sessions generated together (the local batch size)."})
    best_of: int = field(default=0, metadata={"help": "Collect: candidates per teacher turn, ranked by the judge "
                                                      "(0: no collection run)."})
    collect: int = field(default=0, metadata={"help": "Collect: training problems (outside the held-out set) the base "
                                                      "teacher is simulated on with best_of, for SFT rows and DPO pairs."})
    objective: str = field(default="sft", metadata={"help": "LoRA: sft (MathDial good teaching, plus the judge-kept "
                                                            "turns when collecting) or dpo (the collected pairs)."})
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
        if not 0 <= self.best_of <= 16 or self.best_of == 1:
            raise InputError("best_of: 0 (no collection) or 2 to 16 candidates per teacher turn")
        if self.collect < 0:
            raise InputError("collect: must be 0 or more")
        if bool(self.collect) != bool(self.best_of):
            raise InputError("best_of and collect go together: --best-of N --collect K")
        if self.objective not in ("sft", "dpo"):
            raise InputError(f"objective: {self.objective!r} is not sft or dpo")
        if self.objective == "dpo" and not self.collect:
            raise InputError("objective: dpo trains on collected pairs; add --best-of N --collect K")
        if not self.move_list():
            raise InputError("moves: name at least one of focus, probing, telling, generic")
        return self

    def move_list(self) -> tuple[str, ...]:
        """The move labels to learn."""
        return tuple(m.strip() for m in self.moves.split(",") if m.strip())

    def tuners(self) -> list[str]:
        """The tuners to run, in order."""
        return ["lora", "dspy"] if self.tuner == "both" else [self.tuner]

    def tuner_config(self, name: str, progress: bool = False):
        """The settings of tuner `name` for this loop: the teacher, with the loop's seed and budget."""
        if name == "lora":
            from practicum.agents.speakers import parse_agent_spec
            from practicum.tuning.lora.config import LoraTrainConfig

            base = parse_agent_spec(self.teacher).backend
            if base is None or base.kind != "local":
                raise InputError(f"the LoRA tuner trains a local model; --teacher is {self.teacher}")
            return LoraTrainConfig(role="teacher", base=base.options.get("model"), max_steps=self.steps,
                                   seed=self.seed, max_length=self.max_length, progress=progress)
        if name == "dspy":
            from practicum.tuning.dspy_tuner.config import DspyTuneConfig

            return DspyTuneConfig(role="teacher", optimizer=self.optimizer, backend=self.teacher,
                                  max_train=self.max_train, seed=self.seed)
        raise InputError(f"tuner: the loop runs {', '.join(TUNERS)}, not {name!r}")


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

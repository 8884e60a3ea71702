"""The settings of one DSPy tuning run: a dataclass whose every field carries its help text.

`practicum tune dspy` builds its options from these fields and the tuning loop fills the same
dataclass, so the command line and the library cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from practicum.errors import InputError

OPTIMIZERS = ("bootstrap", "mipro", "gepa")
ROLES = ("teacher", "student")
AUTO_CHOICES = ("none", "light", "medium", "heavy")


def _opt(default, help: str, **extra):
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class DspyTuneConfig:
    """Everything a DSPy run needs; the defaults are sized for the embedded model on a CPU."""

    data: str = _opt("", "A `dspy` export (practicum export --format dspy): training examples for the role.")
    val: str | None = _opt(None, "Validation examples (a `dspy` export); default: NAME.val.json beside --data "
                                 "if it exists, else --val-fraction of the problems split off.")
    role: str = _opt("teacher", "The role whose module is optimized.", choices=ROLES)
    optimizer: str = _opt("bootstrap", "bootstrap (BootstrapFewShot: demos), mipro (MIPROv2: instructions and "
                                       "demos), gepa (GEPA: instructions by reflection on feedback).",
                          choices=OPTIMIZERS)
    backend: str = _opt("local", "Backend spec the role runs on while tuning (the task model).")
    prompt_backend: str | None = _opt(None, "Backend spec that writes instructions for mipro and reflects for "
                                            "gepa (default: --backend).")
    val_fraction: float = _opt(0.2, "Share of problems held out when there is no validation file.",
                               min=0.0, max=1.0, max_open=True)
    max_train: int = _opt(40, "Use at most this many training examples (sampled with --seed; 0: all).", min=0)
    max_val: int = _opt(16, "Use at most this many validation examples (0: all), split by problem in two: "
                            "mipro and gepa select on one half, the before/after objective is measured on the other.",
                        min=0)
    metric: str = _opt("judge", "Teacher objective: judge (the packaged MRBench-trained judge's mean expected score, "
                                "0 for a reply that states the answer) or moves (the move classifier's guiding "
                                "credit). The student has its own fidelity objective.", choices=("judge", "moves"))
    max_demos: int = _opt(3, "Bootstrapped demos per program (replies of the model that scored at least "
                             "--threshold).", min=0)
    max_labeled: int = _opt(5, "Demos in all (dspy's max_labeled_demos): the bootstrapped ones first, then "
                                "examples taken as they are from the data fill up to this.", min=0)
    threshold: float = _opt(0.5, "A bootstrapped reply becomes a demo when its objective is at least this.",
                            min=0.0, max=1.0)
    auto: str = _opt("none", "mipro/gepa budget preset (light, medium, heavy); none: use --candidates/--trials "
                             "(mipro) or --budget (gepa).", choices=AUTO_CHOICES)
    candidates: int = _opt(3, "mipro: instruction and demo-set candidates.", min=1)
    trials: int = _opt(4, "mipro: Bayesian-optimization trials (each evaluates the validation set).", min=1)
    budget: int = _opt(60, "gepa: metric calls in all (the reflection loop stops when they are spent).", min=1)
    temperature: float = _opt(0.3, "Sampling temperature of the task model (the sessions' default).", min=0.0,
                              max=2.0)
    max_tokens: int = _opt(60, "Longest reply of the task model, in tokens.", min=1, max=4096)
    batch_size: int = _opt(8, "Validation replies generated together (one forward pass on the local model).",
                           min=1)
    seed: int = _opt(0, "Seed for sampling the examples, the split, the optimizers and the replies.")
    output: str | None = _opt(None, "Program file to write (default: $PRACTICUM_HOME/programs/<run id>/program.json).")
    register: bool = _opt(True, "Record the run in the tuning_runs table.")

    def check(self) -> "DspyTuneConfig":
        """Raise InputError naming the first field whose value is out of range; return self."""
        for f in fields(self):
            value = getattr(self, f.name)
            choices = f.metadata.get("choices")
            if choices and value not in choices:
                raise InputError(f"{f.name}: {value!r} is not one of {', '.join(choices)}")
            low, high = f.metadata.get("min"), f.metadata.get("max")
            if low is not None and value < low:
                raise InputError(f"{f.name}: {value} is below {low}")
            if high is not None and (value >= high if f.metadata.get("max_open") else value > high):
                raise InputError(f"{f.name}: {value} is {'not below' if f.metadata.get('max_open') else 'above'} {high}")
        if not self.data:
            raise InputError("data: name a `dspy` export (practicum export --format dspy --out FILE)")
        if self.optimizer == "bootstrap" and not (self.max_demos or self.max_labeled):
            raise InputError("bootstrap needs --max-demos or --max-labeled above 0")
        return self

    def to_dict(self) -> dict:
        """The settings as a plain dict (stored in tuning_runs)."""
        return asdict(self)

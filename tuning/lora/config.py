"""The settings of one LoRA run: a dataclass whose every field carries its help text.

The CLI builds its options from these fields, and Python callers (the tuning loop) fill the same
dataclass, so the command line and the library can never drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from practicum.errors import InputError

QUANTIZE_CHOICES = ("none", "8bit", "4bit")
OBJECTIVE_CHOICES = ("auto", "sft", "dpo")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
DTYPE_CHOICES = ("auto", "float32", "bfloat16", "float16")
ROLE_CHOICES = ("teacher", "student")

# Settings that only say how to run, not what to train: a resumed run may change them.
RUNTIME_FIELDS = {"resume", "progress", "register", "device", "threads", "data", "val", "gradient_checkpointing",
                  "row_by_row"}


def _opt(default, help: str, **extra):
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class LoraTrainConfig:
    """Everything a LoRA run needs; defaults reproduce the measured CPU recipe on the embedded model."""

    data: str = _opt("", "Training file: hf-sft JSONL ({messages} or {prompt, completion}) or hf-dpo "
                         "({prompt, chosen, rejected}); the assistant messages are what is learned.")
    val: str | None = _opt(None, "Validation file of the same format (default: NAME.val.EXT beside --data if it "
                                 "exists, else --val-fraction of the conversations split off).")
    val_fraction: float = _opt(0.1, "Share of conversations held out for validation when there is no validation "
                                    "file (0: no validation, no early stopping).",
                                min=0.0, max=1.0, max_open=True)
    role: str = _opt("teacher", "Role the adapter plays (recorded with the run; the exported assistant turns "
                                "are that role's).", choices=ROLE_CHOICES)
    base: str | None = _opt(None, "Base model: a local transformers model directory (default: the embedded "
                                  "SmolLM2-135M-Instruct checkpoint).")
    objective: str = _opt("auto", "Training objective: sft (cross-entropy on assistant turns), dpo (preference "
                                  "pairs), or auto (from the file's columns).", choices=OBJECTIVE_CHOICES)
    epochs: int = _opt(3, "Passes over the training data (max_steps wins when set).", min=1)
    max_steps: int = _opt(0, "Stop after this many optimizer steps (0: run all epochs).", min=0)
    schedule_steps: int = _opt(0, "Length of the learning-rate schedule in steps (0: the run's own length); a run "
                                  "may stop before its schedule ends, as a checkpoint of a longer run does.", min=0)
    lr: float = _opt(2e-4, "Peak learning rate (linear warmup, then linear decay to 0).", min=0.0)
    warmup_steps: int = _opt(0, "Optimizer steps of linear learning-rate warmup.", min=0)
    weight_decay: float = _opt(0.0, "AdamW weight decay on the adapter weights.", min=0.0)
    max_grad_norm: float = _opt(1.0, "Clip the gradient norm to this (0: no clipping).", min=0.0)
    r: int = _opt(8, "LoRA rank.", min=1)
    alpha: int = _opt(16, "LoRA alpha (the update is scaled by alpha/r).", min=1)
    dropout: float = _opt(0.05, "Dropout on the LoRA input.", min=0.0)
    target_modules: str = _opt("q_proj,k_proj,v_proj,o_proj",
                               "Comma-separated module names to adapt, or 'all-linear'.")
    batch_size: int = _opt(4, "Sequences per forward pass.", min=1)
    grad_accum: int = _opt(1, "Forward passes per optimizer step (effective batch = batch_size * grad_accum).", min=1)
    max_length: int = _opt(1024, "Longest sequence in tokens: a longer conversation loses its oldest turns (the "
                                 "system prompt stays), then is cut at the end, and dropped if nothing learned is "
                                 "left.", min=8)
    dpo_beta: float = _opt(0.1, "DPO temperature beta (how far the policy may move from the base).", min=0.0)
    patience: int = _opt(2, "Early stopping: stop after this many validations without improvement (0: never).",
                         min=0)
    min_delta: float = _opt(0.0, "Early stopping: an improvement smaller than this does not count.", min=0.0)
    eval_every: int = _opt(0, "Also validate every N optimizer steps (0: once per epoch).", min=0)
    save_every: int = _opt(0, "Also checkpoint every N optimizer steps (0: once per epoch).", min=0)
    keep_checkpoints: int = _opt(2, "Checkpoints kept on disk (older ones are deleted; 0 keeps all).", min=0)
    load_best: bool = _opt(True, "Save the adapter with the best validation loss, not the last one.")
    seed: int = _opt(0, "Seed for the adapter's initialisation, the data order, dropout and the split.")
    quantize: str = _opt("none", "Load the base in 8-bit or 4-bit NF4 with bitsandbytes (QLoRA); an error, "
                                 "never a silent fallback, when bitsandbytes cannot.", choices=QUANTIZE_CHOICES)
    device: str = _opt("auto", "Where to train: cuda when available, else cpu.", choices=DEVICE_CHOICES)
    threads: int = _opt(0, "CPU threads for torch (0: the idle cores, from the core count and the load average; "
                           "PRACTICUM_THREADS overrides). Oversubscribed threads on a busy machine are several "
                           "times slower than one.", min=0)
    row_by_row: bool = _opt(True, "Run the sequences of a batch through the model one at a time (gradients summed, "
                                  "so the step is the same): no padding is computed and only one sequence's "
                                  "activations are held at once.")
    gradient_checkpointing: bool = _opt(False, "Recompute each layer's activations in the backward pass instead "
                                               "of keeping them: less memory, about a third more compute.")
    dtype: str = _opt("auto", "Weight dtype of the base (LoRA weights stay float32): auto is bfloat16 on CUDA when "
                              "supported and on CPUs with AMX or AVX512-BF16, float32 elsewhere.",
                      choices=DTYPE_CHOICES)
    output: str | None = _opt(None, "Directory for the adapter (default: $PRACTICUM_HOME/adapters/<run id>).")
    resume: str | None = _opt(None, "Continue from a checkpoint directory (or a run directory: its latest "
                                    "checkpoint); the run keeps its saved settings.")
    register: bool = _opt(True, "Record the run in the tuning_runs table.")
    progress: bool = _opt(True, "Show a progress bar with loss and ETA.")

    def check(self) -> "LoraTrainConfig":
        """Raise InputError naming the first field whose value is out of range; return self."""
        for f in fields(self):
            value = getattr(self, f.name)
            choices = f.metadata.get("choices")
            if choices and value not in choices:
                raise InputError(f"{f.name}: {value!r} is not one of {', '.join(choices)}")
            low = f.metadata.get("min")
            if low is not None and value < low:
                raise InputError(f"{f.name}: {value} is below {low}")
        if not 0 <= self.val_fraction < 1:
            raise InputError(f"val_fraction: {self.val_fraction} must be in [0, 1)")
        if not self.data and not self.resume:
            raise InputError("data: name a training file (hf-sft or hf-dpo JSONL)")
        if not [m for m in self.target_modules.split(",") if m.strip()]:
            raise InputError("target_modules: name at least one module, or 'all-linear'")
        return self

    def to_dict(self) -> dict:
        """The settings as a plain dict (stored in the manifest, the checkpoint and tuning_runs)."""
        return asdict(self)

    def targets(self) -> str | list[str]:
        """The target_modules value peft expects."""
        names = [m.strip() for m in self.target_modules.split(",") if m.strip()]
        return "all-linear" if names == ["all-linear"] else names


def resumed_config(saved: dict, given: LoraTrainConfig) -> LoraTrainConfig:
    """The saved settings of a checkpoint, with the caller's runtime settings; a changed training setting is an error."""
    defaults = LoraTrainConfig()
    known = {f.name for f in fields(LoraTrainConfig)}
    merged = LoraTrainConfig(**{k: v for k, v in saved.items() if k in known})
    for f in fields(LoraTrainConfig):
        mine = getattr(given, f.name)
        if f.name in RUNTIME_FIELDS:
            if mine != getattr(defaults, f.name):
                setattr(merged, f.name, mine)
            continue
        if mine != getattr(defaults, f.name) and mine != getattr(merged, f.name):
            raise InputError(
                f"a resumed run keeps its settings: {f.name} is {getattr(merged, f.name)!r} in the checkpoint, "
                f"{mine!r} was given"
            )
    merged.resume = given.resume
    return merged

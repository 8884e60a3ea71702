"""The Tuner seam: every tuner prepares its data, runs, and hands back a TunedArtifact.

    tuner.prepare(TrainingSet(fmt, train, validation)) -> TrainingSet   (checked, hashed)
    tuner.run(config)                                   -> TunedArtifact

A `TunedArtifact` names what the next session needs to use the result: a spec fragment
(`adapter=<run id>` for a LoRA adapter, `program=<run id>` for a compiled DSPy program, a whole
`openai:ft:...` spec for an OpenAI model), the `tuning_runs` row that records the run, the
artifact's path and its manifest. `artifact.backend_spec(base)` turns the fragment into the
`--teacher`/`--student` spec. An OpenAI job's artifact is `pending` until the job succeeds;
LoRA and DSPy runs finish inside `run`. The LoRA, DSPy and OpenAI tuners live beside this
module (`tuning/lora/tuner.py`, `tuning/dspy_tuner/tuner.py`, `tuning/openai_ft/tuner.py`);
`tuner_for(name, ...)` builds one by name. This module imports nothing heavy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

from practicum.errors import InputError

SUCCEEDED = "succeeded"
PENDING = "pending"
FAILED = "failed"

Stage = Callable[..., None]  # on_stage(name, done=None, total=None)


@dataclass(frozen=True)
class TrainingSet:
    """The files a tuner trains on: one export format, a training file, an optional validation file."""

    fmt: str
    train: Path
    validation: Path | None = None
    data_hash: str = ""  # SHA-256 over the files' bytes, set by `prepare`

    def hashed(self) -> "TrainingSet":
        """The same set with its data hash computed from the files."""
        digest = hashlib.sha256()
        for path in (self.train, self.validation):
            if path is not None:
                digest.update(Path(path).read_bytes())
        return replace(self, data_hash=digest.hexdigest())


@dataclass
class TunedArtifact:
    """What a tuning run produced, named the way a backend spec uses it."""

    tuner: str  # the tuning_runs.tuner value: lora, dspy, openai
    role: str  # teacher or student
    run_id: int | None  # the tuning_runs row (None when the run was not recorded)
    fragment: str  # `adapter=7`, `program=7`, or a whole spec `openai:ft:...`; '' while pending
    path: Path | None = None  # adapter directory, program file; None for a hosted model
    manifest: dict = field(default_factory=dict)  # what the run wrote about itself
    status: str = SUCCEEDED  # succeeded, pending (an OpenAI job still running), failed
    metrics_before: dict = field(default_factory=dict)
    metrics_after: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)  # the tuner's own headline numbers (loss, objective)

    @property
    def ready(self) -> bool:
        """True when a session can use the artifact now."""
        return self.status == SUCCEEDED and bool(self.fragment)

    @property
    def replaces_backend(self) -> bool:
        """True when the fragment is a whole backend spec (a hosted model), not an option on a base spec."""
        return ":" in self.fragment.partition("=")[0]

    def backend_spec(self, base: str = "local") -> str:
        """The spec that runs the tuned role: `base` with the fragment added, or the fragment itself."""
        if not self.ready:
            reason = f": {self.manifest.get('error')}" if self.manifest.get("error") else ""
            raise InputError(f"{self.tuner} tuning run {self.run_id} has no usable artifact yet "
                             f"(status {self.status}{reason})")
        if self.replaces_backend:
            return self.fragment
        key, _, value = self.fragment.partition("=")
        return with_option(base, key, value)


@runtime_checkable
class Tuner(Protocol):
    """Prepare a training set, then run with a config; every run is a `tuning_runs` row."""

    name: str  # the tuning_runs.tuner value
    data_formats: tuple[str, ...]  # export formats prepare() accepts, the preferred one first

    def prepare(self, data: TrainingSet) -> TrainingSet:
        """Check the files before anything runs (InputError naming the file) and return them hashed."""
        ...

    def run(self, config: Any) -> TunedArtifact:
        """Tune on the prepared set with the tuner's own config dataclass; record the run; return the artifact."""
        ...


def with_option(spec: str, key: str, value) -> str:
    """`local` + program=5 -> `local:program=5`; `local:model=X` -> `local:model=X,program=5`."""
    kind, sep, rest = spec.partition(":")
    return f"{spec},{key}={value}" if sep and rest else f"{kind}:{key}={value}"


def check_format(tuner: Tuner, data: TrainingSet) -> None:
    """InputError when `data` is in a format the tuner does not read."""
    if data.fmt not in tuner.data_formats:
        raise InputError(f"{data.train}: the {tuner.name} tuner reads {', '.join(tuner.data_formats)}, "
                         f"not {data.fmt}")


TUNER_CLASSES = {
    "lora": "practicum.tuning.lora.tuner:LoraTuner",
    "dspy": "practicum.tuning.dspy_tuner.tuner:DspyTuner",
    "openai": "practicum.tuning.openai_ft.tuner:OpenAITuner",
}


def tuner_for(name: str, store, **hooks) -> Tuner:
    """Build the tuner called `name` over `store`; `hooks` are its progress callbacks (on_stage, console)."""
    import importlib

    if name not in TUNER_CLASSES:
        raise InputError(f"unknown tuner {name!r} (choose from {', '.join(TUNER_CLASSES)})")
    module, _, attribute = TUNER_CLASSES[name].partition(":")
    return getattr(importlib.import_module(module), attribute)(store, **hooks)

"""What a fine-tuning job will be, checked before anything is uploaded: files, method, options, cost.

Uploading a file the service will reject costs a round trip and, on OpenAI, a failed job; so
the export is run through the datasets validator first (the same checks as `practicum
validate`) and refused with its first problems named by line. The cost estimate is the
validator's, from the one price table in `tuning.datasets.prices`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.datasets import prices
from practicum.tuning.datasets.validation import ValidationReport, detect_training_format, validate_file

METHODS = {"openai-sft": "supervised", "openai-dpo": "dpo"}
SHOWN_PROBLEMS = 3


@dataclass
class JobRequest:
    """Everything `start` was asked for; unset hyperparameters are left to the service ('auto')."""

    training_path: Path
    validation_path: Path | None = None
    fmt: str = "auto"
    model: str = prices.DEFAULT_MODEL
    suffix: str | None = None
    seed: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate_multiplier: float | None = None
    beta: float | None = None
    price: float | None = None
    role: str = "teacher"

    def hyperparameters(self) -> dict:
        """The hyperparameters to send; omitted ones mean 'auto'."""
        given = {"n_epochs": self.epochs, "batch_size": self.batch_size,
                 "learning_rate_multiplier": self.learning_rate_multiplier, "beta": self.beta}
        return {k: v for k, v in given.items() if v is not None}


@dataclass
class JobPlan:
    """A checked request: its method, validation reports, data hash and estimated cost."""

    request: JobRequest
    fmt: str
    method: str
    training: ValidationReport
    validation: ValidationReport | None
    data_hash: str
    cost: dict | None = None
    cost_note: str = ""
    warnings: list[str] = field(default_factory=list)

    def config(self) -> dict:
        """The run's config as stored in `tuning_runs` (paths, model, method, options; never a key)."""
        r = self.request
        return {
            "model": r.model, "method": self.method, "format": self.fmt, "suffix": r.suffix, "seed": r.seed,
            "hyperparameters": r.hyperparameters(), "training_file": str(r.training_path),
            "validation_file": str(r.validation_path) if r.validation_path else None,
        }


def plan_job(request: JobRequest) -> JobPlan:
    """Validate the files for the request's method and estimate the cost; InputError when a file is invalid."""
    fmt = detect_training_format(request.training_path) if request.fmt == "auto" else request.fmt
    if fmt not in METHODS:
        raise InputError(f"{request.training_path}: a {fmt} file cannot be tuned on OpenAI; "
                         "export with --format openai-sft or openai-dpo")
    method = METHODS[fmt]
    if request.beta is not None and method != "dpo":
        raise InputError("--beta applies to DPO jobs only (an openai-dpo file)")
    price, cost_note = request.price, ""
    if price is None:
        try:
            prices.find_model(request.model)
        except InputError:
            price = 0.0  # still count tokens; the estimate itself is withheld below
            cost_note = f"no price known for {request.model}; pass --price USD_PER_MILLION_TOKENS for an estimate"
    training = _checked(request.training_path, fmt, request, price)
    validation = None
    if request.validation_path is not None:
        validation = _checked(request.validation_path, fmt, request, price, purpose="validation")
    return JobPlan(
        request=request, fmt=fmt, method=method, training=training, validation=validation,
        data_hash=_data_hash(request.training_path, request.validation_path),
        cost=None if cost_note else training.cost, cost_note=cost_note,
        warnings=[f"{p.at}: {p.message}" for p in training.warnings[:SHOWN_PROBLEMS]],
    )


def _checked(path: Path, fmt: str, request: JobRequest, price: float | None, purpose: str = "training"):
    report = validate_file(path, fmt, model=request.model, epochs=request.epochs, price=price, purpose=purpose)
    errors = report.errors
    if errors:
        shown = "; ".join(f"{p.at}: {p.kind}: {p.message}" for p in errors[:SHOWN_PROBLEMS])
        more = f" (and {len(errors) - SHOWN_PROBLEMS} more)" if len(errors) > SHOWN_PROBLEMS else ""
        raise InputError(f"{path} is not a valid {fmt} file, not uploaded: {shown}{more}; "
                         f"see `practicum validate {path} --format {fmt}`")
    return report


def _data_hash(*paths: Path | None) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path is not None:
            digest.update(Path(path).read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()

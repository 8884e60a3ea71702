"""Check a training file before a tuner sees it: one report of problems by line, counts and stats.

`validate_file` reads the file, hands each record to the checker of its format
(`validate_openai` for OpenAI chat SFT and DPO files, `validate_hf` for TRL and DSPy files)
and gathers the problems. Errors make the file unusable (the CLI exits non-zero); warnings are
worth a look but do not block. Error names for OpenAI chat files are the OpenAI cookbook's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError

FORMATS = ("openai-sft", "openai-dpo", "hf-sft", "hf-dpo", "hf-kto", "dspy")


@dataclass
class Problem:
    """One thing wrong with a file: where, its class (e.g. `missing_content`), and a sentence."""

    at: str  # "line 3", "examples[2]" or "file"
    kind: str
    message: str


@dataclass
class ValidationReport:
    """Everything `practicum validate` prints: problems, counts, token statistics and cost."""

    path: str
    format: str
    n_examples: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    tokens: dict = field(default_factory=dict)
    cost: dict | None = None

    @property
    def ok(self) -> bool:
        """True when nothing blocks training on this file."""
        return not self.errors

    def error(self, at: str, kind: str, message: str) -> None:
        """Record an error."""
        self.errors.append(Problem(at, kind, message))

    def warn(self, at: str, kind: str, message: str) -> None:
        """Record a warning."""
        self.warnings.append(Problem(at, kind, message))

    def error_counts(self) -> dict[str, int]:
        """How many errors of each class, as the cookbook prints them."""
        return dict(Counter(p.kind for p in self.errors))

    def as_dict(self) -> dict:
        """The report as plain data, for --json."""
        return {
            "path": self.path, "format": self.format, "ok": self.ok, "examples": self.n_examples,
            "error_counts": self.error_counts(),
            "errors": [p.__dict__ for p in self.errors], "warnings": [p.__dict__ for p in self.warnings],
            "tokens": self.tokens, "cost": self.cost,
        }


def read_jsonl(path: Path, report: ValidationReport) -> list[tuple[str, object]]:
    """The file's records as (location, value); unparseable lines become `invalid_json` errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    records = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((f"line {line_no}", json.loads(line)))
        except json.JSONDecodeError as exc:
            report.error(f"line {line_no}", "invalid_json", f"not valid JSON at column {exc.colno}: {exc.msg}")
    return records


def validate_file(
    path: str | Path, fmt: str, *, model: str | None = None, epochs: int | None = None, price: float | None = None,
    purpose: str = "training",
) -> ValidationReport:
    """Validate one file of format `fmt`; token counts and cost apply to OpenAI formats.

    `purpose` is "training" or "validation" (a job's validation file: no size minimum, no cost).
    """
    from practicum.tuning.datasets import validate_hf, validate_openai

    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    if purpose not in ("training", "validation"):
        raise InputError(f"purpose must be 'training' or 'validation', got '{purpose}'")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    report = ValidationReport(path=str(path), format=fmt)
    if fmt == "dspy":
        validate_hf.check_dspy_file(path, report)
        return report
    records = read_jsonl(path, report)
    report.n_examples = len(records)
    if fmt in ("openai-sft", "openai-dpo"):
        validate_openai.check_records(records, fmt, report, model=model, epochs=epochs, price=price, purpose=purpose)
    else:
        validate_hf.check_records(records, fmt, report)
    return report


def guess_purpose(path: str | Path) -> str:
    """'validation' for an export's validation file (NAME.val.EXT, as `practicum export` writes it), else 'training'."""
    return "validation" if ".val." in Path(path).name else "training"


def detect_training_format(path: str | Path) -> str:
    """Guess a training file's format from its first record; InputError when it fits none."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(1 << 16)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    if head.lstrip().startswith("{") and '"practicum.dspy-examples"' in head:
        return "dspy"
    for line in head.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            keys = set(record)
            if "messages" in keys and "prompt" not in keys:
                return "openai-sft"
            if {"preferred_output", "non_preferred_output"} & keys or "input" in keys:
                return "openai-dpo"
            if {"chosen", "rejected"} & keys:
                return "hf-dpo"
            if "label" in keys:
                return "hf-kto"
            if {"prompt", "completion"} & keys:
                return "hf-sft"
        break
    raise InputError(f"{path}: cannot tell the format from the first record; pass --format ({', '.join(FORMATS)})")

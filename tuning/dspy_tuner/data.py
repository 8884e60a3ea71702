"""Training and validation examples for the DSPy tuner, read from a `dspy` export.

The export (`practicum export --format dspy`) holds one example per turn of the trained role,
with the inputs exactly as the running role builds them. Validation comes from the export's
own validation file (NAME.val.json beside it) or `--val`; without one the examples are split
here by problem, like every split in practicum, so no problem is on both sides. Each example's
`meta` (session, move and the scenario as data, see datasets/example_meta) gives the objective
the scenario's facts (answer, worked solution) and the split its problem, then is dropped: demos
saved in a program carry only the signature's fields. Nothing is read back out of the prompt.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from practicum.errors import InputError
from practicum.tuning.datasets.export_dspy import FORMAT_NAME, INPUT_KEYS, OUTPUT_KEY, load_dspy_examples
from practicum.tuning.datasets.splitting import problem_key, validation_groups


@dataclass
class ExampleSets:
    """Train and validation examples, where validation came from, and what each situation's scenario is."""

    train: list
    val: list
    val_source: str
    data_hash: str
    scenario_ids: dict[str, str] = field(default_factory=dict)  # situation text -> scenario id (from meta)
    scenarios: dict[str, dict] = field(default_factory=dict)  # situation text -> scenario fields (meta.scenario)
    moves: dict[str, int] = field(default_factory=dict)  # move label -> count of training examples
    report: list = field(default_factory=list)  # validation problems the optimizer never sees: before/after on them


def export_role(path: str | Path) -> str:
    """The role a `dspy` export was written for; InputError when the file is not one."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read DSPy examples: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a practicum DSPy export (write one with: practicum export --format dspy)")
    return str(document.get("role", ""))


def validation_file(train_path: str | Path) -> Path | None:
    """The export's validation file beside `train_path` (NAME.val.EXT), when it exists."""
    path = Path(train_path)
    sibling = path.with_name(f"{path.stem}.val{path.suffix or '.json'}")
    return sibling if sibling.exists() else None


def files_sha256(*paths) -> str:
    """SHA-256 over the bytes of the given files, in order (None entries skipped)."""
    digest = hashlib.sha256()
    for path in paths:
        if path is not None:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def problem_of(example) -> str:
    """The split group of an example: its scenario's problem (the whole situation in an export without
    scenario metadata), hashed as the exporter's split does."""
    scenario = (example.get("meta") or {}).get("scenario") or {}
    return problem_key(SimpleNamespace(problem=scenario.get("problem") or example.situation))


def split_by_problem(examples: list, val_fraction: float, seed: int) -> tuple[list, list]:
    """Examples on the training side and on the validation side, no problem on both."""
    groups = validation_groups({problem_of(e) for e in examples}, val_fraction, seed)
    return [e for e in examples if problem_of(e) not in groups], [e for e in examples if problem_of(e) in groups]


def _strip(examples: list, sets: ExampleSets, moves: dict[str, int] | None = None) -> list:
    """Keep only the signature's fields; remember each situation's scenario (id and fields) and count moves."""
    import dspy

    kept = []
    for example in examples:
        meta = example.get("meta") or {}
        if meta.get("scenario_id"):
            sets.scenario_ids.setdefault(example.situation, meta["scenario_id"])
        if isinstance(meta.get("scenario"), dict):
            sets.scenarios.setdefault(example.situation, meta["scenario"])
        if moves is not None:
            label = meta.get("move") or "unlabelled"
            moves[label] = moves.get(label, 0) + 1
        fields = {key: example[key] for key in (*INPUT_KEYS, OUTPUT_KEY)}
        kept.append(dspy.Example(**fields).with_inputs(*INPUT_KEYS))
    return kept


def _sample(examples: list, limit: int, seed: int) -> list:
    if not limit or len(examples) <= limit:
        return list(examples)
    return random.Random(seed).sample(examples, limit)


def load_example_sets(data: str | Path, val: str | Path | None, role: str, *, val_fraction: float = 0.2,
                      seed: int = 0, max_train: int = 0, max_val: int = 0) -> ExampleSets:
    """Read the export (and its validation side), check the role, split if needed, cap the sizes."""
    data = Path(data).expanduser()
    found = export_role(data)
    if found and found != role:
        raise InputError(f"{data}: exported for the {found}, but --role is {role}")
    train = load_dspy_examples(data, with_meta=True)
    val_path = Path(val).expanduser() if val else validation_file(data)
    if val_path is not None:
        if export_role(val_path) not in ("", role):
            raise InputError(f"{val_path}: exported for another role than {role}")
        held = load_dspy_examples(val_path, with_meta=True)
        source = f"file {val_path}"
    else:
        train, held = split_by_problem(train, val_fraction, seed)
        source = f"split by problem ({len(held)} of {len(train) + len(held)} examples)"
    if not train:
        raise InputError(f"{data}: no training examples")
    if not held:
        raise InputError(f"{data}: no validation examples; give --val FILE or a larger file to split")
    sets = ExampleSets([], [], source, files_sha256(data, val_path))
    sets.train = _strip(_sample(train, max_train, seed), sets, sets.moves)
    sets.val, sets.report = split_for_report(_strip(_sample(held, max_val, seed + 1), sets), seed)
    return sets


def split_for_report(examples: list, seed: int = 0) -> tuple[list, list]:
    """(select, report): the validation problems split in two, by problem (situation), so an optimizer that
    selects on `select` (MIPROv2, GEPA) is measured on problems it never saw. One problem: both get it."""
    import hashlib

    situations = sorted({e.situation for e in examples},
                        key=lambda s: hashlib.sha256(f"{seed}:{s}".encode()).hexdigest())
    if len(situations) < 2:
        return list(examples), list(examples)
    report = set(situations[: len(situations) // 2])
    return [e for e in examples if e.situation not in report], [e for e in examples if e.situation in report]

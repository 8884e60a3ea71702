"""Export stored transcripts as a training dataset: select, render per turn, split by scenario, write, record.

`export_dataset` is the one entry point the CLI, the TUI and the tuners call. It writes the
training file at `out` and, when the split puts any scenario on the validation side, a
validation file beside it (`NAME.val.jsonl`), and for formats whose rows hold only an outside
schema's keys, each file's scenario metadata beside it (`NAME.meta.jsonl`, see example_meta);
then it records a manifest row in `datasets` (filters, counts, files, a SHA-256 over the data
files' bytes) and returns the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.storage.dataset_queries import record_dataset
from practicum.storage.store import Store
from practicum.tuning.datasets import export_dspy, export_hf, export_openai, export_transcripts
from practicum.tuning.datasets.example_meta import SIDECAR_FORMATS, meta_path, render_meta
from practicum.tuning.datasets.examples import ExportRow, make_role, turn_examples
from practicum.tuning.datasets.selection import ExportFilters, select_sessions
from practicum.tuning.datasets.splitting import problem_key, validation_groups

BUILDERS: dict[str, Callable] = {
    "dspy": export_dspy.dspy_rows,
    "openai-sft": export_openai.openai_sft_rows,
    "openai-dpo": export_openai.openai_dpo_rows,
    "hf-sft": export_hf.hf_sft_rows,
    "hf-dpo": export_hf.hf_dpo_rows,
    "hf-kto": export_hf.hf_kto_rows,
    "dialogue": export_transcripts.dialogue_rows,
}
FORMATS = tuple(BUILDERS)
PREFERENCE_FORMATS = ("openai-dpo", "hf-dpo", "hf-kto")


@dataclass
class ExportSettings:
    """How to split and pair: validation fraction and seed, preference margin, KTO threshold."""

    val_fraction: float = 0.1
    seed: int = 0
    min_margin: float = 0.0  # DPO: two scored replies pair when their scores differ by at least this
    kto_threshold: float | None = None  # KTO: desirable at or above; default min_turn_rating, else 3


@dataclass
class ExportResult:
    """What an export wrote and counted; `dataset_id` is its manifest row."""

    fmt: str
    files: dict[str, str]
    counts: dict
    content_hash: str
    dataset_id: int
    dropped: dict[str, int] = field(default_factory=dict)
    metadata_files: dict[str, str] = field(default_factory=dict)  # side -> NAME.meta.jsonl (example_meta)
    filters: ExportFilters = field(default_factory=ExportFilters)  # what was asked, for the summary


def validation_path(out: Path) -> Path:
    """Where the validation file of an export to `out` goes: `NAME.val.EXT` beside it."""
    return out.with_name(f"{out.stem}.val{out.suffix or '.jsonl'}")


def export_dataset(
    store: Store, fmt: str, out: str | Path, filters: ExportFilters | None = None,
    settings: ExportSettings | None = None, on_session: Callable[[int], None] | None = None,
) -> ExportResult:
    """Select, render, split and write one dataset; record and return its manifest."""
    if fmt not in BUILDERS:
        raise InputError(f"unknown export format '{fmt}' (choose from {', '.join(FORMATS)})")
    filters = filters or ExportFilters()
    settings = settings or ExportSettings()
    out = Path(out)
    selection = select_sessions(store, filters)
    role = make_role(filters.role)
    items = []
    for session in selection.sessions:
        items.append((session, turn_examples(session, role, filters)))
        if on_session:
            on_session(session.session_id)
    rows = BUILDERS[fmt](items, filters, settings)
    role_turns = sum(len(examples) for _, examples in items)
    if not rows:
        raise InputError(_nothing_to_export(fmt, filters, len(selection.sessions), role_turns, selection.dropped))
    group = {s.scenario.id: problem_key(s.scenario) for s in selection.sessions}
    val_groups = validation_groups({group[r.scenario_id] for r in rows}, settings.val_fraction, settings.seed)
    sides = {"train": [r for r in rows if group[r.scenario_id] not in val_groups],
             "validation": [r for r in rows if group[r.scenario_id] in val_groups]}
    files = {"train": out}
    if sides["validation"]:
        files["validation"] = validation_path(out)
    digest = hashlib.sha256()
    metadata_files: dict[str, str] = {}
    for side, path in files.items():
        data = _render(fmt, sides[side], filters.role)
        _write_atomically(path, data)
        digest.update(data)
        sidecar = meta_path(path)
        if fmt in SIDECAR_FORMATS:
            _write_atomically(sidecar, render_meta([row.meta for row in sides[side]]))
            metadata_files[side] = str(sidecar)
        elif sidecar.exists():
            sidecar.unlink()  # left by an earlier export to this name in another format: it would not line up
    counts = _counts(sides, items, selection)
    counts["problems"] = {side: len({group[r.scenario_id] for r in rs}) for side, rs in sides.items()}
    from practicum.agents.prompt_budget import bounds

    counts["prompt_bound"] = bounds()  # every row's prompt and reply are within these (tokens)
    manifest_filters = {**filters.model_dump(), "val_fraction": settings.val_fraction, "seed": settings.seed,
                        "min_margin": settings.min_margin, "kto_threshold": settings.kto_threshold}
    file_names = {side: str(path) for side, path in files.items()}
    recorded = {**file_names, **{f"{side}_metadata": path for side, path in metadata_files.items()}}
    dataset_id = record_dataset(store, fmt=fmt, path=str(out), files=recorded, filters=manifest_filters,
                                counts=counts, content_hash=digest.hexdigest())
    return ExportResult(fmt, file_names, counts, digest.hexdigest(), dataset_id, dict(selection.dropped),
                        metadata_files, filters)


def _render(fmt: str, rows: list[ExportRow], role: str) -> bytes:
    if fmt == "dspy":
        return (json.dumps(export_dspy.dspy_document(rows, role), ensure_ascii=False, indent=1) + "\n").encode()
    return "".join(json.dumps(row.data, ensure_ascii=False) + "\n" for row in rows).encode()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)


def _counts(sides: dict[str, list[ExportRow]], items, selection) -> dict:
    counts: dict = {"sessions_matched": len(selection.sessions), "role_turns": 0, "not_learned_turns": 0,
                    "unrated_turns": 0}
    for _, examples in items:
        counts["role_turns"] += len(examples)
        counts["not_learned_turns"] += sum(1 for e in examples if not e.learned)
        counts["unrated_turns"] += sum(1 for e in examples if e.target.score is None)
    for side, rows in sides.items():
        counts[side] = {
            "examples": len(rows), "learned": sum(r.learned for r in rows),
            "context_only": sum(r.context_only for r in rows),
            "sessions": len({r.session_id for r in rows}), "scenarios": len({r.scenario_id for r in rows}),
        }
    counts["dropped_sessions"] = dict(selection.dropped)
    return counts


def _nothing_to_export(fmt: str, filters: ExportFilters, n_sessions: int, role_turns: int, dropped) -> str:
    why = f"{n_sessions} sessions matched with {role_turns} {filters.role} turns"
    if dropped:
        why += "; dropped: " + ", ".join(f"{n} {reason}" for reason, n in dropped.most_common())
    if any(reason.startswith("no ") and reason.endswith(" metric") for reason in dropped):
        why += ("; metrics are computed by `practicum eval` (e.g. `practicum eval --source mathdial` or "
                "`practicum eval 1-40`): run it on these sessions first")
    if fmt in PREFERENCE_FORMATS and role_turns:
        why += "; preference data needs scored candidates or rewrites (practicum turns rewrite/add-candidate/rate)"
    return f"nothing to export as {fmt}: {why}"

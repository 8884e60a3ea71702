"""Import a dialogue file into the store, one transaction per record, with a per-line report.

A bad record never stops the rest and is never half-written: each record is parsed completely
before `Store.import_transcript` stores its scenario, session and turns all-or-nothing. A file
practicum exported with a metadata sidecar (`NAME.meta.jsonl`, see example_meta) gives each
record its scenario from there, as data. A record
already imported (same scenario and turns) is skipped, so importing a file twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.storage.dataset_queries import find_imported
from practicum.storage.store import Store
from practicum.tuning.datasets.example_meta import read_sidecar
from practicum.tuning.datasets.importers import FORMATS, ImportOptions, detect_format, parse_record, read_records


@dataclass
class ImportReport:
    """What an import did: the format used, sessions created, and each skipped record with why."""

    path: str
    format: str
    detected_at: str | None = None  # where auto-detection decided, e.g. "line 1"
    imported: list[tuple[str, int]] = field(default_factory=list)  # (location, session id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (location, reason)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (location, existing session id)
    turns: int = 0

    def as_dict(self) -> dict:
        """The report as plain data, for --json."""
        return {
            "path": self.path, "format": self.format, "detected_at": self.detected_at,
            "imported": len(self.imported), "turns": self.turns, "already_imported": len(self.duplicates),
            "skipped": len(self.skipped),
            "sessions": [{"at": at, "session_id": sid} for at, sid in self.imported],
            "skipped_records": [{"at": at, "reason": reason} for at, reason in self.skipped],
            "duplicate_records": [{"at": at, "session_id": sid} for at, sid in self.duplicates],
        }


def import_file(
    store: Store, path: str | Path, *, fmt: str = "auto", options: ImportOptions | None = None,
    source: str | None = None, on_record: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every record of `path`; `fmt` 'auto' takes the format of the first recognisable record."""
    path = Path(path)
    options = options or ImportOptions()
    from practicum.tuning.datasets import import_mrbench  # MRBench: dialogues with rated candidate responses
    if fmt == import_mrbench.FORMAT or (fmt == "auto" and import_mrbench.looks_like_mrbench(path)):
        return import_mrbench.import_mrbench(store, path, source=source, on_record=on_record)
    if fmt != "auto" and fmt not in FORMATS:
        raise InputError(f"unknown import format '{fmt}' (choose from auto, {', '.join(FORMATS)})")
    records = with_sidecar_scenarios(path, list(read_records(path)))
    report = ImportReport(path=str(path), format=fmt)
    if fmt == "auto":
        for where, record in records:
            detected = detect_format(record)
            if detected:
                report.format, report.detected_at = detected, where
                break
        else:
            raise InputError(f"{path}: no record looks like any of {', '.join(FORMATS)} "
                             "(expected keys: dialogue/conversation, messages, input/instruction+output, or MathDial fields)")
    for where, record in records:
        if on_record:
            on_record(where)
        _import_one(store, report, where, record, options, source or report.format)
    return report


def with_sidecar_scenarios(path: Path, records: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Records with the scenario of their sidecar metadata (NAME.meta.jsonl) where they name none themselves."""
    metas = read_sidecar(path, len(records))
    if metas is None:
        return records
    merged = []
    for (where, record), meta in zip(records, metas):
        if isinstance(record, dict) and "scenario" not in record and "scenario_id" not in record and "scenario" in meta:
            record = {**record, "scenario": meta["scenario"]}
        merged.append((where, record))
    return merged


def _import_one(store: Store, report: ImportReport, where: str, record, options: ImportOptions, source: str) -> None:
    if isinstance(record, InputError):
        report.skipped.append((where, str(record)))
        return
    found = detect_format(record)
    if found is not None and found != report.format:
        report.skipped.append((where, f"looks like {found}, not {report.format}"))
        return
    try:
        parsed = parse_record(report.format, record, where, options)
    except InputError as exc:
        report.skipped.append((where, str(exc)))
        return
    digest = parsed.content_hash()
    existing = find_imported(store, digest)
    if existing is None and report.format == "mathdial":
        # Sessions imported by `scenarios import --transcripts` carry no hash; one per MathDial row.
        earlier = store.list_sessions(source="mathdial", scenario_id=parsed.scenario.id, limit=1)
        existing = earlier[0]["id"] if earlier else None
    if existing is not None:
        report.duplicates.append((where, existing))
        return
    metadata = {**parsed.metadata, "import_hash": digest, "import_file": Path(report.path).name, "import_at": where}
    session_id = store.import_transcript(parsed.scenario, parsed.turns, source=source, metadata=metadata)
    report.imported.append((where, session_id))
    report.turns += len(parsed.turns)

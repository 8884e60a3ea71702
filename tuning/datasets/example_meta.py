"""Scenario fields as data beside every exported example, so nothing reads them back out of a prompt.

Each exported example carries a metadata record: the session and turn it came from and the whole
scenario (id, title, subject, grade, objective, problem, answer, solution, student profile) as
the Scenario model dumps it. Where the example belongs to practicum (`dspy`, `dialogue`) the
record sits inside the example (`meta`). Where the row's schema belongs to someone else (OpenAI's
fine-tuning files accept only their own keys; TRL's hf layouts), the records go to a sidecar,
`NAME.meta.jsonl` beside `NAME.jsonl`, line i describing row i, so the uploaded file stays exactly
what the service reads. The DSPy objective and the importer read these records; a file without
them has no scenario data (the importer then builds a scenario from the record's own fields).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from practicum.errors import InputError
from practicum.scenarios.model import Scenario

META_SUFFIX = ".meta.jsonl"
SIDECAR_FORMATS = ("openai-sft", "openai-dpo", "hf-sft", "hf-dpo", "hf-kto")


def example_meta(session, turn_idx: int | None = None, move: str | None = None) -> dict:
    """The metadata of one exported example: session, turn (when it is one turn) and the scenario."""
    meta: dict = {"session_id": session.session_id, "scenario_id": session.scenario.id}
    if turn_idx is not None:
        meta.update({"turn_idx": turn_idx, "move": move})
    meta["scenario"] = session.scenario.model_dump(mode="json")
    return meta


def meta_path(data_path: str | Path) -> Path:
    """Where the sidecar of a data file goes: NAME.meta.jsonl beside NAME.EXT."""
    path = Path(data_path)
    return path.with_name(f"{path.stem}{META_SUFFIX}")


def render_meta(metas: list[dict]) -> bytes:
    """The sidecar's bytes: one JSON record per line, in row order."""
    return "".join(json.dumps(meta, ensure_ascii=False) + "\n" for meta in metas).encode()


def read_sidecar(data_path: str | Path, n_records: int) -> list[dict] | None:
    """The sidecar records of a data file (None when it has none); InputError when they do not line up."""
    path = meta_path(data_path)
    if Path(data_path).name.endswith(META_SUFFIX) or not path.is_file():
        return None
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {number}: invalid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}: line {number}: expected a JSON object")
        records.append(record)
    if len(records) != n_records:
        raise InputError(f"{path}: {len(records)} metadata records for {n_records} records in {data_path}; "
                         "the files no longer belong together (re-export, or remove the .meta.jsonl file)")
    return records


def scenario_of(meta: dict | None, where: str = "meta") -> Scenario | None:
    """The Scenario an example's metadata carries (None when it carries none)."""
    data = (meta or {}).get("scenario")
    if not isinstance(data, dict):
        return None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        from practicum.scenarios.files import describe_validation_error

        raise InputError(f"{where}.scenario: {describe_validation_error(exc)}") from None
